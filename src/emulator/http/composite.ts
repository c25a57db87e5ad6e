import { SalesforceApiError } from '../org/types';
import type { SfErrorItem } from '../org/types';
import {
  badRequest,
  isSuccess,
  methodNotAllowed,
  notFound,
  NOT_FOUND_BODY,
  PROCESSING_HALTED_MESSAGE,
  sfErrorBody,
  toRestResponse,
  type RestResponse,
} from './errors';
import {
  isPlainObject,
  parseDataUrl,
  versionNumber,
  dmlOptions,
  type RestApi,
  type RestRequest,
} from './rest';
import { scheduleOrder } from './util';

export const COMPOSITE_MAX_SUBREQUESTS = 25;
export const COMPOSITE_MAX_QUERIES_OR_COLLECTIONS = 5;
export const BATCH_MAX_SUBREQUESTS = 25;
export const GRAPH_MAX_GRAPHS = 75;
export const GRAPH_MAX_NODES = 500;
export const GRAPH_MAX_DEPTH = 15;
export const GRAPH_MAX_NODE_TYPES = 15;
export const GRAPH_MAX_FAILED_GRAPHS = 14;
export const COLLECTIONS_MAX_RECORDS = 200;

const REFERENCE_ID = /^[A-Za-z0-9][A-Za-z0-9_]*$/;
const REFERENCE = /@\{([A-Za-z0-9][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])+)\}/g;
/** A string that is one reference and nothing else (its value keeps its JSON type). */
const WHOLE_REFERENCE = new RegExp(`^${REFERENCE.source}$`);
/** Every reference starts with this: a string without it has none (most body values). */
const REFERENCE_START = '@{';
const FORBIDDEN_SUB_HEADERS = new Set(['accept', 'authorization', 'content-type']);

interface SubRequest {
  method: string;
  url: string;
  referenceId: string;
  body?: unknown;
  httpHeaders?: Record<string, string>;
}

interface SubResult {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}

class Rollback extends Error {}

function halted(referenceId: string, message = PROCESSING_HALTED_MESSAGE): SubResult {
  return {
    body: sfErrorBody('PROCESSING_HALTED', message),
    httpHeaders: {},
    httpStatusCode: 400,
    referenceId,
  };
}

function invalidInput(message: string): SalesforceApiError {
  return badRequest('JSON_PARSER_ERROR', message);
}

function limitExceeded(message: string): SalesforceApiError {
  return badRequest('LIMIT_EXCEEDED', message);
}

/** Reference ids named in a value (url string or body), in order of appearance. */
function referencedIds(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    if (!value.includes(REFERENCE_START)) return out;
    for (const m of value.matchAll(REFERENCE)) if (m[1]) out.add(m[1]);
  } else if (Array.isArray(value)) {
    for (const v of value) referencedIds(v, out);
  } else if (isPlainObject(value)) {
    for (const v of Object.values(value)) referencedIds(v, out);
  }
  return out;
}

/** Follows `.field` / `[n]` steps into a result body. Field names match exactly first, then case-insensitively. */
function lookupPath(body: unknown, path: string): { found: boolean; value?: unknown } {
  let cur: unknown = body;
  for (const step of path.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/g)) {
    if (step[1] !== undefined) {
      if (!isPlainObject(cur)) return { found: false };
      const key = step[1];
      if (key in cur) cur = cur[key];
      else {
        const alt = Object.keys(cur).find((k) => k.toLowerCase() === key.toLowerCase());
        if (alt === undefined) return { found: false };
        cur = cur[alt];
      }
    } else {
      if (!Array.isArray(cur)) return { found: false };
      const i = Number.parseInt(step[2] ?? '0', 10);
      if (i >= cur.length) return { found: false };
      cur = cur[i] as unknown;
    }
  }
  return cur === undefined ? { found: false } : { found: true, value: cur };
}

class UnresolvedReference extends Error {
  constructor(
    readonly ref: string,
    readonly path: string,
  ) {
    super(`unresolved @{${ref}${path}}`);
  }
}

function resolveString(s: string, results: Map<string, SubResult>, inUrl: boolean): unknown {
  if (!s.includes(REFERENCE_START)) return s;
  const whole = WHOLE_REFERENCE.exec(s);
  const valueOf = (ref: string, path: string): unknown => {
    const r = results.get(ref);
    if (!r || !isSuccess(r.httpStatusCode)) throw new UnresolvedReference(ref, path);
    const hit = lookupPath(r.body, path);
    if (!hit.found) throw new UnresolvedReference(ref, path);
    return hit.value;
  };
  if (whole?.[1] && whole[2] && !inUrl) return valueOf(whole[1], whole[2]);
  return s.replace(REFERENCE, (_m, ref: string, path: string) => {
    const v = valueOf(ref, path);
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    return inUrl ? encodeURIComponent(text) : text;
  });
}

function resolveValue(value: unknown, results: Map<string, SubResult>): unknown {
  if (typeof value === 'string') return resolveString(value, results, false);
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, results));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveValue(v, results);
    return out;
  }
  return value;
}

function unresolvedBody(e: UnresolvedReference): SfErrorItem[] {
  return sfErrorBody(
    'PROCESSING_HALTED',
    `Invalid reference specified. No value for ${e.ref}${e.path} found in ${e.ref}. ` +
      `Provided referenceId ${e.ref} failed, was not run, or has no such field.`,
  );
}

function lowerHeaders(h: Record<string, string> | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/** Parses and checks the subrequest list shared by /composite and /composite/graph. */
function parseSubRequests(list: unknown, where: string): SubRequest[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw invalidInput(`${where} must be a non-empty array of subrequests`);
  }
  const seen = new Set<string>();
  return list.map((raw, i) => {
    if (!isPlainObject(raw)) throw invalidInput(`${where}[${i}] must be an object`);
    const { method, url, referenceId, body, httpHeaders } = raw;
    if (typeof referenceId !== 'string' || referenceId === '') {
      throw invalidInput(`${where}[${i}].referenceId is required`);
    }
    if (!REFERENCE_ID.test(referenceId)) {
      throw invalidInput(
        `Invalid referenceId ${JSON.stringify(referenceId)}: only letters, digits and underscores are allowed, starting with a letter or digit`,
      );
    }
    if (seen.has(referenceId)) throw invalidInput(`Duplicate referenceId ${referenceId}`);
    seen.add(referenceId);
    if (typeof method !== 'string' || !['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD'].includes(method)) {
      throw invalidInput(`${where}[${i}].method must be one of GET, POST, PATCH, PUT, DELETE, HEAD`);
    }
    if (typeof url !== 'string' || !/^\/services\/data\/v\d{2,3}\.\d\//.test(url)) {
      throw invalidInput(`${where}[${i}].url must start with /services/data/vXX.X/`);
    }
    let headers: Record<string, string> | undefined;
    if (httpHeaders !== undefined) {
      if (!isPlainObject(httpHeaders)) throw invalidInput(`${where}[${i}].httpHeaders must be an object`);
      headers = {};
      for (const [k, v] of Object.entries(httpHeaders)) {
        if (FORBIDDEN_SUB_HEADERS.has(k.toLowerCase())) {
          throw invalidInput(
            `The ${k} header cannot be set on a subrequest; it is inherited from the top-level request`,
          );
        }
        if (typeof v !== 'string') throw invalidInput(`${where}[${i}].httpHeaders.${k} must be a string`);
        headers[k] = v;
      }
    }
    return { method, url, referenceId, body, ...(headers ? { httpHeaders: headers } : {}) };
  });
}

/** Runs one subrequest against the REST API with its references resolved. */
function runSub(
  api: RestApi,
  parent: RestRequest,
  sub: SubRequest,
  results: Map<string, SubResult>,
  kind: 'composite' | 'graph',
): SubResult {
  let url: string;
  let body: unknown;
  try {
    url = resolveString(sub.url, results, true) as string;
    body = resolveValue(sub.body, results);
  } catch (e) {
    if (e instanceof UnresolvedReference) {
      return { body: unresolvedBody(e), httpHeaders: {}, httpStatusCode: 400, referenceId: sub.referenceId };
    }
    throw e;
  }
  const parsed = parseDataUrl(url);
  let res: RestResponse;
  if (!parsed || !api.ctx.versions.includes(parsed.version)) {
    res = toRestResponse(notFound());
  } else {
    res = api.handle({
      method: sub.method,
      version: parsed.version,
      segments: parsed.segments,
      query: parsed.query,
      headers: {
        ...lowerHeaders(sub.httpHeaders),
        'sforce-query-options': parent.headers['sforce-query-options'],
      },
      body,
      userId: parent.userId,
      sub: kind,
    });
  }
  return {
    body: res.body === undefined ? null : res.body,
    httpHeaders: res.headers ?? {},
    httpStatusCode: res.status,
    referenceId: sub.referenceId,
  };
}

function isQueryOrCollection(url: string): boolean {
  const parsed = parseDataUrl(url);
  if (!parsed) return false;
  const [a, b] = parsed.segments;
  return a === 'query' || a === 'queryAll' || (a === 'composite' && b === 'sobjects');
}

/** `POST /composite`. */
export function runComposite(api: RestApi, req: RestRequest): RestResponse {
  if (req.method !== 'POST') throw methodNotAllowed(req.method, ['POST']);
  if (!isPlainObject(req.body)) throw invalidInput('The composite request body must be a JSON object');
  const { allOrNone, collateSubrequests, compositeRequest } = req.body;
  if (allOrNone !== undefined && typeof allOrNone !== 'boolean')
    throw invalidInput('allOrNone must be a boolean');
  if (collateSubrequests !== undefined && typeof collateSubrequests !== 'boolean') {
    throw invalidInput('collateSubrequests must be a boolean');
  }
  const subs = parseSubRequests(compositeRequest, 'compositeRequest');
  if (subs.length > COMPOSITE_MAX_SUBREQUESTS) {
    throw limitExceeded(
      `A composite request can contain at most ${COMPOSITE_MAX_SUBREQUESTS} subrequests; this one has ${subs.length}`,
    );
  }
  const heavy = subs.filter((s) => isQueryOrCollection(s.url)).length;
  if (heavy > COMPOSITE_MAX_QUERIES_OR_COLLECTIONS) {
    throw limitExceeded(
      `A composite request can contain at most ${COMPOSITE_MAX_QUERIES_OR_COLLECTIONS} query or sObject Collections subrequests; this one has ${heavy}`,
    );
  }
  const index = new Map(subs.map((s, i) => [s.referenceId, i]));
  // A reference must name a subrequest listed before it.
  const deps: number[][] = subs.map((s, i) => {
    const d: number[] = [];
    for (const ref of referencedIds([s.url, s.body])) {
      const j = index.get(ref);
      if (j !== undefined && j < i) d.push(j);
    }
    return d;
  });
  const collate = collateSubrequests ?? versionNumber(req.version) >= 49;
  let order: number[];
  if (!collate) {
    order = subs.map((_s, i) => i);
  } else {
    // Subrequests with httpHeaders are never collated: they keep their listed position.
    const constrained = deps.map((d, i) => {
      const out = [...d];
      for (let j = 0; j < subs.length; j++) {
        if (j === i) continue;
        const pinned = subs[i]?.httpHeaders !== undefined || subs[j]?.httpHeaders !== undefined;
        if (pinned && j < i) out.push(j);
      }
      return out;
    });
    order = scheduleOrder(subs.length, constrained, api.ctx.rng) ?? subs.map((_s, i) => i);
  }

  const results = new Map<string, SubResult>();
  // A subrequest sees only the results of subrequests listed before it, whatever ran first.
  const earlier = (i: number): Map<string, SubResult> =>
    new Map([...results].filter(([ref]) => (index.get(ref) ?? Number.MAX_SAFE_INTEGER) < i));
  const execute = (): void => {
    for (const i of order) {
      const sub = subs[i] as SubRequest;
      const failedDep = (deps[i] ?? []).find((j) => {
        const r = results.get((subs[j] as SubRequest).referenceId);
        return !r || !isSuccess(r.httpStatusCode);
      });
      let result: SubResult;
      if (failedDep !== undefined) {
        const ref = (subs[failedDep] as SubRequest).referenceId;
        result = halted(
          sub.referenceId,
          `Invalid reference specified. No value for ${ref} found: subrequest ${ref} did not succeed.`,
        );
      } else if (allOrNone === true) {
        result = runSub(api, req, sub, earlier(i), 'composite');
      } else {
        // Without allOrNone each subrequest commits (or rolls back) on its own.
        try {
          result = api.ctx.org.transaction(() => {
            const r = runSub(api, req, sub, earlier(i), 'composite');
            if (!isSuccess(r.httpStatusCode)) throw new RollbackWith(r);
            return r;
          });
        } catch (e) {
          if (e instanceof RollbackWith) result = e.result;
          else throw e;
        }
      }
      results.set(sub.referenceId, result);
      if (allOrNone === true && !isSuccess(result.httpStatusCode)) throw new Rollback();
    }
  };

  if (allOrNone === true) {
    try {
      api.ctx.org.transaction(execute);
    } catch (e) {
      if (!(e instanceof Rollback)) throw e;
      const failed = [...results.values()].find((r) => !isSuccess(r.httpStatusCode));
      return {
        status: 200,
        body: {
          compositeResponse: subs.map((s) =>
            failed && s.referenceId === failed.referenceId ? failed : halted(s.referenceId),
          ),
        },
      };
    }
  } else {
    execute();
  }
  return {
    status: 200,
    body: { compositeResponse: subs.map((s) => results.get(s.referenceId) as SubResult) },
  };
}

class RollbackWith extends Error {
  constructor(readonly result: SubResult) {
    super('rollback');
  }
}

/** `POST /composite/batch`: up to 25 independent subrequests, each in its own transaction. */
export function runBatch(api: RestApi, req: RestRequest): RestResponse {
  if (req.method !== 'POST') throw methodNotAllowed(req.method, ['POST']);
  if (!isPlainObject(req.body)) throw invalidInput('The batch request body must be a JSON object');
  const { batchRequests, haltOnError } = req.body;
  if (!Array.isArray(batchRequests) || batchRequests.length === 0) {
    throw invalidInput('batchRequests must be a non-empty array');
  }
  if (batchRequests.length > BATCH_MAX_SUBREQUESTS) {
    throw limitExceeded(
      `A batch request can contain at most ${BATCH_MAX_SUBREQUESTS} subrequests; this one has ${batchRequests.length}`,
    );
  }
  const items = batchRequests.map((raw, i) => {
    if (!isPlainObject(raw) || typeof raw.method !== 'string' || typeof raw.url !== 'string') {
      throw invalidInput(`batchRequests[${i}] needs a method and a url`);
    }
    const url = raw.url.startsWith('/services/data/')
      ? raw.url
      : `/services/data/${raw.url.replace(/^\//, '')}`;
    return { method: raw.method, url, body: raw.richInput };
  });
  const order =
    scheduleOrder(
      items.length,
      items.map(() => []),
      api.ctx.rng,
    ) ?? items.map((_x, i) => i);
  const results: { statusCode: number; result: unknown }[] = new Array<{
    statusCode: number;
    result: unknown;
  }>(items.length);
  let halt = false;
  for (const i of order) {
    const item = items[i] as { method: string; url: string; body: unknown };
    if (halt) {
      results[i] = {
        statusCode: 412,
        result: sfErrorBody('BATCH_PROCESSING_HALTED', 'Batch processing halted per request'),
      };
      continue;
    }
    const parsed = parseDataUrl(item.url);
    let res: RestResponse;
    if (!parsed || !api.ctx.versions.includes(parsed.version)) {
      res = { status: 404, body: NOT_FOUND_BODY };
    } else {
      try {
        res = api.ctx.org.transaction(() => {
          const r = api.handle({
            method: item.method,
            version: parsed.version,
            segments: parsed.segments,
            query: parsed.query,
            headers: { 'sforce-query-options': req.headers['sforce-query-options'] },
            body: item.body,
            userId: req.userId,
            sub: 'batch',
          });
          if (!isSuccess(r.status)) throw new RollbackResponse(r);
          return r;
        });
      } catch (e) {
        if (e instanceof RollbackResponse) res = e.response;
        else throw e;
      }
    }
    results[i] = { statusCode: res.status, result: res.body === undefined ? null : res.body };
    if (!isSuccess(res.status) && haltOnError === true) halt = true;
  }
  return { status: 200, body: { hasErrors: results.some((r) => !isSuccess(r.statusCode)), results } };
}

class RollbackResponse extends Error {
  constructor(readonly response: RestResponse) {
    super('rollback');
  }
}

const GRAPH_NODE_URL =
  /^\/services\/data\/v(\d{2,3}\.\d)\/sobjects\/([A-Za-z0-9_]+)(?:\/([^/?]+))?(?:\/([^/?]+))?(?:\?.*)?$/;

/** `POST /composite/graph` (API 50.0+). */
export function runGraph(api: RestApi, req: RestRequest): RestResponse {
  if (req.method !== 'POST') throw methodNotAllowed(req.method, ['POST']);
  if (versionNumber(req.version) < 50) throw notFound();
  if (!isPlainObject(req.body)) throw invalidInput('The graph request body must be a JSON object');
  const { graphs } = req.body;
  if (!Array.isArray(graphs) || graphs.length === 0) throw invalidInput('graphs must be a non-empty array');
  if (graphs.length > GRAPH_MAX_GRAPHS) {
    throw limitExceeded(
      `A request can contain at most ${GRAPH_MAX_GRAPHS} graphs; this one has ${graphs.length}`,
    );
  }
  const seenGraphIds = new Set<string>();
  const nodeTypes = new Set<string>();
  let totalNodes = 0;
  const parsed = graphs.map((g, gi) => {
    if (!isPlainObject(g)) throw invalidInput(`graphs[${gi}] must be an object`);
    const { graphId, compositeRequest } = g;
    if (typeof graphId !== 'string' || graphId === '')
      throw invalidInput(`graphs[${gi}].graphId is required`);
    if (seenGraphIds.has(graphId)) throw invalidInput(`Duplicate graphId ${graphId}`);
    seenGraphIds.add(graphId);
    const nodes = parseSubRequests(compositeRequest, `graphs[${gi}].compositeRequest`);
    totalNodes += nodes.length;
    for (const n of nodes) {
      const m = GRAPH_NODE_URL.exec(n.url);
      const version = m?.[1];
      if (!m || !version || versionNumber(version) < 50) {
        throw invalidInput(
          `Graph node ${n.referenceId}: the url must be /services/data/vXX.X/sobjects/… with version 50.0 or later`,
        );
      }
      const shape = m[4] !== undefined ? 'extId' : m[3] !== undefined ? 'id' : 'object';
      const allowed =
        shape === 'object'
          ? ['POST']
          : shape === 'id'
            ? ['GET', 'PATCH', 'DELETE']
            : ['GET', 'PATCH', 'POST', 'DELETE'];
      if (!allowed.includes(n.method)) {
        throw invalidInput(`Graph node ${n.referenceId}: method ${n.method} is not supported for this url`);
      }
      nodeTypes.add(`${version}|${n.method}|${(m[2] ?? '').toLowerCase()}`);
    }
    const index = new Map(nodes.map((n, i) => [n.referenceId, i]));
    const deps = nodes.map((n) => {
      const d: number[] = [];
      for (const ref of referencedIds([n.url, n.body])) {
        const j = index.get(ref);
        if (j !== undefined) d.push(j);
      }
      return d;
    });
    const order = scheduleOrder(nodes.length, deps, api.ctx.rng);
    if (!order) throw invalidInput(`Graph ${graphId} has a reference cycle`);
    // Depth: the longest chain of references.
    const depth = new Array<number>(nodes.length).fill(1);
    for (const i of order)
      for (const j of deps[i] ?? []) depth[i] = Math.max(depth[i] ?? 1, (depth[j] ?? 1) + 1);
    const maxDepth = Math.max(...depth);
    if (maxDepth > GRAPH_MAX_DEPTH) {
      throw limitExceeded(`Graph ${graphId} is ${maxDepth} levels deep; the limit is ${GRAPH_MAX_DEPTH}`);
    }
    return { graphId, nodes, deps, order };
  });
  if (totalNodes > GRAPH_MAX_NODES) {
    throw limitExceeded(
      `A request can contain at most ${GRAPH_MAX_NODES} nodes in total; this one has ${totalNodes}`,
    );
  }
  if (nodeTypes.size > GRAPH_MAX_NODE_TYPES) {
    throw limitExceeded(
      `A request can contain at most ${GRAPH_MAX_NODE_TYPES} different node types; this one has ${nodeTypes.size}`,
    );
  }

  // Graphs are independent of each other: they carry no promise of order either.
  const graphOrder =
    scheduleOrder(
      parsed.length,
      parsed.map(() => []),
      api.ctx.rng,
    ) ?? parsed.map((_g, i) => i);
  const out = new Array<{
    graphId: string;
    graphResponse: { compositeResponse: SubResult[] };
    isSuccessful: boolean;
  }>(parsed.length);
  let failedGraphs = 0;
  for (const gi of graphOrder) {
    const g = parsed[gi] as (typeof parsed)[number];
    if (failedGraphs >= GRAPH_MAX_FAILED_GRAPHS) {
      out[gi] = {
        graphId: g.graphId,
        graphResponse: { compositeResponse: g.nodes.map((n) => halted(n.referenceId)) },
        isSuccessful: false,
      };
      continue;
    }
    const results = new Map<string, SubResult>();
    let failed: SubResult | undefined;
    try {
      api.ctx.org.transaction(() => {
        for (const i of g.order) {
          const node = g.nodes[i] as SubRequest;
          const r = runSub(api, req, node, results, 'graph');
          results.set(node.referenceId, r);
          if (!isSuccess(r.httpStatusCode)) {
            failed = r;
            throw new Rollback();
          }
        }
      });
    } catch (e) {
      if (!(e instanceof Rollback)) throw e;
    }
    if (failed) {
      failedGraphs++;
      const f = failed;
      out[gi] = {
        graphId: g.graphId,
        graphResponse: {
          compositeResponse: g.nodes.map((n) =>
            n.referenceId === f.referenceId ? f : halted(n.referenceId),
          ),
        },
        isSuccessful: false,
      };
    } else {
      out[gi] = {
        graphId: g.graphId,
        graphResponse: { compositeResponse: g.nodes.map((n) => results.get(n.referenceId) as SubResult) },
        isSuccessful: true,
      };
    }
  }
  return { status: 200, body: { graphs: out } };
}

/** An sObject Collections item error uses `statusCode`, not `errorCode`. */
function collectionErrors(err: unknown): { statusCode: string; message: string; fields: string[] }[] {
  const res = toRestResponse(err);
  const body = Array.isArray(res.body) ? (res.body as SfErrorItem[]) : [];
  if (body.length === 0)
    return [{ statusCode: 'UNKNOWN_EXCEPTION', message: 'An unexpected error occurred', fields: [] }];
  return body.map((e) => ({ statusCode: e.errorCode, message: e.message, fields: e.fields ?? [] }));
}

const ROLLED_BACK = {
  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
  fields: [] as string[],
};

type ItemResult = Record<string, unknown> & { success: boolean };

/** Runs one operation per item, each alone or all in one transaction (allOrNone). */
function runItems<T>(
  api: RestApi,
  items: readonly T[],
  allOrNone: boolean,
  op: (item: T) => Record<string, unknown>,
  idOf: (item: T) => string | undefined,
): ItemResult[] {
  const failure = (item: T, errors: unknown[]): ItemResult => {
    const id = idOf(item);
    return { ...(id ? { id } : {}), success: false, errors };
  };
  const runOne = (item: T): ItemResult => {
    try {
      return { ...op(item), success: true, errors: [] };
    } catch (e) {
      return failure(item, collectionErrors(e));
    }
  };
  if (!allOrNone) {
    return items.map((item) => {
      try {
        return api.ctx.org.transaction(() => {
          const r = runOne(item);
          if (!r.success) throw new RollbackItem(r);
          return r;
        });
      } catch (e) {
        if (e instanceof RollbackItem) return e.item;
        throw e;
      }
    });
  }
  let results: ItemResult[] = [];
  try {
    api.ctx.org.transaction(() => {
      results = items.map(runOne);
      if (results.some((r) => !r.success)) throw new Rollback();
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
    return results.map((r, i) => (r.success ? failure(items[i] as T, [ROLLED_BACK]) : r));
  }
  return results;
}

class RollbackItem extends Error {
  constructor(readonly item: ItemResult) {
    super('rollback');
  }
}

function tooManyRecords(): SalesforceApiError {
  return badRequest(
    'EXCEEDED_ID_LIMIT',
    `record limit reached. cannot submit more than ${COLLECTIONS_MAX_RECORDS} records into this call`,
  );
}

/** A collections record: its `attributes.type`, and its fields without `attributes`. */
interface TypedRecord {
  type: string;
  fields: Record<string, unknown>;
}

/** The body of a collections write: every record an object with a type, checked before any runs. */
function collectionRecords(body: unknown): { allOrNone: boolean; records: TypedRecord[] } {
  if (!isPlainObject(body)) throw invalidInput('The request body must be a JSON object with a records array');
  const { allOrNone, records } = body;
  if (allOrNone !== undefined && typeof allOrNone !== 'boolean')
    throw invalidInput('allOrNone must be a boolean');
  if (!Array.isArray(records)) throw invalidInput('records must be an array');
  if (records.length > COLLECTIONS_MAX_RECORDS) throw tooManyRecords();
  const objects = records.map((r, i) => {
    if (!isPlainObject(r)) throw invalidInput(`records[${i}] must be an object`);
    return r;
  });
  const typed = objects.map(({ attributes, ...fields }, i) => {
    const type = isPlainObject(attributes) && typeof attributes.type === 'string' ? attributes.type : '';
    if (type === '') {
      throw badRequest('INVALID_TYPE', `records[${i}]: attributes.type is required for each record`);
    }
    return { type, fields };
  });
  return { allOrNone: allOrNone === true, records: typed };
}

function stringId(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** `/composite/sobjects` (sObject Collections). */
export function runCollections(api: RestApi, req: RestRequest, rest: string[]): RestResponse {
  const { org } = api.ctx;
  if (versionNumber(req.version) < 42) throw notFound();
  const options = dmlOptions(req.headers);
  const v = req.version;
  if (rest.length === 0) {
    switch (req.method) {
      case 'POST': {
        const { allOrNone, records } = collectionRecords(req.body);
        const results = runItems(
          api,
          records,
          allOrNone,
          ({ type, fields }) => {
            if (fields.Id !== undefined && fields.Id !== null) {
              throw badRequest('INVALID_FIELD', 'Cannot specify Id in an insert call', ['Id']);
            }
            return { id: org.create(type, fields, options).id };
          },
          () => undefined,
        );
        return { status: 200, body: results };
      }
      case 'PATCH': {
        const { allOrNone, records } = collectionRecords(req.body);
        const results = runItems(
          api,
          records,
          allOrNone,
          ({ type, fields: { Id, ...fields } }) => {
            if (typeof Id !== 'string' || Id === '') {
              throw badRequest('MISSING_ARGUMENT', 'Id not specified in an update call', ['Id']);
            }
            org.update(type, Id, fields, options);
            return { id: Id };
          },
          (r) => stringId(r.fields.Id),
        );
        return { status: 200, body: results };
      }
      case 'DELETE': {
        const idsParam = req.query.get('ids');
        if (!idsParam) throw badRequest('MISSING_ARGUMENT', 'The ids parameter is required');
        const ids = idsParam
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        if (ids.length > COLLECTIONS_MAX_RECORDS) throw tooManyRecords();
        const allOrNone = req.query.get('allOrNone') === 'true';
        const objectOf = objectsByKeyPrefix(api);
        const results = runItems(
          api,
          ids,
          allOrNone,
          (id) => {
            org.delete(objectOf(id), id);
            return { id };
          },
          (id) => id,
        );
        return { status: 200, body: results };
      }
      default:
        throw methodNotAllowed(req.method, ['POST', 'PATCH', 'DELETE']);
    }
  }
  const sobject = api.describe(rest[0] ?? '').name;
  if (rest.length === 1) {
    if (req.method !== 'GET' && req.method !== 'POST') throw methodNotAllowed(req.method, ['GET', 'POST']);
    let ids: string[];
    let fields: string[];
    if (req.method === 'GET') {
      ids = (req.query.get('ids') ?? '').split(',').filter((s) => s !== '');
      fields = (req.query.get('fields') ?? '').split(',').filter((s) => s !== '');
    } else {
      const b = isPlainObject(req.body) ? req.body : {};
      ids = Array.isArray(b.ids) ? b.ids.filter((x): x is string => typeof x === 'string') : [];
      fields = Array.isArray(b.fields) ? b.fields.filter((x): x is string => typeof x === 'string') : [];
    }
    if (ids.length === 0) throw badRequest('MISSING_ARGUMENT', 'The ids parameter is required');
    if (fields.length === 0) throw badRequest('MISSING_ARGUMENT', 'The fields parameter is required');
    if (ids.length > 2000)
      throw badRequest('EXCEEDED_ID_LIMIT', 'record limit reached. cannot submit more than 2000 ids');
    const out = ids.map((id) => {
      try {
        return api.shape(sobject, org.retrieve(sobject, id, fields), v);
      } catch (e) {
        if (e instanceof SalesforceApiError && e.status === 404) return null;
        throw e;
      }
    });
    return { status: 200, body: out };
  }
  if (rest.length === 2) {
    if (req.method !== 'PATCH') throw methodNotAllowed(req.method, ['PATCH']);
    if (versionNumber(v) < 46) throw notFound();
    const extField = rest[1] ?? '';
    const { allOrNone, records } = collectionRecords(req.body);
    records.forEach(({ type }, i) => {
      if (type.toLowerCase() !== sobject.toLowerCase()) {
        throw badRequest('INVALID_TYPE', `records[${i}]: every record must be a ${sobject}`);
      }
    });
    // Validates the field name once for the whole call (NOT_FOUND if it is not an external id).
    api.externalIdField(sobject, extField);
    const results = runItems(
      api,
      records,
      allOrNone,
      ({ fields: r }) => {
        const key = Object.keys(r).find((k) => k.toLowerCase() === extField.toLowerCase());
        const value = key === undefined ? undefined : r[key];
        if ((typeof value !== 'string' && typeof value !== 'number') || value === '') {
          throw badRequest('REQUIRED_FIELD_MISSING', `Required fields are missing: [${extField}]`, [
            extField,
          ]);
        }
        const { [key as string]: _drop, ...fields } = r;
        const res = org.upsert(sobject, extField, String(value), fields, options);
        return { id: res.id, created: res.created };
      },
      () => undefined,
    );
    return { status: 200, body: results };
  }
  throw notFound();
}

/** Which object an id belongs to, from its key prefix (the org's objects listed once per call). */
function objectsByKeyPrefix(api: RestApi): (id: string) => string {
  const byPrefix = new Map(api.ctx.org.describeGlobal().sobjects.map((s) => [s.keyPrefix, s.name]));
  return (id) => {
    const name = byPrefix.get(id.slice(0, 3));
    if (name === undefined || (id.length !== 15 && id.length !== 18)) {
      throw badRequest('MALFORMED_ID', `malformed id ${id}`);
    }
    return name;
  };
}
