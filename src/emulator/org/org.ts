/**
 * The org: records, ids, DML validation, relationships, transactions and SOQL, all in memory.
 *
 * This is the seam between the data layer and the HTTP layer:
 * - every public method is synchronous and throws `SalesforceApiError` (status + Salesforce error body);
 * - each DML call is atomic on its own, and `transaction(fn)` groups calls (composite allOrNone, graphs);
 * - `onChange` listeners hear committed changes, in commit order, after the outermost transaction
 *   commits; changes written by a listener are queued behind the ones being delivered;
 * - `systemCreate` / `systemUpdate` write as the platform does (read-only fields allowed, the PSR lock
 *   ignored), for the Omni-Channel simulator and seeding; everything else validates like the REST API;
 * - `query(soql, { apiVersion })` and `upsert(…, { apiVersion })` put that version in record URLs
 *   (default: `OrgOptions.apiVersion`, 63.0).
 *
 * Errors (status, errorCode):
 * - 404 NOT_FOUND: unknown object, missing record, unknown or non-external-id upsert field
 *   ("Provided external ID field does not exist or is not accessible: X");
 * - 404 ENTITY_IS_DELETED: retrieve/update/delete of a record in the recycle bin (400 when a write body
 *   references one);
 * - 400 MALFORMED_ID: malformed id or id of another object ("<Label>: id value of incorrect type: <v>");
 * - 400 INVALID_FIELD: unknown field ("No such column 'X' on sobject of type Y"), foreign key by external
 *   id not found ("Foreign key external ID: v not found for field F in entity E"), both `Account` and
 *   `AccountId` given, a relationship keyed by a non-external-id field;
 * - 400 JSON_PARSER_ERROR: a value of the wrong JSON type ("Cannot deserialize instance of boolean from
 *   VALUE_STRING value yes or request may be missing a required field");
 * - 400 REQUIRED_FIELD_MISSING, STRING_TOO_LONG, INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST,
 *   NUMBER_OUTSIDE_VALID_RANGE, INVALID_EMAIL_ADDRESS, DUPLICATE_VALUE, INVALID_CROSS_REFERENCE_KEY,
 *   INVALID_FIELD_FOR_INSERT_UPDATE (not createable/updateable, master-detail reparent, Id on insert),
 *   DELETE_FAILED (restricting children), INACTIVE_OWNER_OR_USER;
 * - 300 with a JSON array of record URLs: an upsert key that matches several records.
 * UNCONFIRMED (the emulator's reading, not found in Salesforce documentation): FIELD_INTEGRITY_EXCEPTION
 * for an edit of a PendingServiceRouting that is ready for routing (and its SkillRequirements), for a
 * Group owner that is not a queue supporting the object, and for a PSR work item the channel does not
 * route; INVALID_TYPE_FOR_OPERATION for objects that cannot be inserted/updated/deleted;
 * INVALID_FIELD_FOR_INSERT_UPDATE for person fields on business accounts (and Name on person accounts).
 */
import { objectSummary, type FieldDef, type ObjectDef, type Schema } from '../schema/model';
import { buildSchemaWithInfo } from '../schema/force-app';
import { AUDIT_FIELDS } from '../schema/fields';
import {
  duplicateValue,
  entityIsDeleted,
  invalidCrossReference,
  malformedId,
  noSuchColumnOnEntity,
  noSuchColumnOnSobject,
  notFound,
  notWritable,
  requiredMissing,
  sfError,
  badRestrictedPicklist,
} from './errors';
import { IdGenerator, keyPrefixOf, normalizeId } from './ids';
import { runQuery } from './soql';
import { Store } from './store';
import type {
  ChangeFilter,
  DmlOptions,
  OrgApi,
  QueryResult,
  RecordChange,
  SObjectDescribe,
  SObjectRecord,
  UpsertResult,
} from './types';
import { SalesforceApiError } from './types';
import { coerceValue, formatDateTime } from './values';

export const DEFAULT_API_VERSION = '63.0';

export interface OrgOptions {
  /** A prepared schema (tests); otherwise built from the standard objects and `forceAppDir`. */
  schema?: Schema;
  /** Case statuses that close a case (with `schema`; default `Closed`). */
  closedCaseStatuses?: Iterable<string>;
  /** A force-app source tree whose custom objects and fields extend the standard objects. */
  forceAppDir?: string;
  /** Version used in record URLs (`/services/data/vXX.X/sobjects/…`) when a call does not give one. */
  apiVersion?: string;
  /** The clock (default: the system clock). Datetimes are stored in Salesforce's format. */
  now?: () => Date;
  /** Two characters of every generated id after the key prefix. */
  instance?: string;
  orgName?: string;
  /** Id of the Organization record (00D…), so it can match the org id the HTTP layer hands out. */
  organizationId?: string;
  /**
   * Called when a change listener throws (the write is committed either way). Without it, the first
   * listener error is re-thrown to the caller after every listener has heard every change.
   */
  onListenerError?: (error: unknown, change: RecordChange) => void;
}

/** Extra options of the data layer's write calls beyond `DmlOptions`. */
export interface WriteOptions extends DmlOptions {
  /** API version for record URLs in 300 answers. */
  apiVersion?: string;
}

interface SnapshotV1 {
  format: 'fsc-handoff-org';
  version: 1;
  records: Record<string, SObjectRecord[]>;
  deleted: { sobject: string; record: SObjectRecord }[];
  counters: Record<string, number>;
  ids: Record<string, number>;
  clock: number;
}

type Body = Record<string, unknown>;

/** Field values after parsing a write body: canonical field name → raw JSON value. */
type ParsedBody = Map<string, unknown>;

export function recordUrl(apiVersion: string, sobject: string, id: string): string {
  return `/services/data/v${apiVersion}/sobjects/${sobject}/${id}`;
}

/** A write body must be a JSON object. */
function assertBody(body: unknown): asserts body is Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw sfError(
      400,
      'JSON_PARSER_ERROR',
      `Cannot deserialize instance of sObject from ${Array.isArray(body) ? 'START_ARRAY' : 'VALUE_' + (body === null ? 'NULL' : typeof body).toUpperCase()} value or request may be missing a required field`,
    );
  }
}

/** A stored JSON value as message text. */
function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/**
 * A deep copy of a record. Field values are JSON scalars (coerceValue stores nothing else), and then
 * a spread copies everything; a record holding an object or array is deep-cloned instead.
 */
function copyRecord(rec: SObjectRecord): SObjectRecord {
  for (const k in rec) {
    const v = rec[k];
    if (typeof v === 'object' && v !== null) return structuredClone(rec);
  }
  return { ...rec };
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Org implements OrgApi {
  readonly schema: Schema;
  readonly apiVersion: string;
  private readonly closedCaseStatuses: Set<string>;
  private readonly store: Store;
  private readonly ids: IdGenerator;
  private readonly now: () => Date;
  /** Change listeners → which changes they hear, and whether they only read them. */
  private readonly listeners = new Map<(c: RecordChange) => void, ChangeFilter>();
  private readonly hashes = new Map<string, number>();
  private readonly pending: RecordChange[] = [];
  private emitting = false;
  private unheard = 0;
  private lastTime = 0;
  private readonly orgName: string;
  private readonly fixedOrganizationId: string | undefined;
  private readonly onListenerError: ((error: unknown, change: RecordChange) => void) | undefined;
  private readonly instance: string;
  /** Built-in records, re-created by reset(). */
  organizationId = '';
  runningUserId = '';
  personAccountRecordTypeId = '';
  businessAccountRecordTypeId = '';

  constructor(options: OrgOptions = {}) {
    if (options.schema) {
      this.schema = options.schema;
      this.closedCaseStatuses = new Set(options.closedCaseStatuses ?? ['Closed']);
    } else {
      const built = buildSchemaWithInfo(options.forceAppDir);
      this.schema = built.schema;
      this.closedCaseStatuses = built.closedCaseStatuses;
    }
    this.apiVersion = options.apiVersion ?? DEFAULT_API_VERSION;
    this.now = options.now ?? (() => new Date());
    this.orgName = options.orgName ?? 'FSC Handoff Emulator';
    this.onListenerError = options.onListenerError;
    if (options.organizationId !== undefined) {
      const n = normalizeId(options.organizationId);
      if (!n || keyPrefixOf(n) !== '00D')
        throw new Error(`organizationId must be an 00D id: ${options.organizationId}`);
      this.fixedOrganizationId = n;
    }
    this.instance = options.instance ?? 'Dx';
    this.ids = new IdGenerator(this.instance);
    this.store = new Store(this.schema);
    this.bootstrap();
  }

  // -------------------------------------------------------------------------------------------------
  // Describe

  describeGlobal(): ReturnType<OrgApi['describeGlobal']> {
    return {
      encoding: 'UTF-8',
      maxBatchSize: 200,
      sobjects: this.schema
        .objects()
        .map(objectSummary)
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  describe(sobject: string): SObjectDescribe {
    const d = this.schema.describe(sobject);
    if (!d) throw notFound();
    return d;
  }

  // -------------------------------------------------------------------------------------------------
  // Transactions and change events

  transaction<T>(fn: () => T): T {
    this.store.begin();
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.store.rollback();
      throw e;
    }
    const changes = this.store.commit();
    // Changes are delivered in commit order. A listener that writes (the Omni simulator) starts a new
    // transaction whose changes join the queue behind the ones still being delivered. Every listener
    // hears every change even when one of them throws; the write stays committed.
    this.pending.push(...changes);
    let failure: { error: unknown } | undefined;
    if (!this.emitting) {
      this.emitting = true;
      try {
        for (let c = this.pending.shift(); c; c = this.pending.shift()) {
          // A change holds the stored record objects themselves (never changed in place: every write
          // stores a new object); each listener gets its own deep copy, so none can touch the org,
          // except listeners that declared they only read (the Omni simulator).
          for (const [l, { sobjects, readOnly }] of [...this.listeners]) {
            if (sobjects && !sobjects.has(c.sobject)) continue;
            try {
              l(readOnly === true ? c : structuredClone(c));
            } catch (error) {
              if (this.onListenerError) this.onListenerError(error, structuredClone(c));
              else failure ??= { error };
            }
          }
        }
      } finally {
        this.emitting = false;
      }
    }
    if (failure) throw failure.error;
    return result;
  }

  onChange(listener: (change: RecordChange) => void, options?: ChangeFilter): () => void {
    this.listeners.set(listener, { ...options });
    return () => {
      this.listeners.delete(listener);
    };
  }

  // -------------------------------------------------------------------------------------------------
  // DML

  create(sobject: string, fields: Record<string, unknown>, options?: WriteOptions): { id: string } {
    assertBody(fields);
    return this.transaction(() => ({
      id: this.insert(this.objectForWrite(sobject), fields, false, options),
    }));
  }

  /** Creates as the platform: read-only fields may be set (Omni simulator, seeds). */
  systemCreate(sobject: string, fields: Record<string, unknown>): { id: string } {
    assertBody(fields);
    return this.transaction(() => ({ id: this.insert(this.objectOrThrow(sobject), fields, true) }));
  }

  retrieve(sobject: string, id: string, fields?: string[]): SObjectRecord {
    const o = this.objectOrThrow(sobject);
    const rid = this.checkId(o, id);
    const rec = this.store.get(o.name, rid);
    if (!rec) throw this.store.deleted.has(rid) ? entityIsDeleted() : notFound();
    if (fields === undefined) return copyRecord(rec);
    const out: SObjectRecord = { Id: rec.Id };
    for (const name of fields) {
      const f = this.schema.field(o.name, name.trim());
      if (!f) throw noSuchColumnOnEntity(name.trim(), o.name);
      out[f.name] = structuredClone(rec[f.name] ?? null);
    }
    return out;
  }

  update(sobject: string, id: string, fields: Record<string, unknown>, options?: WriteOptions): void {
    assertBody(fields);
    this.transaction(() => {
      const o = this.objectForWrite(sobject);
      this.modify(o, this.checkId(o, id), fields, false, options);
    });
  }

  /** Updates as the platform: read-only fields may be set, PSR lock ignored. */
  systemUpdate(sobject: string, id: string, fields: Record<string, unknown>): void {
    assertBody(fields);
    this.transaction(() => {
      const o = this.objectOrThrow(sobject);
      this.modify(o, this.checkId(o, id), fields, true);
    });
  }

  upsert(
    sobject: string,
    externalIdField: string,
    externalIdValue: string,
    fields: Record<string, unknown>,
    options?: WriteOptions,
  ): UpsertResult {
    assertBody(fields);
    if (typeof externalIdValue !== 'string') {
      throw sfError(400, 'INVALID_FIELD', 'The external ID value must be a string');
    }
    return this.transaction(() => {
      const o = this.objectForWrite(sobject);
      const f = this.schema.field(o.name, externalIdField);
      if (!f || !(f.externalId || f.type === 'id')) {
        throw sfError(
          404,
          'NOT_FOUND',
          `Provided external ID field does not exist or is not accessible: ${externalIdField}`,
        );
      }
      if (f.type === 'id') {
        // Upsert on Id: an empty value creates, otherwise the record must exist.
        if (externalIdValue === '' || externalIdValue === undefined) {
          return { id: this.insert(o, this.withoutKey(fields, 'Id'), false, options), created: true };
        }
        const rid = this.checkId(o, externalIdValue);
        this.modify(o, rid, this.withoutKey(fields, 'Id'), false, options);
        return { id: rid, created: false };
      }
      // Salesforce documents: "Do not specify Id or an external ID field in the request body or an
      // error is generated." The key belongs in the URL only, even when the values agree.
      // UNCONFIRMED: the code and wording of that error.
      const keyName = f.name.toLowerCase();
      const bodyKey = Object.keys(fields).find(
        (k) =>
          (k.length === keyName.length && k.toLowerCase() === keyName) ||
          (k.length === 2 && k.toLowerCase() === 'id'),
      );
      if (bodyKey !== undefined) {
        throw sfError(
          400,
          'INVALID_FIELD',
          `Do not specify Id or the external ID field ${f.name} in the request body of an upsert`,
          [bodyKey],
        );
      }
      const body: Body = { ...fields };
      const key = coerceValue(f, externalIdValue);
      if (key === null) {
        throw sfError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${f.name}]`, [f.name]);
      }
      const matches = this.store.lookup(o.name, f.name, key);
      if (matches.length > 1) {
        const v = options?.apiVersion ?? this.apiVersion;
        throw new SalesforceApiError(
          300,
          matches.sort().map((m) => recordUrl(v, o.name, m)),
        );
      }
      const existing = matches[0];
      if (existing === undefined) {
        body[f.name] = key;
        return { id: this.insert(o, body, false, options), created: true };
      }
      this.modify(o, existing, body, false, options);
      return { id: existing, created: false };
    });
  }

  delete(sobject: string, id: string): void {
    this.transaction(() => {
      const o = this.objectOrThrow(sobject);
      if (!o.deletable) throw this.typeNotAllowed(o, 'deleted');
      const rid = this.checkId(o, id);
      const rec = this.store.get(o.name, rid);
      if (!rec) throw this.store.deleted.has(rid) ? entityIsDeleted() : notFound();
      if (o.name === 'Contact' && rec.IsPersonAccount === true) {
        // UNCONFIRMED wording: a person contact goes only with its person account.
        throw sfError(
          400,
          'DELETE_FAILED',
          'A person account contact cannot be deleted; delete the person account instead',
        );
      }
      this.checkPsrLockForChild(o, rec);
      this.deleteCascade(o, rid, new Set());
    });
  }

  /** Undeletes a record from the recycle bin (not cascaded children). */
  undelete(sobject: string, id: string): void {
    this.transaction(() => {
      const o = this.objectOrThrow(sobject);
      const rid = this.checkId(o, id);
      const entry = this.store.deleted.get(rid);
      if (!entry) throw notFound();
      const rec: SObjectRecord = { ...entry.record, IsDeleted: false };
      this.store.deleted.delete(rid);
      this.store.put(o.name, rec);
      this.store.change({
        kind: 'created',
        sobject: o.name,
        id: rid,
        before: null,
        after: rec,
      });
    });
  }

  query(soql: string, options?: { includeDeleted?: boolean; apiVersion?: string }): QueryResult {
    return runQuery(
      {
        schema: this.schema,
        rows: (sobject, includeDeleted) => this.rows(sobject, includeDeleted),
        candidates: (sobject, field, value) => this.candidates(sobject, field, value),
        get: (id) => this.getAny(id),
        now: () => this.now(),
      },
      soql,
      {
        includeDeleted: options?.includeDeleted ?? false,
        apiVersion: options?.apiVersion ?? this.apiVersion,
      },
    );
  }

  list(sobject: string): SObjectRecord[] {
    const o = this.objectOrThrow(sobject);
    return this.unorderedRecords(o.name).map(copyRecord);
  }

  /**
   * The live records of an object as stored, in storage order, without copying: for readers inside
   * the emulator that only look and do not care about order (the Omni simulator re-reads whole tables
   * on every routing pass). Safe because a stored record is never changed in place: every write stores
   * a new object. Callers must not modify what this returns.
   */
  peekRecords(sobject: string): readonly Readonly<SObjectRecord>[] {
    return [...this.store.table(this.objectOrThrow(sobject).name).values()];
  }

  /**
   * How many times the records were replaced without change events (reset(), restore()): a listener
   * that mirrors records (the Omni simulator) compares it to know its mirror is still whole.
   */
  unheardRevision(): number {
    return this.unheard;
  }

  reset(): void {
    if (this.store.depth > 0) throw new Error('reset() inside a transaction');
    this.unheard++;
    this.store.clear();
    this.ids.load({});
    this.lastTime = 0;
    this.bootstrap();
  }

  snapshot(): unknown {
    const records: Record<string, SObjectRecord[]> = {};
    for (const [name, t] of this.store.records) {
      if (t.size > 0) records[name] = [...t.values()].map((r) => structuredClone(r));
    }
    const state: SnapshotV1 = {
      format: 'fsc-handoff-org',
      version: 1,
      records,
      deleted: [...this.store.deleted.values()].map((d) => structuredClone(d)),
      counters: Object.fromEntries(this.store.counters),
      ids: this.ids.state(),
      clock: this.lastTime,
    };
    return state;
  }

  restore(state: unknown): void {
    if (this.store.depth > 0) throw new Error('restore() inside a transaction');
    const s = state as Partial<SnapshotV1> | null;
    if (!s || typeof s !== 'object' || s.format !== 'fsc-handoff-org' || s.version !== 1) {
      throw new Error('not an org snapshot (format fsc-handoff-org, version 1)');
    }
    const records = s.records ?? {};
    for (const name of Object.keys(records)) {
      if (!this.schema.object(name)) throw new Error(`snapshot holds records of unknown object ${name}`);
    }
    this.unheard++;
    this.store.clear();
    for (const [name, recs] of Object.entries(records)) {
      const o = this.schema.object(name);
      if (!o) continue;
      for (const r of recs) this.store.load(o.name, structuredClone(r));
    }
    for (const d of s.deleted ?? []) this.store.deleted.set(d.record.Id, structuredClone(d));
    for (const [k, v] of Object.entries(s.counters ?? {})) this.store.counters.set(k, v);
    this.ids.load(s.ids ?? {});
    this.lastTime = s.clock ?? 0;
    this.findBuiltIns();
  }

  // -------------------------------------------------------------------------------------------------
  // Internals: objects, ids, time

  private objectOrThrow(sobject: string): ObjectDef {
    const o = this.schema.object(sobject);
    if (!o) throw notFound();
    return o;
  }

  private objectForWrite(sobject: string): ObjectDef {
    return this.objectOrThrow(sobject);
  }

  private typeNotAllowed(o: ObjectDef, verb: 'inserted' | 'updated' | 'deleted'): SalesforceApiError {
    // UNCONFIRMED: Salesforce answers INVALID_TYPE_FOR_OPERATION "entity type cannot be <verb>: <Object>".
    return sfError(400, 'INVALID_TYPE_FOR_OPERATION', `entity type cannot be ${verb}: ${o.label}`);
  }

  /** Normalises an id given for object `o`: malformed or of another object → MALFORMED_ID. */
  private checkId(o: ObjectDef, id: string): string {
    const n = normalizeId(id);
    const idLabel = this.schema.field(o.name, 'Id')?.label ?? `${o.label} ID`;
    if (!n || keyPrefixOf(n) !== o.keyPrefix) throw malformedId(idLabel, id);
    return n;
  }

  /** System timestamps: the clock, at second precision as Salesforce stores audit fields. */
  private timestamp(): string {
    const t = Math.floor(this.now().getTime() / 1000) * 1000;
    this.lastTime = Math.max(this.lastTime, t);
    // Every write of the same second stamps the same text: format it once per second.
    if (this.stamp?.at !== t) this.stamp = { at: t, text: formatDateTime(new Date(t)) };
    return this.stamp.text;
  }

  /** The latest formatted timestamp (see timestamp()). */
  private stamp: { at: number; text: string } | undefined;

  private getAny(id: string): { sobject: string; record: SObjectRecord } | undefined {
    const o = this.schema.objectByPrefix(keyPrefixOf(id));
    if (!o) return undefined;
    const r = this.store.get(o.name, id);
    return r ? { sobject: o.name, record: r } : undefined;
  }

  /** Records in an order that is deliberately not insertion order (hash of the id). */
  private unorderedRecords(sobject: string): SObjectRecord[] {
    return this.hashOrder([...this.store.table(sobject).values()]);
  }

  /** Sorts records by a hash of their id: a stable order that is not insertion order. */
  private hashOrder(records: SObjectRecord[]): SObjectRecord[] {
    const h = (id: string): number => {
      let v = this.hashes.get(id);
      if (v === undefined) {
        v = fnv1a(id);
        this.hashes.set(id, v);
      }
      return v;
    };
    return records.sort((a, b) => h(a.Id) - h(b.Id) || (a.Id < b.Id ? -1 : 1));
  }

  private rows(sobject: string, includeDeleted: boolean): SObjectRecord[] {
    const live = [...this.store.table(sobject).values()];
    if (!includeDeleted) return this.hashOrder(live);
    const dead = [...this.store.deleted.values()].filter((d) => d.sobject === sobject).map((d) => d.record);
    return this.hashOrder([...live, ...dead]);
  }

  /** Live records whose Id or indexed field equals `value`, or undefined when the field is not indexed. */
  private candidates(sobject: string, field: string, value: unknown): SObjectRecord[] | undefined {
    const t = this.store.table(sobject);
    if (field === 'Id') {
      const r = typeof value === 'string' ? t.get(value) : undefined;
      return r ? [r] : [];
    }
    const ids = this.store.indexedLookup(sobject, field, value);
    if (ids === undefined) return undefined;
    return this.hashOrder(ids.map((id) => t.get(id)).filter((r): r is SObjectRecord => r !== undefined));
  }

  private withoutKey(body: Body, key: string): Body {
    const out: Body = {};
    for (const [k, v] of Object.entries(body)) if (k.toLowerCase() !== key.toLowerCase()) out[k] = v;
    return out;
  }

  // -------------------------------------------------------------------------------------------------
  // Internals: body parsing

  /**
   * Resolves body keys to canonical fields: plain fields, `attributes` (ignored), and parent
   * relationships by external id (`"Account": {"Bank_Customer_Id__c": "C-1"}`).
   */
  private parseBody(o: ObjectDef, body: Body): ParsedBody {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw sfError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
    }
    const values = new Map<string, unknown>();
    const relRefs: [FieldDef, string, unknown][] = [];
    for (const [key, value] of Object.entries(body)) {
      if (key === 'attributes') continue;
      const f = this.schema.field(o.name, key);
      if (f) {
        // Objects given for plain fields are rejected by coerceValue (JSON_PARSER_ERROR).
        values.set(f.name, value);
        continue;
      }
      const rel = this.schema.relationshipField(o.name, key);
      if (rel && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        relRefs.push([rel, key, value]);
        continue;
      }
      throw noSuchColumnOnSobject(key, o.name);
    }
    for (const [rel, key, value] of relRefs) {
      if (values.has(rel.name)) {
        throw sfError(
          400,
          'INVALID_FIELD',
          `Cannot specify both an external ID reference ${key} and a salesforce id, ${rel.name}`,
        );
      }
      values.set(rel.name, this.resolveForeignKey(rel, value as Body));
    }
    return values;
  }

  /** `{"Ext__c": "x"}` (optionally with `attributes.type` for polymorphic fields) → the parent's id. */
  private resolveForeignKey(rel: FieldDef, ref: Body): string {
    let target: string | undefined;
    const attrs = ref.attributes as Body | undefined;
    if (attrs && typeof attrs === 'object' && typeof attrs.type === 'string') {
      target = rel.referenceTo.find((t) => t.toLowerCase() === String(attrs.type).toLowerCase());
      if (!target)
        throw sfError(400, 'INVALID_FIELD', `Invalid type ${String(attrs.type)} for field ${rel.name}`, [
          rel.name,
        ]);
    } else if (rel.referenceTo.length === 1) {
      target = rel.referenceTo[0];
    } else {
      // UNCONFIRMED wording: a polymorphic reference needs attributes.type.
      throw sfError(
        400,
        'INVALID_FIELD',
        `${rel.relationshipName ?? rel.name}: polymorphic foreign key requires attributes.type`,
        [rel.name],
      );
    }
    const targetObj = this.objectOrThrow(target ?? '');
    const keys = Object.keys(ref).filter((k) => k !== 'attributes');
    if (keys.length !== 1) {
      // UNCONFIRMED wording: exactly one external id field identifies the parent.
      throw sfError(
        400,
        'INVALID_FIELD',
        `A foreign key reference to ${targetObj.name} must name exactly one external ID field`,
        [rel.name],
      );
    }
    const k = keys[0] ?? '';
    const ext = this.schema.field(targetObj.name, k);
    if (!ext) throw noSuchColumnOnSobject(k, targetObj.name);
    if (!(ext.externalId || ext.idLookup) || ext.type === 'id') {
      throw sfError(
        400,
        'INVALID_FIELD',
        `The field name provided, ${ext.name} is not an External ID or indexed field for ${targetObj.name}`,
      );
    }
    const raw = ref[k];
    const value = coerceValue(ext, raw);
    const matches = value === null ? [] : this.store.lookup(targetObj.name, ext.name, value);
    if (matches.length === 0) {
      throw sfError(
        400,
        'INVALID_FIELD',
        `Foreign key external ID: ${String(raw)} not found for field ${ext.name} in entity ${targetObj.name}`,
      );
    }
    if (matches.length > 1) {
      // UNCONFIRMED wording.
      throw sfError(
        400,
        'INVALID_FIELD',
        `Foreign key external ID: ${String(raw)} not unique for field ${ext.name} in entity ${targetObj.name}`,
      );
    }
    return matches[0] ?? '';
  }

  // -------------------------------------------------------------------------------------------------
  // Internals: insert / modify

  private insert(
    o: ObjectDef,
    body: Body,
    system: boolean,
    _options?: WriteOptions,
    forcedId?: string,
  ): string {
    if (!o.createable && !system) throw this.typeNotAllowed(o, 'inserted');
    if (!system && Object.keys(body ?? {}).some((k) => k.length === 2 && k.toLowerCase() === 'id')) {
      throw sfError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', 'cannot specify Id in an insert call', ['Id']);
    }
    const parsed = this.parseBody(o, body);
    const isPerson = o.name === 'Account' && this.isPersonRecordType(parsed.get('RecordTypeId'));
    if (!system) this.checkWritable(o, parsed, 'create', undefined);
    if (o.name === 'Account') this.checkPersonFieldUse(parsed, isPerson);

    const rec = this.blankRecord(o);
    const values = this.coerceAll(o, parsed);
    for (const [k, v] of values) rec[k] = v;

    // Defaults for fields the body left out.
    for (const f of o.fields) {
      if (values.has(f.name) || f.createDefault === undefined || rec[f.name] !== null) continue;
      // A business account has no person contact: its person fields stay empty (checkboxes stay false).
      if (f.personContactField && !isPerson && f.type !== 'boolean') continue;
      rec[f.name] = f.createDefault;
    }
    if (
      o.name === 'Case' &&
      rec.AccountId === null &&
      !values.has('AccountId') &&
      typeof rec.ContactId === 'string'
    ) {
      const c = this.store.get('Contact', rec.ContactId);
      if (c && typeof c.AccountId === 'string') rec.AccountId = c.AccountId;
    }
    const owner = this.schema.field(o.name, 'OwnerId');
    if (owner && rec.OwnerId === null) rec.OwnerId = this.runningUserId;

    this.checkRequired(o, rec, isPerson);
    this.checkReferences(o, rec, values.keys());
    this.objectRules(o, rec, null, system);

    const id = forcedId ?? this.ids.next(o.keyPrefix);
    rec.Id = id;
    const ts = this.timestamp();
    rec.IsDeleted = false;
    rec.CreatedDate = ts;
    rec.LastModifiedDate = ts;
    rec.SystemModstamp = ts;
    rec.CreatedById = this.runningUserId || id;
    rec.LastModifiedById = this.runningUserId || id;
    for (const f of o.fields) {
      if (f.autoNumber) rec[f.name] = this.autoNumber(o, f);
    }
    this.derive(o, rec, null);
    this.checkUnique(o, rec, null);
    this.store.put(o.name, rec);
    this.store.change({ kind: 'created', sobject: o.name, id, before: null, after: rec });

    if (isPerson) this.createPersonContact(rec);
    else if (o.name === 'Contact') this.syncPersonAccountFromContact(rec);
    return id;
  }

  private modify(o: ObjectDef, id: string, body: Body, system: boolean, _options?: WriteOptions): void {
    if (!o.updateable && !system) throw this.typeNotAllowed(o, 'updated');
    const before = this.store.get(o.name, id);
    if (!before) throw this.store.deleted.has(id) ? entityIsDeleted() : notFound();
    const bodyId = Object.keys(body ?? {}).find((k) => k.length === 2 && k.toLowerCase() === 'id');
    if (bodyId !== undefined) {
      if (normalizeId(body[bodyId]) !== id) {
        throw sfError(
          400,
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          'The Id in the body does not match the record being updated',
          ['Id'],
        );
      }
      body = this.withoutKey(body, 'Id');
    }
    const parsed = this.parseBody(o, body);
    if (!system) {
      this.checkPsrLock(o, before);
      this.checkPsrLockForChild(o, before);
      this.checkWritable(o, parsed, 'update', before);
    }
    if (o.name === 'Account') {
      const rt = parsed.has('RecordTypeId') ? parsed.get('RecordTypeId') : before.RecordTypeId;
      const wasPerson = before.IsPersonAccount === true;
      if (parsed.has('RecordTypeId')) {
        const n = normalizeId(rt);
        if (n !== null && this.isPersonRecordType(n) !== wasPerson) {
          // UNCONFIRMED: converting between business and person accounts is not modelled.
          throw sfError(
            400,
            'INVALID_FIELD_FOR_INSERT_UPDATE',
            'Cannot change an account between business and person record types',
            ['RecordTypeId'],
          );
        }
      }
      this.checkPersonFieldUse(parsed, wasPerson);
    }
    const values = this.coerceAll(o, parsed);
    const rec: SObjectRecord = { ...before };
    for (const [k, v] of values) rec[k] = v;
    this.checkRequired(o, rec, o.name === 'Account' && before.IsPersonAccount === true, values.keys());
    this.checkReferences(
      o,
      rec,
      [...values.keys()].filter((k) => values.get(k) !== before[k]),
    );
    this.objectRules(o, rec, before, system);
    const ts = this.timestamp();
    rec.LastModifiedDate = ts;
    rec.SystemModstamp = ts;
    rec.LastModifiedById = this.runningUserId;
    this.derive(o, rec, before);
    this.checkUnique(o, rec, before);
    this.store.put(o.name, rec);
    this.store.change({
      kind: 'updated',
      sobject: o.name,
      id,
      before,
      after: rec,
    });

    if (o.name === 'Account' && rec.IsPersonAccount === true) this.syncPersonContactFromAccount(rec, values);
    else if (o.name === 'Contact') this.syncPersonAccountFromContact(rec);
  }

  private blankRecord(o: ObjectDef): SObjectRecord {
    let blank = this.blanks.get(o);
    if (!blank) {
      // Built in one go (Object.fromEntries), not field by field: V8 turns an object that gets dozens
      // of properties by computed name into a slow dictionary, and every record copied from it (and
      // each later copy, clone and JSON of those records) would be slow too.
      blank = Object.fromEntries([['Id', ''], ...o.fields.map((f) => [f.name, null])]) as SObjectRecord;
      this.blanks.set(o, blank);
    }
    return { ...blank };
  }

  /** Per object: a record with every field null, copied by blankRecord() (the schema is fixed). */
  private readonly blanks = new WeakMap<ObjectDef, SObjectRecord>();

  /** createable/updateable checks, in body order, all offending fields in one error. */
  private checkWritable(
    o: ObjectDef,
    parsed: ParsedBody,
    mode: 'create' | 'update',
    before: SObjectRecord | undefined,
  ): void {
    const bad: string[] = [];
    for (const [name, raw] of parsed) {
      const f = this.schema.field(o.name, name);
      if (!f) continue;
      if (mode === 'create') {
        if (!f.createable) bad.push(f.name);
        continue;
      }
      if (f.updateable) continue;
      // Setting a non-reparentable master-detail to its current parent is not a reparent.
      if (f.type === 'reference' && f.relationshipOrder !== undefined && before) {
        const n = typeof raw === 'string' ? normalizeId(raw) : null;
        if (n !== null && n === before[f.name]) continue;
      }
      bad.push(f.name);
    }
    if (bad.length > 0) throw notWritable(bad);
  }

  private coerceAll(o: ObjectDef, parsed: ParsedBody): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const [name, raw] of parsed) {
      const f = this.schema.field(o.name, name);
      if (!f) continue;
      let v = coerceValue(f, raw);
      if ((f.type === 'reference' || f.type === 'id') && v !== null) {
        const n = normalizeId(v);
        const prefixOk =
          n !== null && f.referenceTo.some((t) => this.schema.object(t)?.keyPrefix === keyPrefixOf(n));
        if (!prefixOk) throw malformedId(f.label, v, f.name);
        v = n;
      }
      out.set(f.name, v);
    }
    return out;
  }

  private checkRequired(o: ObjectDef, rec: SObjectRecord, isPerson: boolean, only?: Iterable<string>): void {
    const onlySet = only ? new Set(only) : undefined;
    const missing: string[] = [];
    for (const f of o.fields) {
      if (onlySet && !onlySet.has(f.name)) continue;
      if (f.nillable || f.calculated || f.autoNumber || !f.createable) continue;
      if (f.type === 'boolean') {
        if (rec[f.name] === null) missing.push(f.name);
        continue;
      }
      if (f.defaultedOnCreate && !onlySet) continue;
      if (o.name === 'Account' && f.name === 'Name' && isPerson) continue;
      if (rec[f.name] === null || rec[f.name] === undefined) missing.push(f.name);
    }
    if (o.name === 'Account' && isPerson && (rec.LastName === null || rec.LastName === undefined)) {
      if (!onlySet || onlySet.has('LastName')) missing.push('LastName');
    }
    if (missing.length > 0) throw requiredMissing(missing);
  }

  /** Every reference must point at an existing record of an allowed type. */
  private checkReferences(o: ObjectDef, rec: SObjectRecord, changed: Iterable<string>): void {
    for (const name of changed) {
      const f = this.schema.field(o.name, name);
      if (!f || f.type !== 'reference') continue;
      const v = rec[f.name];
      if (typeof v !== 'string') continue;
      const target = this.schema.objectByPrefix(keyPrefixOf(v));
      if (!target || !f.referenceTo.includes(target.name)) throw malformedId(f.label, v, f.name);
      if (!this.store.get(target.name, v)) {
        if (this.store.deleted.has(v)) throw sfError(400, 'ENTITY_IS_DELETED', 'entity is deleted', [f.name]);
        throw invalidCrossReference(f.name);
      }
      if (f.name === 'OwnerId' && target.name === 'Group') this.checkQueueOwner(o, v);
      if (f.name === 'OwnerId' && target.name === 'User' && this.store.get('User', v)?.IsActive === false) {
        throw sfError(
          400,
          'INACTIVE_OWNER_OR_USER',
          `operation performed with inactive user [${v}] as owner of ${o.label.toLowerCase()}`,
          ['OwnerId'],
        );
      }
    }
  }

  /** A Group owner must be a queue that supports the object (QueueSobject). UNCONFIRMED error code. */
  private checkQueueOwner(o: ObjectDef, groupId: string): void {
    const g = this.store.get('Group', groupId);
    const supported =
      g?.Type === 'Queue' &&
      [...this.store.table('QueueSobject').values()].some(
        (q) => q.QueueId === groupId && q.SobjectType === o.name,
      );
    if (!supported) {
      throw sfError(
        400,
        'FIELD_INTEGRITY_EXCEPTION',
        `Owner ID: the owner must be a user or a queue that supports ${o.name} records: ${groupId}`,
        ['OwnerId'],
      );
    }
  }

  private checkUnique(o: ObjectDef, rec: SObjectRecord, before: SObjectRecord | null): void {
    for (const f of o.fields) {
      if (!f.unique) continue;
      const v = rec[f.name];
      if (v === null || v === undefined) continue;
      if (before && before[f.name] === v) continue;
      const other = this.store.lookup(o.name, f.name, v).find((id) => id !== rec.Id);
      if (other !== undefined) throw duplicateValue(f.name, other);
    }
  }

  private autoNumber(o: ObjectDef, f: FieldDef): string {
    const n = this.store.nextCounter(`${o.name}.${f.name}`);
    const now = this.now();
    const fmt = f.displayFormat ?? '{0}';
    const numbered = fmt.replace(/\{(0+)\}/g, (_m, zeros: string) => String(n).padStart(zeros.length, '0'));
    // Most formats carry no date token (`HO-{000000}`): nothing more to replace.
    if (!/\{(?:YY|MM|DD)/.test(numbered)) return numbered;
    return numbered
      .replace(/\{YYYY\}/g, String(now.getUTCFullYear()))
      .replace(/\{YY\}/g, String(now.getUTCFullYear()).slice(2))
      .replace(/\{MM\}/g, String(now.getUTCMonth() + 1).padStart(2, '0'))
      .replace(/\{DD\}/g, String(now.getUTCDate()).padStart(2, '0'));
  }

  /** Derived values: names, Case.IsClosed / ClosedDate. */
  private derive(o: ObjectDef, rec: SObjectRecord, before: SObjectRecord | null): void {
    const fullName = (): string =>
      [rec.FirstName, rec.LastName].filter((x): x is string => typeof x === 'string' && x !== '').join(' ');
    switch (o.name) {
      case 'Contact':
      case 'User':
        rec.Name = fullName();
        break;
      case 'Account':
        if (rec.IsPersonAccount === true || (before === null && this.isPersonRecordType(rec.RecordTypeId))) {
          rec.Name = fullName();
        }
        break;
      case 'Case': {
        const closed = typeof rec.Status === 'string' && this.closedCaseStatuses.has(rec.Status);
        rec.IsClosed = closed;
        if (closed && (before === null || before.IsClosed !== true)) rec.ClosedDate = rec.LastModifiedDate;
        if (!closed) rec.ClosedDate = null;
        break;
      }
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Object-specific rules

  private objectRules(o: ObjectDef, rec: SObjectRecord, before: SObjectRecord | null, system: boolean): void {
    switch (o.name) {
      case 'QueueSobject': {
        const t = this.schema.object(text(rec.SobjectType));
        if (!t || !t.createable) throw badRestrictedPicklist('SObject Type', rec.SobjectType, 'SobjectType');
        rec.SobjectType = t.name;
        const q = this.store.get('Group', String(rec.QueueId));
        if (q?.Type !== 'Queue') {
          throw sfError(400, 'FIELD_INTEGRITY_EXCEPTION', 'Group ID: the group must be a queue', ['QueueId']);
        }
        const dup = [...this.store.table('QueueSobject').values()].find(
          (x) => x.Id !== rec.Id && x.QueueId === rec.QueueId && x.SobjectType === rec.SobjectType,
        );
        if (dup) throw duplicateValue('SobjectType', dup.Id);
        break;
      }
      case 'ServiceChannel': {
        const t = this.schema.object(text(rec.RelatedEntity));
        if (!t) throw badRestrictedPicklist('Salesforce Object', rec.RelatedEntity, 'RelatedEntity');
        rec.RelatedEntity = t.name;
        break;
      }
      case 'Group':
        if (rec.DeveloperName === null && typeof rec.Name === 'string') {
          rec.DeveloperName = rec.Name.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
        }
        break;
      case 'PendingServiceRouting': {
        if (before === null) {
          const ch = this.store.get('ServiceChannel', String(rec.ServiceChannelId));
          const wi = this.getAny(String(rec.WorkItemId));
          if (ch && wi && ch.RelatedEntity !== wi.sobject) {
            // UNCONFIRMED: the work item must be of the channel's object type.
            throw sfError(
              400,
              'FIELD_INTEGRITY_EXCEPTION',
              `Work Item ID: a ${wi.sobject} cannot be routed through a ${String(ch.RelatedEntity)} service channel`,
              ['WorkItemId'],
            );
          }
        }
        if (
          !system &&
          rec.RoutingType === 'SkillsBased' &&
          rec.IsReadyForRouting === true &&
          rec.RoutingModel === null
        ) {
          throw requiredMissing(['RoutingModel']);
        }
        break;
      }
      case 'SkillRequirement': {
        if (!system) {
          const psr = this.store.get('PendingServiceRouting', String(rec.RelatedRecordId));
          if (psr?.IsReadyForRouting === true) throw this.psrLocked();
        }
        break;
      }
      case 'Contact':
        if (before && before.IsPersonAccount === true && rec.AccountId !== before.AccountId) {
          throw notWritable(['AccountId']);
        }
        break;
    }
  }

  private psrLocked(): SalesforceApiError {
    // UNCONFIRMED code: the Object Reference says a PSR that is ready for routing can't be edited.
    return sfError(
      400,
      'FIELD_INTEGRITY_EXCEPTION',
      "You can't edit this PendingServiceRouting record because IsReadyForRouting is true.",
      ['IsReadyForRouting'],
    );
  }

  private checkPsrLock(o: ObjectDef, before: SObjectRecord): void {
    if (o.name === 'PendingServiceRouting' && before.IsReadyForRouting === true) throw this.psrLocked();
  }

  /** SkillRequirements of a ready PSR are part of it: no update or delete. */
  private checkPsrLockForChild(o: ObjectDef, rec: SObjectRecord): void {
    if (o.name !== 'SkillRequirement') return;
    const psr = this.store.get('PendingServiceRouting', String(rec.RelatedRecordId));
    if (psr?.IsReadyForRouting === true) throw this.psrLocked();
  }

  // -------------------------------------------------------------------------------------------------
  // Person accounts

  private isPersonRecordType(rt: unknown): boolean {
    const id = typeof rt === 'string' ? normalizeId(rt) : null;
    if (!id) return false;
    const r = this.store.get('RecordType', id);
    return r?.IsPersonType === true && r.SobjectType === 'Account';
  }

  private checkPersonFieldUse(parsed: ParsedBody, isPerson: boolean): void {
    for (const name of parsed.keys()) {
      const f = this.schema.field('Account', name);
      if (!f) continue;
      if (!isPerson && f.personContactField) {
        // UNCONFIRMED wording.
        throw sfError(
          400,
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          `Business Account may not use Person Account field ${f.name}`,
          [f.name],
        );
      }
      if (isPerson && f.name === 'Name') {
        throw sfError(
          400,
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          'Person Account may not use Business Account field Name',
          ['Name'],
        );
      }
    }
  }

  private contactValuesFromAccount(acc: SObjectRecord, only?: Iterable<string>): Body {
    const out: Body = {};
    const names = only ? new Set(only) : undefined;
    for (const f of this.schema.object('Account')?.fields ?? []) {
      if (!f.personContactField) continue;
      if (names && !names.has(f.name)) continue;
      out[f.personContactField] = acc[f.name] ?? null;
    }
    return out;
  }

  private createPersonContact(acc: SObjectRecord): void {
    const contactObj = this.objectOrThrow('Contact');
    const body: Body = { ...this.contactValuesFromAccount(acc), AccountId: acc.Id, OwnerId: acc.OwnerId };
    const contactId = this.insert(contactObj, body, true);
    const c = this.store.get('Contact', contactId);
    if (c) {
      const withFlag = { ...c, IsPersonAccount: true };
      this.store.put('Contact', withFlag);
    }
    const updated: SObjectRecord = { ...acc, PersonContactId: contactId, IsPersonAccount: true };
    this.store.put('Account', updated);
    this.replaceLastChange('Account', updated);
    this.replaceLastChange('Contact', this.store.get('Contact', contactId));
  }

  /** Keeps the 'created' change of a record in step with follow-up writes made in the same call. */
  private replaceLastChange(sobject: string, rec: SObjectRecord | undefined): void {
    if (rec) this.store.amendLastChange(sobject, rec.Id, rec);
  }

  private syncPersonContactFromAccount(acc: SObjectRecord, changed: Map<string, unknown>): void {
    const contactId = acc.PersonContactId;
    if (typeof contactId !== 'string') return;
    const body = this.contactValuesFromAccount(acc, changed.keys());
    if (Object.keys(body).length === 0) return;
    const contactObj = this.objectOrThrow('Contact');
    this.modifyMirror(contactObj, contactId, body);
  }

  private syncPersonAccountFromContact(c: SObjectRecord): void {
    if (c.IsPersonAccount !== true || typeof c.AccountId !== 'string') return;
    const acc = this.store.get('Account', c.AccountId);
    if (!acc) return;
    const next: SObjectRecord = { ...acc };
    let changed = false;
    for (const f of this.schema.object('Account')?.fields ?? []) {
      if (!f.personContactField) continue;
      const v = c[f.personContactField] ?? null;
      if (next[f.name] !== v) {
        next[f.name] = v;
        changed = true;
      }
    }
    if (!changed) return;
    next.Name = [next.FirstName, next.LastName].filter((x) => typeof x === 'string' && x !== '').join(' ');
    const ts = this.timestamp();
    next.LastModifiedDate = ts;
    next.SystemModstamp = ts;
    this.store.put('Account', next);
    this.store.change({
      kind: 'updated',
      sobject: 'Account',
      id: next.Id,
      before: acc,
      after: next,
    });
  }

  /** Writes mirrored person fields to the contact without re-mirroring back. */
  private modifyMirror(contactObj: ObjectDef, id: string, body: Body): void {
    const before = this.store.get(contactObj.name, id);
    if (!before) return;
    const rec: SObjectRecord = { ...before, ...body };
    const ts = this.timestamp();
    rec.LastModifiedDate = ts;
    rec.SystemModstamp = ts;
    this.derive(contactObj, rec, before);
    this.checkUnique(contactObj, rec, before);
    this.store.put(contactObj.name, rec);
    this.store.change({
      kind: 'updated',
      sobject: contactObj.name,
      id,
      before,
      after: rec,
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Delete

  private deleteCascade(o: ObjectDef, id: string, seen: Set<string>): void {
    if (seen.has(id)) return;
    seen.add(id);
    const rec = this.store.get(o.name, id);
    if (!rec) return;
    // Restrict first: nothing is deleted when a restricting child exists. A required lookup that would
    // be cleared restricts too (it cannot be set to null).
    for (const { child, field } of this.schema.childReferences(o.name)) {
      const cascades = field.deleteConstraint === 'Cascade' || field.cascadeDelete;
      if (!(field.deleteConstraint === 'Restrict' || (!cascades && !field.nillable))) continue;
      if (AUDIT_FIELDS.includes(field.name as (typeof AUDIT_FIELDS)[number])) continue;
      const kids = [...this.store.table(child.name).values()].filter((r) => r[field.name] === id);
      if (kids.length > 0) {
        throw sfError(
          400,
          'DELETE_FAILED',
          `Your attempt to delete ${text(rec.Name ?? id)} could not be completed because it is associated with the ` +
            `following ${child.labelPlural.toLowerCase()}.: ${kids.map((k) => text(k.Name ?? k.Id)).join(', ')}`,
        );
      }
    }
    this.store.remove(o.name, id);
    this.store.change({ kind: 'deleted', sobject: o.name, id, before: rec, after: null });
    for (const { child, field } of this.schema.childReferences(o.name)) {
      const kids = [...this.store.table(child.name).values()].filter((r) => r[field.name] === id);
      for (const k of kids) {
        if (field.deleteConstraint === 'Cascade' || field.cascadeDelete) {
          this.deleteCascade(child, k.Id, seen);
        } else if (!seen.has(k.Id)) {
          const after: SObjectRecord = { ...k, [field.name]: null };
          const ts = this.timestamp();
          after.SystemModstamp = ts;
          this.store.put(child.name, after);
          this.store.change({
            kind: 'updated',
            sobject: child.name,
            id: k.Id,
            before: k,
            after,
          });
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Built-in records

  private bootstrap(): void {
    this.store.begin();
    try {
      const orgObj = this.objectOrThrow('Organization');
      const profileObj = this.objectOrThrow('Profile');
      const userObj = this.objectOrThrow('User');
      const rtObj = this.objectOrThrow('RecordType');
      // The running user exists before anything else: it creates every other record.
      this.runningUserId = this.ids.next(userObj.keyPrefix);
      this.organizationId = this.insert(
        orgObj,
        {
          Name: this.orgName,
          OrganizationType: 'Developer Edition',
          InstanceName: 'EMU1',
          IsSandbox: false,
          DefaultLocaleSidKey: 'en_US',
          LanguageLocaleKey: 'en_US',
          TimeZoneSidKey: 'GMT',
        },
        true,
        undefined,
        this.fixedOrganizationId,
      );
      const profileId = this.insert(profileObj, { Name: 'System Administrator' }, true);
      const userRec = this.blankRecord(userObj);
      Object.assign(userRec, {
        Username: 'integration@fsc-handoff.emulator',
        FirstName: 'Integration',
        LastName: 'User',
        Name: 'Integration User',
        Alias: 'integ',
        Email: 'integration@fsc-handoff.emulator',
        IsActive: true,
        TimeZoneSidKey: 'GMT',
        LocaleSidKey: 'en_US',
        LanguageLocaleKey: 'en_US',
        EmailEncodingKey: 'UTF-8',
        ProfileId: profileId,
        UserType: 'Standard',
        Id: this.runningUserId,
        IsDeleted: false,
      });
      const ts = this.timestamp();
      for (const k of ['CreatedDate', 'LastModifiedDate', 'SystemModstamp']) userRec[k] = ts;
      userRec.CreatedById = this.runningUserId;
      userRec.LastModifiedById = this.runningUserId;
      this.store.put('User', userRec);
      this.businessAccountRecordTypeId = this.insert(
        rtObj,
        {
          Name: 'Business Account',
          DeveloperName: 'Business_Account',
          SobjectType: 'Account',
          IsActive: true,
          IsPersonType: false,
        },
        true,
      );
      this.personAccountRecordTypeId = this.insert(
        rtObj,
        {
          Name: 'Person Account',
          DeveloperName: 'PersonAccount',
          SobjectType: 'Account',
          IsActive: true,
          IsPersonType: true,
        },
        true,
      );
    } catch (e) {
      this.store.rollback();
      throw e;
    }
    // Built-ins are not announced as changes.
    this.store.commit();
  }

  private findBuiltIns(): void {
    const first = (sobject: string, pred: (r: SObjectRecord) => boolean): string =>
      [...this.store.table(sobject).values()].find(pred)?.Id ?? '';
    this.organizationId = first('Organization', () => true);
    this.runningUserId = first('User', (r) => r.Username === 'integration@fsc-handoff.emulator');
    this.personAccountRecordTypeId = first('RecordType', (r) => r.IsPersonType === true);
    this.businessAccountRecordTypeId = first('RecordType', (r) => r.DeveloperName === 'Business_Account');
  }
}
