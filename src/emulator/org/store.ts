/**
 * Record storage with an undo journal: every mutation made inside a transaction frame records how to
 * undo it, so a failed transaction (or a failed DML call) leaves no trace. Unique/external-id indexes
 * are maintained by the same primitives, so undo keeps them consistent.
 */
import type { Schema } from '../schema/model';
import type { RecordChange, SObjectRecord } from './types';

interface UndoEntry {
  undo: () => void;
}

interface Frame {
  undo: UndoEntry[];
  changes: RecordChange[];
}

export interface DeletedEntry {
  sobject: string;
  record: SObjectRecord;
}

interface IndexedField {
  field: string;
  caseSensitive: boolean;
  index: Map<string, Set<string>>;
}

export function normKey(value: unknown, caseSensitive: boolean): string | null {
  if (value === null || value === undefined) return null;
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return caseSensitive ? s : s.toLowerCase();
}

export class Store {
  /** canonical object name → id → record */
  readonly records = new Map<string, Map<string, SObjectRecord>>();
  /** Recycle bin: id → deleted record. */
  readonly deleted = new Map<string, DeletedEntry>();
  /** `Object.Field` → normalised value → ids (fields that are unique, external id or idLookup). */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  /** Object → its indexed fields, each with its index (the same map as in `indexes`). */
  private readonly indexed = new Map<string, IndexedField[]>();
  readonly counters = new Map<string, number>();
  private readonly frames: Frame[] = [];

  constructor(private readonly schema: Schema) {
    for (const o of schema.objects()) {
      this.records.set(o.name, new Map());
      const list = o.fields
        .filter((f) => (f.unique || f.externalId || f.idLookup) && f.type !== 'id')
        .map((f) => ({
          field: f.name,
          caseSensitive: f.caseSensitive,
          index: new Map<string, Set<string>>(),
        }));
      this.indexed.set(o.name, list);
      for (const { field, index } of list) this.indexes.set(`${o.name}.${field}`, index);
    }
  }

  table(sobject: string): Map<string, SObjectRecord> {
    const t = this.records.get(sobject);
    if (!t) throw new Error(`no table for ${sobject}`);
    return t;
  }

  get(sobject: string, id: string): SObjectRecord | undefined {
    return this.records.get(sobject)?.get(id);
  }

  /** Ids of records whose indexed field equals `value` (case rules of the field). */
  lookup(sobject: string, field: string, value: unknown): string[] {
    const def = this.indexed.get(sobject)?.find((x) => x.field === field);
    const idx = def?.index;
    if (!idx || !def) {
      // Not indexed: scan.
      const out: string[] = [];
      for (const r of this.table(sobject).values()) if (r[field] === value) out.push(r.Id);
      return out;
    }
    const k = normKey(value, def.caseSensitive);
    if (k === null) return [];
    return [...(idx.get(k) ?? [])];
  }

  /** Like lookup, but only for indexed fields (undefined otherwise): never scans. */
  indexedLookup(sobject: string, field: string, value: unknown): string[] | undefined {
    const def = this.indexed.get(sobject)?.find((x) => x.field === field);
    const idx = def?.index;
    if (!idx || !def) return undefined;
    const k = normKey(value, def.caseSensitive);
    return k === null ? [] : [...(idx.get(k) ?? [])];
  }

  private indexRecord(sobject: string, rec: SObjectRecord, add: boolean): void {
    for (const { field, caseSensitive, index: idx } of this.indexed.get(sobject) ?? []) {
      const k = normKey(rec[field], caseSensitive);
      if (k === null) continue;
      let set = idx.get(k);
      if (add) {
        if (!set) idx.set(k, (set = new Set()));
        set.add(rec.Id);
      } else if (set) {
        set.delete(rec.Id);
        if (set.size === 0) idx.delete(k);
      }
    }
  }

  private rawPut(sobject: string, rec: SObjectRecord | undefined, id: string): void {
    const t = this.table(sobject);
    const prev = t.get(id);
    if (prev) this.indexRecord(sobject, prev, false);
    if (rec) {
      t.set(id, rec);
      this.indexRecord(sobject, rec, true);
    } else {
      t.delete(id);
    }
  }

  private journal(undo: () => void): void {
    const top = this.frames[this.frames.length - 1];
    if (top) top.undo.push({ undo });
  }

  /** Inserts or replaces a record. */
  put(sobject: string, rec: SObjectRecord): void {
    const prev = this.get(sobject, rec.Id);
    this.rawPut(sobject, rec, rec.Id);
    this.journal(() => this.rawPut(sobject, prev, rec.Id));
  }

  /** Moves a record to the recycle bin. */
  remove(sobject: string, id: string): void {
    const prev = this.get(sobject, id);
    if (!prev) return;
    this.rawPut(sobject, undefined, id);
    const binned: SObjectRecord = { ...prev, IsDeleted: true };
    this.deleted.set(id, { sobject, record: binned });
    this.journal(() => {
      this.deleted.delete(id);
      this.rawPut(sobject, prev, id);
    });
  }

  nextCounter(key: string): number {
    const prev = this.counters.get(key) ?? 0;
    this.counters.set(key, prev + 1);
    this.journal(() => this.counters.set(key, prev));
    return prev + 1;
  }

  /**
   * Registers a change to emit when the outermost frame commits. Its `before`/`after` are stored
   * record objects, not copies: a stored record is never changed in place (every write stores a new
   * object), and the org hands listeners deep copies.
   */
  change(c: RecordChange): void {
    const top = this.frames[this.frames.length - 1];
    if (!top) throw new Error('change outside a transaction');
    top.changes.push(c);
  }

  /** Updates the `after` image of the latest pending change of a record (follow-up writes in one call). */
  amendLastChange(sobject: string, id: string, after: SObjectRecord): void {
    const top = this.frames[this.frames.length - 1];
    const c = top?.changes.findLast((x) => x.sobject === sobject && x.id === id);
    if (c) c.after = after;
  }

  get depth(): number {
    return this.frames.length;
  }

  begin(): void {
    this.frames.push({ undo: [], changes: [] });
  }

  /** Commits the top frame; returns the changes to emit when it was the outermost one. */
  commit(): RecordChange[] {
    const top = this.frames.pop();
    if (!top) throw new Error('commit without begin');
    const parent = this.frames[this.frames.length - 1];
    if (parent) {
      parent.undo.push(...top.undo);
      parent.changes.push(...top.changes);
      return [];
    }
    return top.changes;
  }

  rollback(): void {
    const top = this.frames.pop();
    if (!top) throw new Error('rollback without begin');
    for (let i = top.undo.length - 1; i >= 0; i--) top.undo[i]?.undo();
  }

  clear(): void {
    for (const t of this.records.values()) t.clear();
    for (const idx of this.indexes.values()) idx.clear();
    this.deleted.clear();
    this.counters.clear();
  }

  /** Loads records without journaling (restore). */
  load(sobject: string, rec: SObjectRecord): void {
    this.rawPut(sobject, rec, rec.Id);
  }

  get schemaRef(): Schema {
    return this.schema;
  }
}
