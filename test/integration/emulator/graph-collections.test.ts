import { DATA, list, sortedIds, testEmulator } from './helpers';

interface Node {
  method: string;
  url: string;
  referenceId: string;
  body?: unknown;
}

function accountNodes(n: number, prefix: string): Node[] {
  return Array.from({ length: n }, (_x, i) => ({
    method: 'POST',
    url: `${DATA}/sobjects/Account`,
    referenceId: `${prefix}${i}`,
    body: { Name: `${prefix} ${i}` },
  }));
}

interface GraphResult {
  graphId: string;
  isSuccessful: boolean;
  graphResponse: { compositeResponse: { referenceId: string; httpStatusCode: number; body: unknown }[] };
}

describe('POST /composite/graph', () => {
  const t = testEmulator();

  it('runs each graph in its own transaction and answers the documented shape', async () => {
    const res = await t.post(`${DATA}/composite/graph`, {
      graphs: [
        {
          graphId: 'g1',
          compositeRequest: [
            {
              method: 'PATCH',
              url: `${DATA}/sobjects/Case/Handoff_Id__c/ho-graph-1`,
              referenceId: 'case',
              body: {
                Subject: 'Disputed card payment',
                Origin: 'Web',
                Account: { Bank_Customer_Id__c: 'CUST-100001' },
              },
            },
            {
              method: 'PATCH',
              url: `${DATA}/sobjects/Bot_Handoff__c/Handoff_Id__c/ho-graph-1`,
              referenceId: 'handoff',
              body: { Case__c: '@{case.id}', Bot_Name__c: 'Ava' },
            },
            {
              method: 'GET',
              url: `${DATA}/sobjects/Bot_Handoff__c/@{handoff.id}`,
              referenceId: 'handoffGet',
            },
          ],
        },
        {
          graphId: 'g2',
          compositeRequest: [
            {
              method: 'POST',
              url: `${DATA}/sobjects/Account`,
              referenceId: 'ok',
              body: { Name: 'Rolled back' },
            },
            {
              method: 'POST',
              url: `${DATA}/sobjects/Contact`,
              referenceId: 'bad',
              body: { AccountId: '@{ok.id}', Nope__c: 'x' },
            },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    const graphs = list<GraphResult>(res.body.graphs);
    expect(graphs.map((g) => [g.graphId, g.isSuccessful])).toEqual([
      ['g1', true],
      ['g2', false],
    ]);
    const g1 = graphs[0]!.graphResponse.compositeResponse;
    expect(g1.map((n) => n.httpStatusCode)).toEqual([201, 201, 200]);
    expect(g1[2]!.body).toMatchObject({ Case__c: (g1[0]!.body as { id: string }).id, Bot_Name__c: 'Ava' });
    const g2 = graphs[1]!.graphResponse.compositeResponse;
    expect(g2[0]).toMatchObject({ httpStatusCode: 400, body: [{ errorCode: 'PROCESSING_HALTED' }] });
    expect(g2[1]).toMatchObject({ httpStatusCode: 400, body: [{ errorCode: 'INVALID_FIELD' }] });
    expect(t.emu.records('Account').some((a) => a.Name === 'Rolled back')).toBe(false);
  });

  it('runs nodes that do not reference each other out of listed order', async () => {
    const res = await t.post(`${DATA}/composite/graph`, {
      graphs: [{ graphId: 'order', compositeRequest: accountNodes(6, 'gn') }],
    });
    const ids = list<GraphResult>(res.body.graphs)[0]!.graphResponse.compositeResponse.map(
      (n) => (n.body as { id: string }).id,
    );
    expect(ids).not.toEqual(sortedIds(ids));
  });

  it('runs graphs themselves in no promised order', async () => {
    const res = await t.post(`${DATA}/composite/graph`, {
      graphs: Array.from({ length: 5 }, (_x, i) => ({
        graphId: `G${i}`,
        compositeRequest: accountNodes(1, `gg${i}x`),
      })),
    });
    const ids = list<GraphResult>(res.body.graphs).map(
      (g) => (g.graphResponse.compositeResponse[0]!.body as { id: string }).id,
    );
    expect(ids).not.toEqual(sortedIds(ids));
  });

  it('halts every graph after 14 failed graphs', async () => {
    const graphs = Array.from({ length: 16 }, (_x, i) => ({
      graphId: `f${i}`,
      compositeRequest: [{ method: 'POST', url: `${DATA}/sobjects/Account`, referenceId: 'a', body: {} }],
    }));
    const res = await t.post(`${DATA}/composite/graph`, { graphs });
    const out = list<GraphResult>(res.body.graphs);
    expect(out.every((g) => !g.isSuccessful)).toBe(true);
    const codes = out.map(
      (g) => (g.graphResponse.compositeResponse[0]!.body as { errorCode: string }[])[0]!.errorCode,
    );
    expect(codes.filter((c) => c === 'REQUIRED_FIELD_MISSING')).toHaveLength(14);
    expect(codes.filter((c) => c === 'PROCESSING_HALTED')).toHaveLength(2);
  });

  const chain = (depth: number): Node[] =>
    Array.from({ length: depth }, (_x, i) =>
      i === 0
        ? { method: 'POST', url: `${DATA}/sobjects/Account`, referenceId: 'n0', body: { Name: 'root' } }
        : {
            method: 'GET',
            url: `${DATA}/sobjects/Account/@{n${i - 1}.Id}`.replace('@{n0.Id}', '@{n0.id}'),
            referenceId: `n${i}`,
          },
    );

  const invalid: [string, unknown, string][] = [
    [
      '76 graphs',
      {
        graphs: Array.from({ length: 76 }, (_x, i) => ({
          graphId: `g${i}`,
          compositeRequest: accountNodes(1, 'a'),
        })),
      },
      '75',
    ],
    [
      '501 nodes',
      {
        graphs: Array.from({ length: 3 }, (_x, i) => ({
          graphId: `g${i}`,
          compositeRequest: accountNodes(167, 'a'),
        })),
      },
      '500',
    ],
    ['a depth of 16', { graphs: [{ graphId: 'deep', compositeRequest: chain(16) }] }, 'deep'],
    [
      '16 node types',
      {
        graphs: [
          {
            graphId: 'types',
            compositeRequest: [
              'Account',
              'Contact',
              'Case',
              'Bot_Handoff__c',
              'Handoff_Intent__c',
              'Handoff_Consent__c',
              'Handoff_Verification__c',
              'Handoff_Transcript__c',
              'PendingServiceRouting',
              'SkillRequirement',
              'Skill',
              'Group',
              'User',
              'ServiceChannel',
              'ServiceResource',
              'FinancialAccount',
            ].map((o, i) => ({
              method: 'POST',
              url: `${DATA}/sobjects/${o}`,
              referenceId: `t${i}`,
              body: {},
            })),
          },
        ],
      },
      'node types',
    ],
    [
      'a query node',
      {
        graphs: [
          {
            graphId: 'q',
            compositeRequest: [
              { method: 'GET', url: `${DATA}/query?q=SELECT+Id+FROM+Account`, referenceId: 'q' },
            ],
          },
        ],
      },
      'url',
    ],
    [
      'PATCH on /sobjects/X',
      {
        graphs: [
          {
            graphId: 'p',
            compositeRequest: [
              { method: 'PATCH', url: `${DATA}/sobjects/Account`, referenceId: 'p', body: {} },
            ],
          },
        ],
      },
      'method',
    ],
    [
      'a node url below version 50.0',
      {
        graphs: [
          {
            graphId: 'v',
            compositeRequest: [
              {
                method: 'POST',
                url: '/services/data/v49.0/sobjects/Account',
                referenceId: 'v',
                body: { Name: 'x' },
              },
            ],
          },
        ],
      },
      '50.0',
    ],
    [
      'a reference cycle',
      {
        graphs: [
          {
            graphId: 'cycle',
            compositeRequest: [
              { method: 'GET', url: `${DATA}/sobjects/Account/@{b.Id}`, referenceId: 'a' },
              { method: 'GET', url: `${DATA}/sobjects/Account/@{a.Id}`, referenceId: 'b' },
            ],
          },
        ],
      },
      'cycle',
    ],
    ['no graphs', { graphs: [] }, 'graphs'],
  ];

  it.each(invalid)('rejects %s with 400 and runs nothing', async (_name, body, mention) => {
    const before = t.emu.records('Account').length;
    const res = await t.post(`${DATA}/composite/graph`, body);
    expect(res.status).toBe(400);
    expect(res.body[0]).toEqual({ errorCode: expect.any(String), message: expect.stringContaining(mention) });
    expect(t.emu.records('Account').length).toBe(before);
  });

  it('accepts a depth of 15', async () => {
    const res = await t.post(`${DATA}/composite/graph`, {
      graphs: [{ graphId: 'd15', compositeRequest: chain(15) }],
    });
    expect(res.status).toBe(200);
    expect(list<GraphResult>(res.body.graphs)[0]!.isSuccessful).toBe(true);
  });
});

interface ItemResult {
  id?: string;
  success: boolean;
  errors: { statusCode: string; message: string; fields: string[] }[];
  created?: boolean;
}

describe('/composite/sobjects (sObject Collections)', () => {
  const t = testEmulator();

  it('creates records with attributes.type; item errors use statusCode', async () => {
    const res = await t.post(`${DATA}/composite/sobjects`, {
      allOrNone: false,
      records: [
        { attributes: { type: 'Account' }, Name: 'Collections One' },
        { attributes: { type: 'Contact' }, FirstName: 'No', Nope__c: 'x' },
      ],
    });
    expect(res.status).toBe(200);
    const items = list<ItemResult>(res.body);
    expect(items[0]).toEqual({ id: expect.stringMatching(/^001/), success: true, errors: [] });
    expect(items[1]!.success).toBe(false);
    expect(items[1]!.errors[0]).toEqual({
      statusCode: 'INVALID_FIELD',
      message: expect.any(String),
      fields: expect.any(Array),
    });
    expect(items[1]!.errors[0]).not.toHaveProperty('errorCode');
  });

  it('with allOrNone rolls back every record when one fails', async () => {
    const before = t.emu.records('Account').length;
    const res = await t.post(`${DATA}/composite/sobjects`, {
      allOrNone: true,
      records: [
        { attributes: { type: 'Account' }, Name: 'Would be rolled back' },
        { attributes: { type: 'Account' } },
      ],
    });
    expect(res.status).toBe(200);
    const items = list<ItemResult>(res.body);
    expect(items[0]).toEqual({
      success: false,
      errors: [expect.objectContaining({ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK' })],
    });
    expect(items[1]!.errors[0]!.statusCode).toBe('REQUIRED_FIELD_MISSING');
    expect(t.emu.records('Account').length).toBe(before);
  });

  it('updates (PATCH) and deletes (DELETE ?ids=)', async () => {
    const created = list<ItemResult>(
      (
        await t.post(`${DATA}/composite/sobjects`, {
          records: [
            { attributes: { type: 'Account' }, Name: 'U1' },
            { attributes: { type: 'Account' }, Name: 'U2' },
          ],
        })
      ).body,
    );
    const ids = created.map((c) => c.id!);
    const upd = await t.patch(`${DATA}/composite/sobjects`, {
      records: ids.map((id, i) => ({ attributes: { type: 'Account' }, Id: id, Name: `Updated ${i}` })),
    });
    expect(upd.status).toBe(200);
    expect(list<ItemResult>(upd.body).map((r) => [r.id, r.success])).toEqual(ids.map((id) => [id, true]));
    expect((await t.get(`${DATA}/sobjects/Account/${ids[1]}`)).body.Name).toBe('Updated 1');
    const del = await t.del(`${DATA}/composite/sobjects?ids=${ids.join(',')}&allOrNone=false`);
    expect(del.status).toBe(200);
    expect(list<ItemResult>(del.body).map((r) => [r.id, r.success])).toEqual(ids.map((id) => [id, true]));
    expect((await t.get(`${DATA}/sobjects/Account/${ids[0]}`)).status).toBe(404);
  });

  it('upserts by external id (PATCH /composite/sobjects/X/Field) with created flags in order', async () => {
    const res = await t.patch(`${DATA}/composite/sobjects/Case/Handoff_Id__c`, {
      allOrNone: false,
      records: [
        { attributes: { type: 'Case' }, Handoff_Id__c: 'coll-1', Subject: 'one' },
        { attributes: { type: 'Case' }, Handoff_Id__c: 'coll-2', Subject: 'two' },
      ],
    });
    expect(res.status).toBe(200);
    expect(list<ItemResult>(res.body).map((r) => [r.success, r.created])).toEqual([
      [true, true],
      [true, true],
    ]);
    const again = await t.patch(`${DATA}/composite/sobjects/Case/Handoff_Id__c`, {
      records: [{ attributes: { type: 'Case' }, Handoff_Id__c: 'coll-1', Subject: 'one again' }],
    });
    expect(list<ItemResult>(again.body)[0]).toMatchObject({ success: true, created: false });
  });

  it('refuses a record without attributes.type before any runs; item errors name the id or the external id', async () => {
    const before = t.emu.records('Account').length;
    const untyped = await t.post(`${DATA}/composite/sobjects`, {
      records: [{ attributes: { type: 'Account' }, Name: 'Not created' }, { Name: 'No type' }],
    });
    expect(untyped.status).toBe(400);
    expect(list<{ errorCode: string; message: string }>(untyped.body)[0]).toEqual({
      errorCode: 'INVALID_TYPE',
      message: 'records[1]: attributes.type is required for each record',
    });
    expect(t.emu.records('Account').length).toBe(before);

    const [account] = list<ItemResult>(
      (
        await t.post(`${DATA}/composite/sobjects`, {
          records: [{ attributes: { type: 'Account' }, Name: 'Kept' }],
        })
      ).body,
    );
    const del = await t.del(`${DATA}/composite/sobjects?ids=${account!.id!},zzz000000000000&allOrNone=true`);
    expect(list<ItemResult>(del.body)).toEqual([
      {
        id: account!.id,
        success: false,
        errors: [expect.objectContaining({ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK' })],
      },
      {
        id: 'zzz000000000000',
        success: false,
        errors: [expect.objectContaining({ statusCode: 'MALFORMED_ID' })],
      },
    ]);
    expect((await t.get(`${DATA}/sobjects/Account/${account!.id!}`)).status).toBe(200);

    const upd = await t.patch(`${DATA}/composite/sobjects`, {
      records: [{ attributes: { type: 'Account' }, Id: '', Name: 'x' }],
    });
    expect(list<ItemResult>(upd.body)[0]!.errors[0]!.statusCode).toBe('MISSING_ARGUMENT');

    const ups = await t.patch(`${DATA}/composite/sobjects/Case/Handoff_Id__c`, {
      records: [
        { attributes: { type: 'Case' }, Handoff_Id__c: '', Subject: 'empty key' },
        { attributes: { type: 'Case' }, Handoff_Id__c: { nested: true }, Subject: 'object key' },
      ],
    });
    expect(list<ItemResult>(ups.body).map((r) => r.errors[0]?.statusCode)).toEqual([
      'REQUIRED_FIELD_MISSING',
      'REQUIRED_FIELD_MISSING',
    ]);
  });

  it('rejects more than 200 records with 400 EXCEEDED_ID_LIMIT', async () => {
    const res = await t.post(`${DATA}/composite/sobjects`, {
      records: Array.from({ length: 201 }, (_x, i) => ({ attributes: { type: 'Account' }, Name: `A${i}` })),
    });
    expect(res.status).toBe(400);
    expect(res.body[0].errorCode).toBe('EXCEEDED_ID_LIMIT');
  });

  it('works as a composite subrequest (counted among the 5 collections/queries)', async () => {
    const res = await t.post(`${DATA}/composite`, {
      compositeRequest: [
        {
          method: 'POST',
          url: `${DATA}/composite/sobjects`,
          referenceId: 'coll',
          body: { records: [{ attributes: { type: 'Account' }, Name: 'Via composite' }] },
        },
      ],
    });
    expect(res.body.compositeResponse[0].httpStatusCode).toBe(200);
    expect(res.body.compositeResponse[0].body[0].success).toBe(true);
  });
});
