/**
 * The seam between the emulator's data layer (schema, records, DML rules, SOQL: `src/emulator/org`,
 * `src/emulator/schema`) and its HTTP layer (`src/emulator/http`, `src/emulator/omni`).
 *
 * The data layer knows nothing about HTTP; it throws `SalesforceApiError` carrying the HTTP status and
 * the JSON body Salesforce would answer with. The HTTP layer maps those to responses, runs composite
 * requests, counts API calls and injects faults.
 */

/** One item of a Salesforce REST error body: `[{"message":…,"errorCode":…,"fields":[…]}]`. */
export interface SfErrorItem {
  message: string;
  errorCode: string;
  fields?: string[];
}

/** A Salesforce error as the REST API would answer it: status and body (usually an array of items). */
export class SalesforceApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    const first = Array.isArray(body) ? (body[0] as SfErrorItem | undefined) : undefined;
    super(first ? `${first.errorCode}: ${first.message}` : `HTTP ${status}`);
    this.name = 'SalesforceApiError';
    this.status = status;
    this.body = body;
  }

  /** The first error code, if the body is a standard error array. */
  get errorCode(): string | undefined {
    return Array.isArray(this.body) ? (this.body[0] as SfErrorItem | undefined)?.errorCode : undefined;
  }
}

/** Field types as sObject describe names them. */
export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'picklist'
  | 'multipicklist'
  | 'boolean'
  | 'int'
  | 'double'
  | 'currency'
  | 'percent'
  | 'date'
  | 'datetime'
  | 'reference'
  | 'email'
  | 'phone'
  | 'url';

export interface PicklistValue {
  value: string;
  label: string;
  active: boolean;
  defaultValue: boolean;
}

/** A field as `GET /sobjects/X/describe` shows it (the subset the emulator enforces and reports). */
export interface FieldDescribe {
  name: string;
  label: string;
  type: FieldType;
  length: number;
  precision: number;
  scale: number;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  defaultedOnCreate: boolean;
  unique: boolean;
  externalId: boolean;
  idLookup: boolean;
  caseSensitive: boolean;
  autoNumber: boolean;
  calculated: boolean;
  custom: boolean;
  picklistValues: PicklistValue[];
  restrictedPicklist: boolean;
  referenceTo: string[];
  relationshipName: string | null;
  /** 0 for a master-detail field (cascade delete), 1 for a lookup. */
  relationshipOrder?: number;
  cascadeDelete: boolean;
  defaultValue?: unknown;
}

export interface ChildRelationship {
  childSObject: string;
  field: string;
  relationshipName: string | null;
  cascadeDelete: boolean;
}

/** An object's describe properties: its `GET /sobjects` (describeGlobal) entry. */
export interface SObjectSummary {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  custom: boolean;
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
  queryable: boolean;
}

/** An object as `GET /sobjects/X/describe` shows it. */
export interface SObjectDescribe extends SObjectSummary {
  fields: FieldDescribe[];
  childRelationships: ChildRelationship[];
}

/** A stored record: field API name → value, always including `Id`. Values are JSON values. */
export type SObjectRecord = Record<string, unknown> & { Id: string };

export interface UpsertResult {
  id: string;
  created: boolean;
}

/** Options that change how a DML call behaves, set from request headers by the HTTP layer. */
export interface DmlOptions {
  /** `Sforce-Auto-Assign` header: assignment rules run unless it is FALSE. */
  autoAssign?: boolean;
  /** API version of the request, for record URLs in answers (upsert's 300 list). Default: the org's. */
  apiVersion?: string;
}

/** A record change, emitted after the transaction that made it commits (for the Omni simulator). */
export interface RecordChange {
  kind: 'created' | 'updated' | 'deleted';
  sobject: string;
  id: string;
  before: SObjectRecord | null;
  after: SObjectRecord | null;
}

export interface QueryResult {
  totalSize: number;
  done: boolean;
  /** Records shaped as the REST API answers them (with `attributes: {type, url}`), or none for COUNT(). */
  records: Record<string, unknown>[];
}

/**
 * The org: every sObject operation the REST layer needs. All methods are synchronous (state is in
 * memory). Every write validates as Salesforce does and throws `SalesforceApiError` on failure.
 */
/** Which changes a listener hears. */
export interface ChangeFilter {
  sobjects?: ReadonlySet<string>;
  /**
   * The listener only reads changes, never modifies them (nor keeps them to modify later): it gets
   * the org's own objects instead of a deep copy of each change.
   */
  readOnly?: boolean;
}

export interface OrgApi {
  describeGlobal(): {
    encoding: string;
    maxBatchSize: number;
    sobjects: SObjectSummary[];
  };
  /** Throws NOT_FOUND (404) for an unknown object. Case-insensitive on the name, answers the canonical name. */
  describe(sobject: string): SObjectDescribe;

  create(sobject: string, fields: Record<string, unknown>, options?: DmlOptions): { id: string };
  /** `fields` undefined returns every field. Throws NOT_FOUND (404) when the id does not exist. */
  retrieve(sobject: string, id: string, fields?: string[]): SObjectRecord;
  update(sobject: string, id: string, fields: Record<string, unknown>, options?: DmlOptions): void;
  /** 201/200 semantics: created true/false. Several matches throw status 300 with the list of record URLs. */
  upsert(
    sobject: string,
    externalIdField: string,
    externalIdValue: string,
    fields: Record<string, unknown>,
    options?: DmlOptions,
  ): UpsertResult;
  delete(sobject: string, id: string): void;

  /**
   * Runs a SOQL query. Pagination (nextRecordsUrl) is the HTTP layer's job. `apiVersion` goes into each
   * record's `attributes.url` (default: the org's newest version).
   */
  query(soql: string, options?: { includeDeleted?: boolean; apiVersion?: string }): QueryResult;

  /**
   * Runs `fn` as one transaction: if it throws, every write made inside is undone and no change is
   * emitted; if it returns, the changes are emitted to subscribers in the order they were made.
   * Transactions nest (an inner rollback undoes only the inner writes).
   */
  transaction<T>(fn: () => T): T;

  /**
   * Subscribes to committed record changes; returns an unsubscribe function. With `sobjects` (canonical
   * names) the listener hears only changes of those objects.
   */
  onChange(listener: (change: RecordChange) => void, options?: ChangeFilter): () => void;

  /** Every record of an object (for the admin API and tests). */
  list(sobject: string): SObjectRecord[];

  /** Removes every record (the schema stays). */
  reset(): void;

  /** Serialisable state, and loading it back (for "save to a file on exit"). */
  snapshot(): unknown;
  restore(state: unknown): void;
}
