/**
 * Writes a batch of prepared handoffs to Salesforce: one composite graph per handoff, all graphs in
 * ONE `POST /composite/graph` call (split only when the batch is over a payload limit; the parts are
 * then sent concurrently, at most `maxConcurrentCalls` at once), each
 * handoff succeeding or failing on its own (a graph is all-or-nothing; graphs are independent).
 */
import type { DeliveryOutcome, PreparedHandoff } from '../contract/prepared';
import { isAppError } from '../errors';
import {
  GRAPH_LIMITS,
  nodeTypes,
  planHandoffGraph,
  REF,
  type CompositeGraph,
  type ResolvedIds,
} from '../plan/graph';
import type { SalesforceMapping } from '../plan/mapping';
import { scrubText } from '../redact';
import {
  apiCallsOf,
  type GraphResult,
  type Logger,
  type SalesforceClient,
  type SubrequestResult,
} from './client';
import { classifyErrorCode, firstSalesforceError, toSalesforceError, type RetryClass } from './errors';

export interface DeliveryContext {
  mapping: SalesforceMapping;
  logger?: Logger;
  /** Ids to use instead of client.resolveIds (tests, or a caller that resolved them already). */
  ids?: ResolvedIds;
  /**
   * A graph the caller already planned for exactly this handoff with exactly these ids (the delivery
   * worker plans each handoff once to size its call); used as is, with this batch's graph id.
   */
  planned?: (prepared: PreparedHandoff, ids: ResolvedIds) => CompositeGraph | undefined;
  /** Enrichment window in seconds; mapping.enrichment.dedupeWindowSeconds (0 = off) when absent. */
  dedupeWindowSeconds?: number;
  /** The clock for the enrichment window (tests pass a fixed one). */
  now?: () => Date;
  /**
   * Payloads of one batch sent at once when the batch is over a composite graph limit (default
   * DEFAULT_CONCURRENT_CHUNKS). The delivery worker sizes its batches to one payload (graphNodeCount),
   * so this matters only for a caller that does not, or when a batch still goes over.
   */
  maxConcurrentCalls?: number;
}

/** Payloads of one over-limit batch in flight at once, unless the caller says otherwise. */
export const DEFAULT_CONCURRENT_CHUNKS = 4;

/** Runs `task` over `items` with at most `limit` in flight; resolves when all have settled. */
async function forEachConcurrently<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await task(item);
    }
  };
  const lanes = Math.max(1, Math.min(Math.floor(limit), items.length));
  await Promise.all(Array.from({ length: lanes }, lane));
}

type Failed = Extract<DeliveryOutcome, { kind: 'failed' }>;

/** Extra calls per batch for unknown customers and halted graphs (so at most 3 calls in all). */
const MAX_FOLLOW_UPS = 2;

interface Planned {
  index: number;
  prepared: PreparedHandoff;
  graphId: string;
  /**
   * The graph until its call is on its way. The call's body carries it from then on, and the answer
   * needs only graphId, so the graph (a few hundred small objects) is not kept while Salesforce
   * answers: at 200/s that wait is most of a handoff's life, and everything alive then is copied
   * by each young-generation collection.
   */
  graph: CompositeGraph | undefined;
  linkCustomer: boolean;
}

/** Splits graphs into payloads within the composite graph limits, keeping their order. */
export function chunkGraphs<T extends { graph: CompositeGraph | undefined }>(items: T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let nodes = 0;
  let types = new Set<string>();
  for (const item of items) {
    if (!item.graph) throw new Error('chunkGraphs: a graph that was sent already');
    const n = item.graph.compositeRequest.length;
    const itemTypes = nodeTypes(item.graph);
    const merged = new Set([...types, ...itemTypes]);
    if (
      current.length > 0 &&
      (current.length + 1 > GRAPH_LIMITS.graphsPerPayload ||
        nodes + n > GRAPH_LIMITS.nodesPerPayload ||
        merged.size > GRAPH_LIMITS.nodeTypesPerPayload)
    ) {
      chunks.push(current);
      current = [];
      nodes = 0;
      types = new Set();
    }
    current.push(item);
    nodes += n;
    types = new Set([...types, ...itemTypes]);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Stands for every skill, queue and channel id while only the shape of a graph matters. */
const ANY_ID = '000000000000000AAA';
const anyIds = (): Record<string, string> => new Proxy({}, { get: () => ANY_ID });
const SIZING_IDS: ResolvedIds = { serviceChannelId: ANY_ID, skills: anyIds(), queues: anyIds() };

/**
 * The nodes the handoff's graph takes of a payload's 500, planned as if every skill and queue it names
 * exists (the most it can take), so the worker can fill a call without going over. Throws when the
 * handoff cannot be planned at all (deliverHandoffs then fails it alone, with the reason).
 */
export function graphNodeCount(p: PreparedHandoff, mapping: SalesforceMapping, apiVersion: string): number {
  return planHandoffGraph({ prepared: p, ids: SIZING_IDS, mapping, apiVersion, graphId: 'size' })
    .compositeRequest.length;
}

/** Splits `calls` over `k` handoffs in whole numbers that add up to `calls` (earlier ones first). */
export function apportion(calls: number, k: number): number[] {
  if (k <= 0) return [];
  const each = Math.floor(calls / k);
  const extra = calls - each * k;
  return Array.from({ length: k }, (_, i) => each + (i < extra ? 1 : 0));
}

function failed(
  p: PreparedHandoff,
  retry: RetryClass,
  code: string,
  message: string,
  salesforceApiCalls: number,
): Failed {
  return {
    kind: 'failed',
    handoffId: p.handoffId,
    retry,
    code,
    message: scrubText(message),
    salesforceApiCalls,
  };
}

/** The node that made a graph fail: the first one whose error is not PROCESSING_HALTED. */
function failureOf(g: GraphResult): { referenceId: string; code: string; message: string } {
  let halted: { referenceId: string; code: string; message: string } | undefined;
  for (const r of g.compositeResponse) {
    if (r.httpStatusCode < 400) continue;
    const e = firstSalesforceError(r.body) ?? { code: `ERROR_HTTP_${r.httpStatusCode}`, message: 'failed' };
    if (e.code === 'PROCESSING_HALTED') {
      halted ??= { referenceId: r.referenceId, ...e };
      continue;
    }
    return { referenceId: r.referenceId, ...e };
  }
  return halted ?? { referenceId: '', code: 'PROCESSING_HALTED', message: 'the graph was not processed' };
}

const FOREIGN_KEY_NOT_FOUND = /Foreign key external ID: .* not found for field/i;

function isUnknownCustomer(p: Planned, f: { referenceId: string; code: string; message: string }): boolean {
  return (
    p.linkCustomer &&
    f.referenceId === REF.case &&
    f.code === 'INVALID_FIELD' &&
    FOREIGN_KEY_NOT_FOUND.test(f.message) &&
    Boolean(p.prepared.handoff.identity.customer.externalId) &&
    !p.prepared.handoff.operational.existingCaseId
  );
}

function result(g: GraphResult, ref: string): SubrequestResult | undefined {
  return g.compositeResponse.find((r) => r.referenceId === ref);
}

function delivered(p: Planned, g: GraphResult, calls: number): DeliveryOutcome {
  const existing = p.prepared.handoff.operational.existingCaseId;
  const caseBody = result(g, REF.case)?.body as { id?: string } | null | undefined;
  const readBody = result(g, REF.caseRead)?.body as { Id?: string; CaseNumber?: string } | null | undefined;
  const handoffBody = result(g, REF.handoff)?.body as { id?: string } | null | undefined;
  return {
    kind: 'delivered',
    handoffId: p.prepared.handoffId,
    caseId: existing ?? caseBody?.id ?? readBody?.Id ?? '',
    caseNumber: typeof readBody?.CaseNumber === 'string' ? readBody.CaseNumber : null,
    handoffRecordId: handoffBody?.id ?? '',
    enrichedExistingCase: Boolean(existing),
    salesforceApiCalls: calls,
  };
}

/** A SOQL string literal. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const SALESFORCE_ID = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;

/** What the enrichment lookup needs from a handoff, or undefined when it does not take part. */
function dedupeKey(
  p: PreparedHandoff,
): { caseType: string; externalId?: string; accountId?: string } | undefined {
  const h = p.handoff;
  const caseType = h.operational.caseType;
  if (h.operational.existingCaseId || !caseType) return undefined;
  const { externalId, salesforceAccountId } = h.identity.customer;
  const accountId =
    salesforceAccountId && SALESFORCE_ID.test(salesforceAccountId) ? salesforceAccountId : undefined;
  if (!externalId && !accountId) return undefined;
  return { caseType, ...(externalId ? { externalId } : {}), ...(accountId ? { accountId } : {}) };
}

const same = (a: unknown, b: string | undefined): boolean =>
  typeof a === 'string' && b !== undefined && a.toLowerCase() === b.toLowerCase();
const sameId = (a: unknown, b: string | undefined): boolean =>
  typeof a === 'string' && b !== undefined && a.slice(0, 15) === b.slice(0, 15);

/**
 * Enrich instead of create: for every handoff of the batch that names no case but has a case type and
 * a customer, the newest OPEN case of that customer, opened within the window, that already carries a
 * handoff of the same case type (Bot_Handoff__c.Case_Type__c). Returns batch index → case id.
 *
 * This costs ONE extra API call per batch (a SOQL query, LIMIT 2000 so it is one page), only when the
 * window is configured and some handoff of the batch can take part: the graph cannot find a case by a
 * condition (its nodes address records by id or external id only), so finding the case has to happen
 * before the write. Handoffs of the same batch do not enrich each other's new cases.
 */
export async function findCasesToEnrich(
  batch: PreparedHandoff[],
  client: SalesforceClient,
  mapping: SalesforceMapping,
  windowSeconds: number,
  now: Date,
): Promise<{ matches: Map<number, string>; apiCalls: number }> {
  const matches = new Map<number, string>();
  const keys = batch.map(dedupeKey);
  const wanted = keys.filter((k): k is NonNullable<typeof k> => k !== undefined);
  if (windowSeconds <= 0 || wanted.length === 0) return { matches, apiCalls: 0 };

  const H = mapping.handoff;
  const C = mapping.case;
  const caseRel = H.case.replace(/__c$/, '__r');
  const accountRel = C.accountRelationship;
  const extField = mapping.customer.accountExternalIdField;
  const list = (values: (string | undefined)[]) =>
    [...new Set(values.filter((v): v is string => Boolean(v)))].map(soqlString).join(', ');
  const externalIds = list(wanted.map((k) => k.externalId));
  const accountIds = list(wanted.map((k) => k.accountId));
  const customer = [
    externalIds ? `${caseRel}.${accountRel}.${extField} IN (${externalIds})` : undefined,
    accountIds ? `${caseRel}.${C.accountId} IN (${accountIds})` : undefined,
  ].filter((x): x is string => x !== undefined);
  const since = new Date(now.getTime() - windowSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const soql =
    `SELECT ${H.handoffId}, ${H.caseType}, ${H.case}, ${caseRel}.${C.accountId}, ${caseRel}.${accountRel}.${extField}` +
    ` FROM ${mapping.objects.handoff}` +
    ` WHERE ${caseRel}.IsClosed = false AND ${caseRel}.CreatedDate >= ${since}` +
    ` AND ${H.caseType} IN (${list(wanted.map((k) => k.caseType))})` +
    ` AND (${customer.join(' OR ')})` +
    ` ORDER BY ${caseRel}.CreatedDate DESC LIMIT 2000`;
  const rows = await client.query<Record<string, unknown>>(soql);

  keys.forEach((k, index) => {
    if (!k) return;
    const own = batch[index]?.handoffId;
    const mine = rows.filter((row) => {
      const rel = row[caseRel] as Record<string, unknown> | null | undefined;
      const account = rel?.[accountRel] as Record<string, unknown> | null | undefined;
      return (
        same(row[H.caseType], k.caseType) &&
        (same(account?.[extField], k.externalId) || sameId(rel?.[C.accountId], k.accountId))
      );
    });
    // Written before (an earlier attempt of this very handoff): the normal upsert path is idempotent.
    if (mine.some((row) => row[H.handoffId] === own)) return;
    const newest = mine[0]?.[H.case];
    if (typeof newest === 'string' && newest) matches.set(index, newest);
  });
  return { matches, apiCalls: 1 };
}

/** The handoff with the case to enrich set, as if the bot had named it. */
function enriching(p: PreparedHandoff, caseId: string): PreparedHandoff {
  return {
    ...p,
    handoff: { ...p.handoff, operational: { ...p.handoff.operational, existingCaseId: caseId } },
  };
}

export async function deliverHandoffs(
  batch: PreparedHandoff[],
  client: SalesforceClient,
  ctx: DeliveryContext,
): Promise<DeliveryOutcome[]> {
  const outcomes = new Array<DeliveryOutcome | undefined>(batch.length);
  const calls = new Array<number>(batch.length).fill(0);
  if (batch.length === 0) return [];

  let ids: ResolvedIds;
  try {
    ids = ctx.ids ?? (await client.resolveIds(ctx.mapping));
  } catch (err) {
    const e = toSalesforceError(err, false);
    return batch.map((p) => failed(p, e.retry, e.code, e.message, 0));
  }

  const plan = (p: PreparedHandoff, index: number, linkCustomer: boolean): Planned | undefined => {
    try {
      const reuse = linkCustomer ? ctx.planned?.(p, ids) : undefined;
      const graph = reuse
        ? { ...reuse, graphId: `g${index}` }
        : planHandoffGraph({
            prepared: p,
            ids,
            mapping: ctx.mapping,
            apiVersion: client.apiVersion,
            graphId: `g${index}`,
            linkCustomer,
          });
      return { index, prepared: p, graphId: graph.graphId, graph, linkCustomer };
    } catch (err) {
      // A handoff that cannot be planned (missing skill in the org, a value too long for its field)
      // fails alone and permanently; the others are still sent.
      const code = isAppError(err) ? err.code : 'PLAN_FAILED';
      outcomes[index] = failed(p, 'permanent', code, err instanceof Error ? err.message : String(err), 0);
      return undefined;
    }
  };

  // Enrich instead of create (off unless a window is configured): one query for the whole batch.
  const windowSeconds = ctx.dedupeWindowSeconds ?? ctx.mapping.enrichment?.dedupeWindowSeconds ?? 0;
  let toSend = batch;
  if (windowSeconds > 0) {
    try {
      const found = await findCasesToEnrich(
        batch,
        client,
        ctx.mapping,
        windowSeconds,
        (ctx.now ?? (() => new Date()))(),
      );
      const share = apportion(found.apiCalls, batch.length);
      share.forEach((n, i) => (calls[i] = (calls[i] ?? 0) + n));
      if (found.matches.size > 0) {
        toSend = batch.map((p, i) => {
          const caseId = found.matches.get(i);
          return caseId ? enriching(p, caseId) : p;
        });
      }
    } catch (err) {
      // The lookup is an improvement, not a precondition: without it each handoff still gets a case.
      const e = toSalesforceError(err, false);
      const share = apportion(Math.max(apiCallsOf(err), 1), batch.length);
      share.forEach((n, i) => (calls[i] = (calls[i] ?? 0) + n));
      ctx.logger?.warn('open-case lookup for enrichment failed; creating cases instead', {
        code: e.code,
        handoffIds: batch.map((p) => p.handoffId),
      });
    }
  }

  const planned = toSend.map((p, i) => plan(p, i, true)).filter((x): x is Planned => x !== undefined);

  /** Sends; returns the graphs worth one more try (unknown customer; halted without an error of their own). */
  const send = async (items: Planned[]): Promise<{ unlinked: Planned[]; halted: Planned[] }> => {
    const retryUnlinked: Planned[] = [];
    const halted: Planned[] = [];
    // The payloads of an over-limit batch go out together (bounded), not one round trip after another;
    // each chunk records only its own handoffs' outcomes, so they cannot interfere.
    const sendChunk = async (chunk: Planned[]): Promise<void> => {
      let res;
      try {
        // The client builds the body before its first await; the graphs are let go right after.
        const sending = client.sendGraphs(chunk.map((c) => c.graph as CompositeGraph));
        for (const c of chunk) c.graph = undefined;
        res = await sending;
      } catch (err) {
        const e = toSalesforceError(err, true);
        const share = apportion(Math.max(apiCallsOf(err), 1), chunk.length);
        chunk.forEach((c, i) => {
          calls[c.index] = (calls[c.index] ?? 0) + (share[i] ?? 0);
          outcomes[c.index] = failed(c.prepared, e.retry, e.code, e.message, calls[c.index] ?? 0);
        });
        return;
      }
      const share = apportion(res.apiCalls, chunk.length);
      const byId = new Map(res.graphs.map((g) => [g.graphId, g]));
      chunk.forEach((c, i) => {
        calls[c.index] = (calls[c.index] ?? 0) + (share[i] ?? 0);
        const g = byId.get(c.graphId);
        if (!g) {
          outcomes[c.index] = failed(
            c.prepared,
            'unknown_outcome',
            'SALESFORCE_BAD_RESPONSE',
            `composite/graph answered without graph ${c.graphId}`,
            calls[c.index] ?? 0,
          );
          return;
        }
        if (g.isSuccessful) {
          outcomes[c.index] = delivered(c, g, calls[c.index] ?? 0);
          return;
        }
        const f = failureOf(g);
        if (isUnknownCustomer(c, f)) {
          retryUnlinked.push(c);
          return;
        }
        const retry = classifyErrorCode(f.code);
        if (f.code === 'PROCESSING_HALTED') halted.push(c);
        outcomes[c.index] = failed(
          c.prepared,
          retry,
          retry === 'rate_limited' ? 'SALESFORCE_RATE_LIMITED' : `SALESFORCE_${f.code}`,
          `${f.referenceId ? `${f.referenceId}: ` : ''}${f.code}: ${f.message}`,
          calls[c.index] ?? 0,
        );
      });
    };
    await forEachConcurrently(
      chunkGraphs(items),
      ctx.maxConcurrentCalls ?? DEFAULT_CONCURRENT_CHUNKS,
      sendChunk,
    );
    // Chunks answer in any order; keep the batch's order for the follow-up call.
    retryUnlinked.sort((a, b) => a.index - b.index);
    halted.sort((a, b) => a.index - b.index);
    return { unlinked: retryUnlinked, halted };
  };

  // Follow-up calls, at most MAX_FOLLOW_UPS of them:
  // - The customer's bank customer number is not in Salesforce, so the Case upsert could not link
  //   Account/Contact and the whole graph rolled back. Another call is the only way to still make a
  //   case: Salesforce resolves the link inside the write, so the service cannot know in advance
  //   (checking first would cost a query on every handoff). Each such graph is sent once more
  //   without the link, with a note on the handoff record; all of them share one call.
  // - Graphs Salesforce halted because too many others in the payload failed (14 failures per
  //   payload) never ran: they ride along in the same call instead of waiting for a worker retry.
  let round = await send(planned);
  for (let followUp = 1; round.unlinked.length + round.halted.length > 0; followUp += 1) {
    if (followUp > MAX_FOLLOW_UPS) {
      for (const u of round.unlinked) {
        outcomes[u.index] = failed(
          u.prepared,
          'transient',
          'SALESFORCE_CUSTOMER_NOT_FOUND',
          'the customer was not found and the retry budget of this batch is spent',
          calls[u.index] ?? 0,
        );
      }
      break;
    }
    if (round.unlinked.length > 0) {
      ctx.logger?.warn('customer external id not found; writing the case without the customer link', {
        handoffIds: round.unlinked.map((u) => u.prepared.handoffId),
      });
    }
    // Both kinds are planned again (their graphs were let go when they were sent): without the
    // customer link, or as they were.
    const again = [
      ...round.unlinked.filter((u) => u.linkCustomer).map((u) => plan(u.prepared, u.index, false)),
      ...round.halted.map((h) => plan(h.prepared, h.index, h.linkCustomer)),
    ].filter((x): x is Planned => x !== undefined);
    round = await send(again);
  }

  return outcomes.map(
    (o, i) =>
      o ??
      failed(
        batch[i] as PreparedHandoff,
        'unknown_outcome',
        'DELIVERY_INCOMPLETE',
        'no outcome',
        calls[i] ?? 0,
      ),
  );
}

export interface DeliveredRecord {
  handoffId: string;
  caseId: string;
  caseNumber: string | null;
  handoffRecordId: string;
  /** The Case existed before this handoff's record: the handoff enriched it rather than creating it. */
  enrichedExistingCase: boolean;
}

/**
 * What Salesforce already has for these handoffs, in ONE SOQL query (for the unknown-outcome path:
 * the next attempt finds what was written instead of writing again). Handoffs not found are absent.
 */
export async function findDelivered(
  handoffIds: string[],
  client: SalesforceClient,
  mapping: SalesforceMapping,
): Promise<Map<string, DeliveredRecord>> {
  const found = new Map<string, DeliveredRecord>();
  if (handoffIds.length === 0) return found;
  const H = mapping.handoff;
  const caseRel = H.case.replace(/__c$/, '__r');
  const list = handoffIds.map(soqlString).join(', ');
  const rows = await client.query<Record<string, unknown>>(
    `SELECT Id, CreatedDate, ${H.handoffId}, ${H.case}, ${caseRel}.CaseNumber, ${caseRel}.CreatedDate FROM ${mapping.objects.handoff} WHERE ${H.handoffId} IN (${list})`,
  );
  for (const row of rows) {
    const handoffId = String(row[H.handoffId]);
    const rel = row[caseRel] as { CaseNumber?: unknown; CreatedDate?: unknown } | null | undefined;
    // A graph writes a new Case and its handoff record in one transaction (same CreatedDate); a Case
    // created earlier was enriched by this handoff.
    const caseCreated = typeof rel?.CreatedDate === 'string' ? Date.parse(rel.CreatedDate) : NaN;
    const handoffCreated = typeof row.CreatedDate === 'string' ? Date.parse(row.CreatedDate) : NaN;
    found.set(handoffId, {
      handoffId,
      caseId: String(row[H.case]),
      caseNumber: typeof rel?.CaseNumber === 'string' ? rel.CaseNumber : null,
      handoffRecordId: String(row.Id),
      enrichedExistingCase: caseCreated < handoffCreated,
    });
  }
  return found;
}
