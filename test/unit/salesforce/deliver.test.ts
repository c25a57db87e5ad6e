import type { CompositeGraph } from '../../../src/plan';
import { defaultMapping, planHandoffGraph, REF } from '../../../src/plan';
import {
  apportion,
  chunkGraphs,
  classifyErrorCode,
  deliverHandoffs,
  findDelivered,
  SalesforceError,
  salesforceErrorFromCode,
  toSalesforceError,
  type GraphResult,
  type SalesforceClient,
  type SendGraphsResult,
} from '../../../src/salesforce';
import { collectGarbage, gate } from '../../support/gc';
import { RequestTimeoutError } from '../../../src/salesforce/http';
import { handoff } from '../../support/handoff-factory';
import { IDS, prepared } from '../plan/prepared-fixture';

const mapping = defaultMapping();

type Responder = (graph: CompositeGraph, call: number) => GraphResult;

/** A client whose composite graph answers come from `respond`; records what was sent. */
function fakeClient(respond: Responder, opts: { throwOn?: number; error?: Error; rows?: unknown[] } = {}) {
  const sent: CompositeGraph[][] = [];
  const queries: string[] = [];
  const client: SalesforceClient = {
    apiVersion: '63.0',
    login: () => Promise.resolve(),
    sendGraphs: (graphs): Promise<SendGraphsResult> => {
      sent.push(graphs);
      const call = sent.length;
      if (opts.throwOn === call)
        return Promise.reject(Object.assign(opts.error ?? new Error('no error'), { apiCalls: 1 }));
      return Promise.resolve({ graphs: graphs.map((g) => respond(g, call)), apiCalls: 1 });
    },
    query: <T>(soql: string) => {
      queries.push(soql);
      return Promise.resolve((opts.rows ?? []) as T[]);
    },
    resolveIds: () => Promise.resolve(IDS),
    calls: () => ({ api: sent.length, token: 0 }),
    connection: () => {
      throw new Error('not used');
    },
  };
  return { client, sent, queries };
}

function ok(g: CompositeGraph, n: number): GraphResult {
  return {
    graphId: g.graphId,
    isSuccessful: true,
    compositeResponse: g.compositeRequest.map((node) => ({
      referenceId: node.referenceId,
      httpStatusCode: node.method === 'POST' ? 201 : 200,
      body:
        node.referenceId === REF.caseRead
          ? { Id: `500C${n}`, CaseNumber: `0000100${n}` }
          : node.referenceId === REF.case
            ? { id: `500C${n}`, success: true, created: true }
            : { id: `a00${node.referenceId}${n}`, success: true },
    })),
  };
}

function fail(g: CompositeGraph, ref: string, errorCode: string, message: string): GraphResult {
  return {
    graphId: g.graphId,
    isSuccessful: false,
    compositeResponse: g.compositeRequest.map((node) =>
      node.referenceId === ref
        ? { referenceId: ref, httpStatusCode: 400, body: [{ errorCode, message }] }
        : {
            referenceId: node.referenceId,
            httpStatusCode: 400,
            body: [{ errorCode: 'PROCESSING_HALTED', message: 'The transaction was rolled back' }],
          },
    ),
  };
}

describe('classification', () => {
  it.each([
    ['UNABLE_TO_LOCK_ROW', 'transient'],
    ['REQUEST_LIMIT_EXCEEDED', 'rate_limited'],
    ['REQUIRED_FIELD_MISSING', 'permanent'],
    ['STRING_TOO_LONG', 'permanent'],
    ['INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', 'permanent'],
    ['INVALID_FIELD', 'permanent'],
    ['ERROR_HTTP_503', 'transient'],
    ['ERROR_HTTP_504', 'unknown_outcome'],
    ['PROCESSING_HALTED', 'transient'],
  ])('%s → %s', (code, retry) => {
    expect(classifyErrorCode(code)).toBe(retry);
  });

  it('network errors: before sending is transient, after sending a write is unknown', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(toSalesforceError(refused, true).retry).toBe('transient');
    expect(toSalesforceError(reset, true).retry).toBe('unknown_outcome');
    expect(toSalesforceError(reset, false).retry).toBe('transient');
    expect(toSalesforceError(new RequestTimeoutError(100), true)).toMatchObject({
      retry: 'unknown_outcome',
      code: 'SALESFORCE_TIMEOUT',
    });
  });

  it('an error code from an answer, and a SalesforceError passed through as it is', () => {
    expect(salesforceErrorFromCode('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.')).toMatchObject({
      retry: 'rate_limited',
      code: 'SALESFORCE_RATE_LIMITED',
    });
    const refused = new SalesforceError({
      code: 'SALESFORCE_AUTH_FAILED',
      message: 'Salesforce refused the session again right after re-login',
      retry: 'transient',
    });
    expect(toSalesforceError(refused, true)).toBe(refused);
  });

  it('scrubs echoed values from messages', () => {
    const e = salesforceErrorFromCode(
      'STRING_TOO_LONG',
      'Subject: data value too large: card 4111111111111111 declined (max length=255)',
    );
    expect(e).toBeInstanceOf(SalesforceError);
    expect(e.message).not.toContain('4111');
    expect(e.message).toContain('Subject: data value too large: [value removed]');
  });
});

describe('apportion and chunking', () => {
  it('apportions whole calls that add up', () => {
    expect(apportion(1, 3)).toEqual([1, 0, 0]);
    expect(apportion(2, 2)).toEqual([1, 1]);
    expect(apportion(5, 2)).toEqual([3, 2]);
    expect(apportion(1, 0)).toEqual([]);
  });

  const graph = (id: string, nodes: number, object = 'Case'): { graph: CompositeGraph } => ({
    graph: {
      graphId: id,
      compositeRequest: Array.from({ length: nodes }, (_, i) => ({
        method: 'POST' as const,
        url: `/services/data/v63.0/sobjects/${object}`,
        referenceId: `n${i}`,
      })),
    },
  });

  it('keeps everything in one payload when within limits', () => {
    expect(chunkGraphs(Array.from({ length: 75 }, (_, i) => graph(`g${i}`, 6)))).toHaveLength(1);
  });
  it('splits over 75 graphs, over 500 nodes, over 15 node types', () => {
    expect(chunkGraphs(Array.from({ length: 76 }, (_, i) => graph(`g${i}`, 1))).map((c) => c.length)).toEqual(
      [75, 1],
    );
    expect(
      chunkGraphs(Array.from({ length: 3 }, (_, i) => graph(`g${i}`, 200))).map((c) => c.length),
    ).toEqual([2, 1]);
    expect(
      chunkGraphs(Array.from({ length: 16 }, (_, i) => graph(`g${i}`, 1, `Obj${i}__c`))).map((c) => c.length),
    ).toEqual([15, 1]);
  });
});

describe('deliverHandoffs', () => {
  it('sends a graph already planned for the same handoff and ids as it is, under the batch’s graph id', async () => {
    const [a, b] = [prepared(), prepared()];
    const { client, sent } = fakeClient(ok);
    const mine = planHandoffGraph({ prepared: a, ids: IDS, mapping, apiVersion: '63.0', graphId: 'g' });
    const asked: [string, unknown][] = [];
    const out = await deliverHandoffs([b, a], client, {
      mapping,
      planned: (p, ids) => {
        asked.push([p.handoffId, ids]);
        return p === a && ids === IDS ? mine : undefined;
      },
    });
    expect(asked).toEqual([
      [b.handoffId, IDS],
      [a.handoffId, IDS],
    ]);
    expect(sent[0]?.[1]).toEqual({ ...mine, graphId: 'g1' });
    expect(sent[0]?.[1]?.compositeRequest).toBe(mine.compositeRequest);
    expect(sent[0]?.[0]).toEqual(
      planHandoffGraph({ prepared: b, ids: IDS, mapping, apiVersion: '63.0', graphId: 'g0' }),
    );
    expect(out.map((o) => o.kind)).toEqual(['delivered', 'delivered']);
  });

  it('sends the whole batch in one call, outcomes in order', async () => {
    const batch = [prepared(), prepared(), prepared()];
    const { client, sent } = fakeClient(ok);
    const out = await deliverHandoffs(batch, client, { mapping });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.map((g) => g.graphId)).toEqual(['g0', 'g1', 'g2']);
    expect(out.map((o) => o.handoffId)).toEqual(batch.map((b) => b.handoffId));
    expect(out[0]).toMatchObject({
      kind: 'delivered',
      caseId: '500C1',
      caseNumber: '00001001',
      handoffRecordId: 'a00handoff1',
      enrichedExistingCase: false,
    });
    expect(out.map((o) => o.salesforceApiCalls)).toEqual([1, 0, 0]);
  });

  it('one failing graph fails alone, classified and scrubbed', async () => {
    const batch = [prepared(), prepared()];
    const { client } = fakeClient((g, n) =>
      g.graphId === 'g1'
        ? fail(
            g,
            'handoff',
            'STRING_TOO_LONG',
            'Bot Name: data value too large: Amelia 4111111111111111 (max length=80)',
          )
        : ok(g, n),
    );
    const out = await deliverHandoffs(batch, client, { mapping });
    expect(out[0]?.kind).toBe('delivered');
    expect(out[1]).toMatchObject({ kind: 'failed', retry: 'permanent', code: 'SALESFORCE_STRING_TOO_LONG' });
    const message = out[1]?.kind === 'failed' ? out[1].message : '';
    expect(message).not.toContain('Amelia');
    expect(message).not.toContain('4111');
  });

  it('a lock error is transient, a halted graph is transient', async () => {
    const { client } = fakeClient((g) =>
      g.graphId === 'g0'
        ? fail(g, 'case', 'UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access')
        : fail(g, '', '', ''),
    );
    const out = await deliverHandoffs([prepared(), prepared()], client, { mapping });
    expect(out[0]).toMatchObject({
      kind: 'failed',
      retry: 'transient',
      code: 'SALESFORCE_UNABLE_TO_LOCK_ROW',
    });
    expect(out[1]).toMatchObject({
      kind: 'failed',
      retry: 'transient',
      code: 'SALESFORCE_PROCESSING_HALTED',
    });
  });

  it('unknown customer: one more call without the link, for that handoff only', async () => {
    const batch = [prepared(), prepared()];
    const { client, sent } = fakeClient((g, n) => {
      const linked = JSON.stringify(g.compositeRequest[0]?.body).includes('Bank_Customer_Id__c');
      return n === 1 && g.graphId === 'g1' && linked
        ? fail(
            g,
            'case',
            'INVALID_FIELD',
            'Foreign key external ID: CUST-100234 not found for field Bank_Customer_Id__c in entity Account',
          )
        : ok(g, n);
    });
    const out = await deliverHandoffs(batch, client, { mapping });
    expect(sent).toHaveLength(2);
    expect(sent[1]).toHaveLength(1);
    expect(sent[1]?.[0]?.compositeRequest[0]?.body).not.toHaveProperty('Account');
    expect(out[1]).toMatchObject({ kind: 'delivered', caseId: '500C2', salesforceApiCalls: 1 });
    expect(out[0]).toMatchObject({ kind: 'delivered', salesforceApiCalls: 1 });
  });

  it('the whole call failing: every handoff gets the classification', async () => {
    const reset = Object.assign(new Error('socket hang up'), { name: 'FetchError', code: 'ECONNRESET' });
    const { client } = fakeClient(ok, { throwOn: 1, error: reset });
    const out = await deliverHandoffs([prepared(), prepared()], client, { mapping });
    expect(out.map((o) => o.kind === 'failed' && o.retry)).toEqual(['unknown_outcome', 'unknown_outcome']);
    expect(out.reduce((n, o) => n + o.salesforceApiCalls, 0)).toBe(1);
  });

  it('a handoff that cannot be planned fails alone without a call', async () => {
    const bad = prepared(handoff(), {
      mode: 'skills_based',
      skills: [{ developerName: 'Astrology', level: 1, additional: false }],
      priority: 1,
      casePriority: 'High',
      urgency: 'high',
      queue: null,
      reasons: [],
    });
    const { client, sent } = fakeClient(ok);
    const out = await deliverHandoffs([bad, prepared()], client, { mapping });
    expect(out[0]).toMatchObject({
      kind: 'failed',
      retry: 'permanent',
      code: 'SALESFORCE_CONFIGURATION',
      salesforceApiCalls: 0,
    });
    expect(out[1]?.kind).toBe('delivered');
    expect(sent[0]).toHaveLength(1);
  });

  it('enrichment: the case id is the existing one', async () => {
    const p = prepared(handoff({ operational: { existingCaseId: '500000000000009AAA' } }));
    const { client } = fakeClient((g, n) => {
      const r = ok(g, n);
      // A PATCH by id answers 204 without a body.
      r.compositeResponse[0] = { referenceId: 'case', httpStatusCode: 204, body: null };
      return r;
    });
    const [o] = await deliverHandoffs([p], client, { mapping });
    expect(o).toMatchObject({ kind: 'delivered', caseId: '500000000000009AAA', enrichedExistingCase: true });
  });

  it('dedupe window off (default): no lookup query, one call', async () => {
    const { client, sent, queries } = fakeClient(ok);
    const [o] = await deliverHandoffs([prepared()], client, { mapping });
    expect(queries).toHaveLength(0);
    expect(sent).toHaveLength(1);
    expect(o).toMatchObject({ kind: 'delivered', enrichedExistingCase: false, salesforceApiCalls: 1 });
  });

  it('dedupe window on: ONE query for the batch; a match is enriched by id, the others created', async () => {
    const a = prepared(handoff({ handoffId: 'ho-test-a', operational: { caseType: 'Card Servicing' } }));
    const b = prepared(handoff({ handoffId: 'ho-test-b', operational: { caseType: 'Lending' } }));
    const rows = [
      {
        Handoff_Id__c: 'ho-old',
        Case_Type__c: 'card servicing',
        Case__c: '500000000000007AAA',
        Case__r: {
          AccountId: '001000000000001AAA',
          Account: { Bank_Customer_Id__c: a.handoff.identity.customer.externalId },
        },
      },
    ];
    const { client, sent, queries } = fakeClient(
      (g, n) => {
        const r = ok(g, n);
        if (g.compositeRequest[0]?.method === 'PATCH' && /\/Case\/500/.test(g.compositeRequest[0].url))
          r.compositeResponse[0] = { referenceId: 'case', httpStatusCode: 204, body: null };
        return r;
      },
      { rows },
    );
    const out = await deliverHandoffs([a, b], client, {
      mapping,
      dedupeWindowSeconds: 600,
      now: () => new Date('2026-11-21T10:10:00Z'),
    });
    expect(queries).toHaveLength(1);
    expect(queries[0]).toContain('Case__r.IsClosed = false AND Case__r.CreatedDate >= 2026-11-21T10:00:00Z');
    expect(queries[0]).toContain("Case_Type__c IN ('Card Servicing', 'Lending')");
    expect(sent).toHaveLength(1);
    expect(sent[0]?.[0]?.compositeRequest[0]?.url).toMatch(/\/sobjects\/Case\/500000000000007AAA$/);
    expect(out[0]).toMatchObject({
      kind: 'delivered',
      caseId: '500000000000007AAA',
      enrichedExistingCase: true,
    });
    expect(out[1]).toMatchObject({ kind: 'delivered', enrichedExistingCase: false });
    // 2 calls (query + graph) shared by 2 handoffs.
    expect(out.reduce((n, o) => n + o.salesforceApiCalls, 0)).toBe(2);
  });

  it('dedupe lookup failing: cases are created anyway', async () => {
    const { client, sent } = fakeClient(ok);
    client.query = () => Promise.reject(Object.assign(new Error('boom'), { apiCalls: 1 }));
    const [o] = await deliverHandoffs([prepared()], client, { mapping, dedupeWindowSeconds: 600 });
    expect(sent).toHaveLength(1);
    expect(o).toMatchObject({ kind: 'delivered', enrichedExistingCase: false, salesforceApiCalls: 2 });
  });

  describe('a batch over a payload limit', () => {
    const flush = async () => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    };
    /** A client whose calls answer only when released; records how many were in flight at most. */
    function heldClient(respond: Responder = ok) {
      const base = fakeClient(respond);
      const waiting: Array<() => void> = [];
      let inFlight = 0;
      const seen = { most: 0 };
      const send = base.client.sendGraphs;
      base.client.sendGraphs = (graphs) => {
        inFlight += 1;
        seen.most = Math.max(seen.most, inFlight);
        return new Promise<void>((r) => waiting.push(r))
          .then(() => send(graphs))
          .finally(() => (inFlight -= 1));
      };
      const releaseAll = async () => {
        while (waiting.length > 0 || inFlight > 0) {
          waiting.splice(0).forEach((r) => r());
          await flush();
        }
      };
      return { ...base, waiting, seen, releaseAll };
    }
    // 80 handoffs are over the 75-graph limit whatever a graph's size, so at least two payloads.
    const big = () => Array.from({ length: 80 }, () => prepared());

    it('sends its payloads concurrently, each graph once, outcomes in order', async () => {
      const batch = big();
      const { client, sent, waiting, releaseAll } = heldClient();
      const done = deliverHandoffs(batch, client, { mapping, maxConcurrentCalls: 25 });
      await flush();
      // every payload is on the wire before any has answered
      expect(waiting.length).toBeGreaterThanOrEqual(2);
      const onTheWire = waiting.length;
      await releaseAll();
      const out = await done;
      expect(sent).toHaveLength(onTheWire);
      expect(
        sent
          .flat()
          .map((g) => g.graphId)
          .sort(),
      ).toEqual(batch.map((_, i) => `g${i}`).sort());
      expect(out.map((o) => o.handoffId)).toEqual(batch.map((b) => b.handoffId));
      expect(out.every((o) => o.kind === 'delivered')).toBe(true);
      expect(out.reduce((n, o) => n + o.salesforceApiCalls, 0)).toBe(onTheWire);
    });

    it('keeps at most maxConcurrentCalls payloads in flight', async () => {
      const batch = big();
      const { client, sent, seen, waiting, releaseAll } = heldClient();
      const done = deliverHandoffs(batch, client, { mapping, maxConcurrentCalls: 1 });
      await flush();
      expect(waiting).toHaveLength(1);
      await releaseAll();
      const out = await done;
      expect(seen.most).toBe(1);
      expect(sent.length).toBeGreaterThanOrEqual(2);
      expect(out.every((o) => o.kind === 'delivered')).toBe(true);
    });

    it('a payload that fails fails only its own handoffs; a failed graph is retried alone', async () => {
      const batch = big();
      const reset = Object.assign(new Error('socket hang up'), { name: 'FetchError', code: 'ECONNRESET' });
      const { client, sent } = fakeClient(
        (g, n) => {
          const linked = JSON.stringify(g.compositeRequest[0]?.body).includes('Bank_Customer_Id__c');
          return g.graphId === 'g0' && linked
            ? fail(
                g,
                'case',
                'INVALID_FIELD',
                'Foreign key external ID: CUST-100234 not found for field Bank_Customer_Id__c in entity Account',
              )
            : ok(g, n);
        },
        { throwOn: 2, error: reset },
      );
      const out = await deliverHandoffs(batch, client, { mapping });
      const lost = new Set((sent[1] ?? []).map((g) => g.graphId));
      expect(lost.size).toBeGreaterThan(0);
      expect(lost.has('g0')).toBe(false);
      out.forEach((o, i) => {
        if (lost.has(`g${i}`)) expect(o).toMatchObject({ kind: 'failed', retry: 'unknown_outcome' });
        else expect(o.kind).toBe('delivered');
      });
      // the unknown customer's graph went once more, alone and without the link
      expect(sent.at(-1)?.map((g) => g.graphId)).toEqual(['g0']);
      expect(sent.at(-1)?.[0]?.compositeRequest[0]?.body).not.toHaveProperty('Account');
      expect(out[0]).toMatchObject({ kind: 'delivered' });
    });
  });

  it('empty batch: no call', async () => {
    const { client, sent } = fakeClient(ok);
    expect(await deliverHandoffs([], client, { mapping })).toEqual([]);
    expect(sent).toHaveLength(0);
  });
});

describe('while Salesforce answers', () => {
  it('the graphs are not held once their call is on its way (only the body the client built)', async () => {
    const answer = gate();
    const sentGraphs: WeakRef<CompositeGraph>[] = [];
    const client: SalesforceClient = {
      ...fakeClient(ok).client,
      // As the real client: the body is built at once, the answer comes later, and only the body
      // and each graph's id are kept meanwhile.
      sendGraphs: (graphs) => {
        const body = JSON.stringify({ graphs });
        const ids = graphs.map((g) => g.graphId);
        for (const g of graphs) sentGraphs.push(new WeakRef(g));
        return answer.opened.then(() => {
          const parsed = JSON.parse(body) as { graphs: CompositeGraph[] };
          return {
            graphs: parsed.graphs.map((g, i) => ok({ ...g, graphId: ids[i] as string }, i)),
            apiCalls: 1,
          };
        });
      },
    };
    const outcomes = deliverHandoffs([prepared(), prepared()], client, { mapping });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sentGraphs).toHaveLength(2);
    collectGarbage();
    expect(sentGraphs.map((r) => r.deref())).toEqual([undefined, undefined]);
    answer.open();
    expect((await outcomes).map((o) => o.kind)).toEqual(['delivered', 'delivered']);
  });

  it('a halted graph rides along in the next call, planned again, with the same records', async () => {
    const batch = [prepared(), prepared()];
    // Call 1: the second graph fails, so the first is halted; call 2 carries the first alone.
    const { client, sent } = fakeClient((g, call) =>
      call === 1 && g.graphId === 'g1'
        ? fail(g, REF.case, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [Subject]')
        : call === 1
          ? fail(g, '', 'PROCESSING_HALTED', 'halted')
          : ok(g, call),
    );
    const out = await deliverHandoffs(batch, client, { mapping });
    expect(out.map((o) => o.kind)).toEqual(['delivered', 'failed']);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toHaveLength(1);
    expect(sent[1]?.[0]).toEqual(sent[0]?.[0]);
  });
});

describe('findDelivered', () => {
  it('one query by Handoff_Id__c IN (…), mapped to case id and number', async () => {
    const created = '2026-11-21T10:00:00.000+0000';
    const { client, queries } = fakeClient(ok, {
      rows: [
        {
          Id: 'a01X',
          CreatedDate: created,
          Handoff_Id__c: 'ho-1',
          Case__c: '500X',
          Case__r: { CaseNumber: '00001234', CreatedDate: created },
        },
        {
          Id: 'a01Y',
          CreatedDate: created,
          Handoff_Id__c: "ho-'2",
          Case__c: '500Y',
          Case__r: { CaseNumber: '00000007', CreatedDate: '2026-11-20T09:00:00.000+0000' },
        },
      ],
    });
    const found = await findDelivered(['ho-1', "ho-'2"], client, mapping);
    expect(queries).toEqual([
      "SELECT Id, CreatedDate, Handoff_Id__c, Case__c, Case__r.CaseNumber, Case__r.CreatedDate FROM Bot_Handoff__c WHERE Handoff_Id__c IN ('ho-1', 'ho-\\'2')",
    ]);
    expect(found.get('ho-1')).toEqual({
      handoffId: 'ho-1',
      caseId: '500X',
      caseNumber: '00001234',
      handoffRecordId: 'a01X',
      enrichedExistingCase: false,
    });
    // The case is older than the handoff record: the handoff enriched an existing case.
    expect(found.get("ho-'2")?.enrichedExistingCase).toBe(true);
    expect(await findDelivered([], client, mapping)).toEqual(new Map());
    expect(queries).toHaveLength(1);
  });
});
