import type { DmlOptions, FieldDescribe, OrgApi, SObjectDescribe, SObjectRecord } from '../org/types';
import { SalesforceApiError } from '../org/types';
import { badRequest, methodNotAllowed, notFound, sfError, toRestResponse, type RestResponse } from './errors';
import { batchSizeFromHeader, type QueryCursors } from './query-cursors';
import { queryColumns } from './query-columns';
import { runBatch, runCollections, runComposite, runGraph } from './composite';

/** One REST call after routing: the resource path below `/services/data/vNN.N/`, already split. */
export interface RestRequest {
  method: string;
  version: string;
  /** Decoded path segments after the version, e.g. `['sobjects', 'Case', '500…']`. */
  segments: string[];
  query: URLSearchParams;
  /** Request headers, names lower-cased. */
  headers: Record<string, string | undefined>;
  body: unknown;
  /** Who is calling (user id): query cursors belong to a user. */
  userId: string;
  /** True for a subrequest of /composite, /composite/batch or /composite/graph. */
  sub?: 'composite' | 'batch' | 'graph';
}

export interface RestContext {
  org: OrgApi;
  cursors: QueryCursors;
  versions: readonly string[];
  /** The `/limits` document. */
  limits: () => Record<string, { Max: number; Remaining: number }>;
  /** PRNG deciding the order of items that carry no promise of order. */
  rng: () => number;
}

export function versionNumber(v: string): number {
  return Number.parseFloat(v);
}

/** A JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function dmlOptions(headers: Record<string, string | undefined>): DmlOptions {
  const h = headers['sforce-auto-assign'];
  if (h === undefined) return {};
  return { autoAssign: h.trim().toUpperCase() !== 'FALSE' };
}

function recordBody(body: unknown): Record<string, unknown> {
  if (!isPlainObject(body)) {
    const token = Array.isArray(body)
      ? 'START_ARRAY'
      : body === undefined || body === null
        ? 'VALUE_NULL'
        : 'VALUE';
    throw badRequest('JSON_PARSER_ERROR', `Cannot deserialize instance of SObject from ${token} value`);
  }
  const { attributes: _attributes, ...fields } = body;
  return fields;
}

/** The REST data API (`/services/data/vNN.N/…`), synchronous over the in-memory org. */
export class RestApi {
  private readonly describes = new Map<string, SObjectDescribe>();

  constructor(readonly ctx: RestContext) {}

  /**
   * The org's describe of an object (NOT_FOUND when unknown), fetched once per name: an org's schema
   * does not change while it runs, and each describe is a deep copy (tens of KB). Shared: read only.
   */
  describe(sobject: string): SObjectDescribe {
    const key = sobject.toLowerCase();
    let d = this.describes.get(key);
    if (!d) {
      d = this.ctx.org.describe(sobject);
      this.describes.set(key, d);
    }
    return d;
  }

  handle(req: RestRequest): RestResponse {
    try {
      return this.route(req);
    } catch (err) {
      return toRestResponse(err);
    }
  }

  /** Adds `attributes: {type, url}` to a record as the REST API shows it. */
  shape(
    sobject: string,
    record: SObjectRecord | Record<string, unknown>,
    version: string,
  ): Record<string, unknown> {
    if (isPlainObject(record.attributes)) return record;
    const id = typeof record.Id === 'string' ? record.Id : '';
    return {
      attributes: { type: sobject, url: `/services/data/v${version}/sobjects/${sobject}/${id}` },
      ...record,
    };
  }

  private route(req: RestRequest): RestResponse {
    const [head, ...rest] = req.segments;
    const inSub = req.sub !== undefined;
    switch (head) {
      case undefined:
      case '':
        if (inSub) throw notFound();
        return this.resources(req);
      case 'sobjects':
        return this.sobjects(req, rest);
      case 'query':
      case 'queryAll':
        return this.query(req, head, rest);
      case 'composite':
        if (rest.length === 0) {
          if (inSub) throw notFound();
          return runComposite(this, req);
        }
        if (rest[0] === 'batch' && rest.length === 1 && !inSub) return runBatch(this, req);
        if (rest[0] === 'graph' && rest.length === 1 && !inSub) return runGraph(this, req);
        if (rest[0] === 'sobjects' && req.sub !== 'graph' && req.sub !== 'batch')
          return runCollections(this, req, rest.slice(1));
        throw notFound();
      case 'limits':
        if (inSub || rest.length > 0) throw notFound();
        if (req.method !== 'GET') throw methodNotAllowed(req.method, ['GET', 'HEAD']);
        return { status: 200, body: this.ctx.limits() };
      default:
        throw notFound();
    }
  }

  private resources(req: RestRequest): RestResponse {
    if (req.method !== 'GET') throw methodNotAllowed(req.method, ['GET', 'HEAD']);
    const base = `/services/data/v${req.version}`;
    return {
      status: 200,
      body: {
        sobjects: `${base}/sobjects`,
        query: `${base}/query`,
        queryAll: `${base}/queryAll`,
        composite: `${base}/composite`,
        limits: `${base}/limits`,
      },
    };
  }

  private sobjects(req: RestRequest, rest: string[]): RestResponse {
    const { org } = this.ctx;
    const v = req.version;
    const m = req.method;
    if (rest.length === 0) {
      if (m !== 'GET') throw methodNotAllowed(m, ['GET', 'HEAD']);
      const global = org.describeGlobal();
      return {
        status: 200,
        body: {
          ...global,
          sobjects: global.sobjects.map((s) => ({ ...s, urls: this.objectUrls(s.name, v) })),
        },
      };
    }
    const describe = this.describe(rest[0] ?? '');
    const name = describe.name;
    if (rest.length === 1) {
      if (m === 'GET') {
        const { fields: _f, childRelationships: _c, ...info } = describe;
        return {
          status: 200,
          body: { objectDescribe: { ...info, urls: this.objectUrls(name, v) }, recentItems: [] },
        };
      }
      if (m === 'POST') {
        const { id } = org.create(name, recordBody(req.body), dmlOptions(req.headers));
        return {
          status: 201,
          body: { id, success: true, errors: [] },
          headers: { Location: `/services/data/v${v}/sobjects/${name}/${id}` },
        };
      }
      throw methodNotAllowed(m, ['GET', 'HEAD', 'POST']);
    }
    if (rest.length === 2 && rest[1] === 'describe') {
      if (m !== 'GET') throw methodNotAllowed(m, ['GET', 'HEAD']);
      return { status: 200, body: { ...structuredClone(describe), urls: this.objectUrls(name, v) } };
    }
    if (rest.length === 2) {
      const id = rest[1] ?? '';
      if (id === 'Id' && m === 'POST') {
        // POST /sobjects/X/Id inserts: the Id is treated as a null external id.
        const { id: newId } = org.create(name, recordBody(req.body), dmlOptions(req.headers));
        return {
          status: 201,
          body: { id: newId, success: true, errors: [], created: true },
          headers: { Location: `/services/data/v${v}/sobjects/${name}/${newId}` },
        };
      }
      switch (m) {
        case 'GET': {
          const fieldsParam = req.query.get('fields');
          const fields = fieldsParam
            ? fieldsParam
                .split(',')
                .map((f) => f.trim())
                .filter((f) => f.length > 0)
            : undefined;
          return { status: 200, body: this.shape(name, org.retrieve(name, id, fields), v) };
        }
        case 'PATCH':
          org.update(name, id, recordBody(req.body), dmlOptions(req.headers));
          return { status: 204 };
        case 'DELETE':
          org.delete(name, id);
          return { status: 204 };
        default:
          throw methodNotAllowed(m, ['GET', 'HEAD', 'PATCH', 'DELETE']);
      }
    }
    if (rest.length === 3) {
      return this.byExternalId(req, name, rest[1] ?? '', rest[2] ?? '');
    }
    throw notFound();
  }

  private objectUrls(name: string, v: string): Record<string, string> {
    const base = `/services/data/v${v}/sobjects/${name}`;
    return { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` };
  }

  /** Records whose external-id field equals `value` (the field must be an external id or idLookup). */
  /** The external-id (or idLookup) field of an object; NOT_FOUND when there is no such field. */
  externalIdField(sobject: string, field: string): { object: string; field: FieldDescribe } {
    const describe = this.describe(sobject);
    const f = describe.fields.find((x) => x.name.toLowerCase() === field.toLowerCase());
    if (!f || !(f.externalId || f.idLookup)) {
      throw notFound(`Provided external ID field does not exist or is not accessible: ${field}`);
    }
    return { object: describe.name, field: f };
  }

  findByExternalId(sobject: string, field: string, value: string): { field: string; ids: string[] } {
    const { object, field: f } = this.externalIdField(sobject, field);
    const describe = { name: object };
    // Equality on an external id goes through SOQL (the org indexes it); text compares ignore case
    // there, so a case-sensitive field is checked again here.
    const literal = `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    const numeric = f.type === 'int' || f.type === 'double' || f.type === 'currency' || f.type === 'percent';
    let rows: Record<string, unknown>[];
    try {
      rows = this.ctx.org.query(
        `SELECT Id, ${f.name} FROM ${describe.name} WHERE ${f.name} = ${numeric && /^-?\d+(\.\d+)?$/.test(value) ? value : literal}`,
      ).records;
    } catch {
      rows = this.ctx.org.list(describe.name);
    }
    const ids: string[] = [];
    for (const r of rows) {
      const cur = r[f.name];
      if (typeof cur !== 'string' && typeof cur !== 'number' && typeof cur !== 'boolean') continue;
      const a = String(cur);
      if (f.caseSensitive ? a === value : a.toLowerCase() === value.toLowerCase()) ids.push(String(r.Id));
    }
    return { field: f.name, ids };
  }

  private multipleMatches(name: string, v: string, ids: string[]): SalesforceApiError {
    return new SalesforceApiError(
      300,
      ids.map((id) => `/services/data/v${v}/sobjects/${name}/${id}`),
    );
  }

  private byExternalId(req: RestRequest, name: string, field: string, value: string): RestResponse {
    const { org } = this.ctx;
    const v = req.version;
    const m = req.method;
    if (field === 'Id') {
      // Upsert keyed on Id: an id that exists is updated.
      if (m !== 'PATCH') throw methodNotAllowed(m, ['PATCH']);
      org.update(name, value, recordBody(req.body), dmlOptions(req.headers));
      return versionNumber(v) >= 46
        ? { status: 200, body: { id: value, success: true, errors: [], created: false } }
        : { status: 204 };
    }
    switch (m) {
      case 'GET':
      case 'DELETE': {
        const found = this.findByExternalId(name, field, value);
        if (found.ids.length === 0) throw notFound();
        if (found.ids.length > 1) throw this.multipleMatches(name, v, found.ids);
        const id = found.ids[0] as string;
        if (m === 'DELETE') {
          org.delete(name, id);
          return { status: 204 };
        }
        const fieldsParam = req.query.get('fields');
        const fields = fieldsParam ? fieldsParam.split(',').map((f) => f.trim()) : undefined;
        return { status: 200, body: this.shape(name, org.retrieve(name, id, fields), v) };
      }
      case 'PATCH':
      case 'POST': {
        const fields = recordBody(req.body);
        if (req.query.get('updateOnly') === 'true') {
          const found = this.findByExternalId(name, field, value);
          if (found.ids.length === 0) throw notFound();
        }
        const writeOptions: DmlOptions & { apiVersion: string } = {
          ...dmlOptions(req.headers),
          apiVersion: v,
        };
        const result = org.upsert(name, field, value, fields, writeOptions);
        if (result.created) {
          return {
            status: 201,
            body: { id: result.id, success: true, errors: [], created: true },
            headers: { Location: `/services/data/v${v}/sobjects/${name}/${result.id}` },
          };
        }
        return versionNumber(v) >= 46
          ? { status: 200, body: { id: result.id, success: true, errors: [], created: false } }
          : { status: 204 };
      }
      default:
        throw methodNotAllowed(m, ['GET', 'HEAD', 'PATCH', 'POST', 'DELETE']);
    }
  }

  private query(req: RestRequest, kind: 'query' | 'queryAll', rest: string[]): RestResponse {
    if (req.method !== 'GET') throw methodNotAllowed(req.method, ['GET', 'HEAD']);
    const { org, cursors } = this.ctx;
    if (rest.length === 1) {
      const page = cursors.nextPage(req.userId, req.version, kind, rest[0] ?? '');
      if (!page) throw badRequest('INVALID_QUERY_LOCATOR', 'invalid query locator');
      return { status: 200, body: page };
    }
    if (rest.length > 1) throw notFound();
    const q = req.query.get('q');
    if (q === null || q.trim() === '') {
      throw badRequest('MALFORMED_QUERY', 'A query string has to be specified');
    }
    const queryOptions: { includeDeleted?: boolean; apiVersion: string } = { apiVersion: req.version };
    if (kind === 'queryAll') queryOptions.includeDeleted = true;
    const result = org.query(q, queryOptions);
    // `&columns=true`: the columns of the query instead of its rows (Developer Console, sf data query).
    if (req.query.get('columns') === 'true') return { status: 200, body: queryColumns(org, q) };
    const batch = batchSizeFromHeader(req.headers['sforce-query-options']);
    return { status: 200, body: cursors.firstPage(req.userId, req.version, kind, result, batch) };
  }
}

/** Splits `/services/data/v63.0/sobjects/X?fields=a` into version, segments and query. */
export function parseDataUrl(
  url: string,
): { version: string; segments: string[]; query: URLSearchParams } | undefined {
  const m = /^\/services\/data\/v(\d{2,3}\.\d)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(url);
  if (!m?.[1]) return undefined;
  const path = m[2] ?? '';
  let segments: string[];
  try {
    segments = path
      .split('/')
      .slice(1)
      // Without '%' there is nothing to decode (and nothing to reject).
      .map((s) => (s.includes('%') ? decodeURIComponent(s) : s));
  } catch {
    return undefined;
  }
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return { version: m[1], segments, query: new URLSearchParams(m[3] ?? '') };
}

export { sfError };
