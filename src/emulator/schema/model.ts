/**
 * The emulator's schema model: describe-shaped objects and fields plus the few rules describe does not
 * show (delete constraints, reparenting, auto-number formats, person-account mirroring).
 */
import type { ChildRelationship, FieldDescribe, SObjectDescribe, SObjectSummary } from '../org/types';

export type DeleteConstraint = 'SetNull' | 'Restrict' | 'Cascade';

/** A field: its describe plus rules the org enforces. */
export interface FieldDef extends FieldDescribe {
  /** Reference fields: the child relationship name the parent sees (`Cases`, `Bot_Handoffs__r`). */
  childRelationshipName?: string | null;
  /** Reference fields: what deleting the parent does. Master-detail is always Cascade. */
  deleteConstraint?: DeleteConstraint;
  /** Master-detail: may the record be moved to another parent. */
  reparentable?: boolean;
  /** Auto-number fields: the display format (`HO-{000000}`, `{00000000}`). */
  displayFormat?: string;
  /** Value given on create when the body leaves the field out (not shown in describe for non-picklists). */
  createDefault?: unknown;
  /**
   * Person accounts: the Contact field this Account field reads and writes (`PersonEmail` → `Email`,
   * `Bank_Customer_Id__pc` → `Bank_Customer_Id__c`).
   */
  personContactField?: string;
}

/** An object: describe properties plus its field definitions. */
export interface ObjectDef extends SObjectSummary {
  fields: FieldDef[];
}

/** The describe properties of an object, without its fields (a describeGlobal entry). */
export function objectSummary(o: ObjectDef): SObjectSummary {
  return {
    name: o.name,
    label: o.label,
    labelPlural: o.labelPlural,
    keyPrefix: o.keyPrefix,
    custom: o.custom,
    createable: o.createable,
    updateable: o.updateable,
    deletable: o.deletable,
    queryable: o.queryable,
  };
}

const FIELD_DESCRIBE_KEYS = [
  'name',
  'label',
  'type',
  'length',
  'precision',
  'scale',
  'nillable',
  'createable',
  'updateable',
  'defaultedOnCreate',
  'unique',
  'externalId',
  'idLookup',
  'caseSensitive',
  'autoNumber',
  'calculated',
  'custom',
  'picklistValues',
  'restrictedPicklist',
  'referenceTo',
  'relationshipName',
  'relationshipOrder',
  'cascadeDelete',
  'defaultValue',
] as const satisfies readonly (keyof FieldDescribe)[];

/** The whole org schema: objects by name (case-insensitive) and by key prefix. */
export class Schema {
  private readonly byName = new Map<string, ObjectDef>();
  private readonly byPrefix = new Map<string, ObjectDef>();
  private readonly fieldIndex = new Map<string, Map<string, FieldDef>>();
  /** Canonical object name → canonical field name → field: the exact spelling the org itself uses. */
  private readonly exactFields = new Map<string, Map<string, FieldDef>>();
  private readonly childCache = new Map<string, { child: ObjectDef; field: FieldDef }[]>();

  constructor(objects: ObjectDef[]) {
    for (const o of objects) {
      const key = o.name.toLowerCase();
      if (this.byName.has(key)) throw new Error(`duplicate object ${o.name}`);
      if (this.byPrefix.has(o.keyPrefix)) {
        throw new Error(
          `key prefix ${o.keyPrefix} of ${o.name} is already used by ${this.byPrefix.get(o.keyPrefix)?.name}`,
        );
      }
      this.byName.set(key, o);
      this.byPrefix.set(o.keyPrefix, o);
      const fields = new Map<string, FieldDef>();
      const exact = new Map<string, FieldDef>();
      for (const f of o.fields) {
        const fk = f.name.toLowerCase();
        if (fields.has(fk)) throw new Error(`duplicate field ${o.name}.${f.name}`);
        fields.set(fk, f);
        exact.set(f.name, f);
      }
      this.fieldIndex.set(key, fields);
      this.exactFields.set(o.name, exact);
    }
  }

  objects(): ObjectDef[] {
    return [...this.byName.values()];
  }

  /** Case-insensitive. */
  object(name: string): ObjectDef | undefined {
    return this.byName.get(name.toLowerCase());
  }

  objectByPrefix(prefix: string): ObjectDef | undefined {
    return this.byPrefix.get(prefix);
  }

  /** Case-insensitive on both names. */
  field(objectName: string, fieldName: string): FieldDef | undefined {
    // Most lookups come from the org with canonical names: those skip lower-casing.
    const exact = this.exactFields.get(objectName)?.get(fieldName);
    if (exact) return exact;
    return this.fieldIndex.get(objectName.toLowerCase())?.get(fieldName.toLowerCase());
  }

  /** The reference field of `objectName` whose relationshipName is `relName` (case-insensitive). */
  relationshipField(objectName: string, relName: string): FieldDef | undefined {
    const o = this.object(objectName);
    const lower = relName.toLowerCase();
    return o?.fields.find((f) => f.type === 'reference' && f.relationshipName?.toLowerCase() === lower);
  }

  /** Every (child object, field) pair whose reference field can point at `objectName`. */
  childReferences(objectName: string): { child: ObjectDef; field: FieldDef }[] {
    const out: { child: ObjectDef; field: FieldDef }[] = [];
    const target = this.object(objectName)?.name;
    if (!target) return out;
    const cached = this.childCache.get(target);
    if (cached) return cached;
    this.childCache.set(target, out);
    for (const child of this.byName.values()) {
      for (const f of child.fields) {
        if (f.type === 'reference' && f.referenceTo.includes(target)) out.push({ child, field: f });
      }
    }
    return out;
  }

  /** `GET /sobjects/X/describe`-shaped copy (no emulator-only rule properties). */
  describe(objectName: string): SObjectDescribe | undefined {
    const o = this.object(objectName);
    if (!o) return undefined;
    const fields = o.fields.map((f) => {
      const out: Partial<Record<keyof FieldDescribe, unknown>> = {};
      for (const k of FIELD_DESCRIBE_KEYS) {
        if (f[k] !== undefined) out[k] = structuredClone(f[k]);
      }
      return out as FieldDescribe;
    });
    const childRelationships: ChildRelationship[] = this.childReferences(o.name).map(({ child, field }) => ({
      childSObject: child.name,
      field: field.name,
      relationshipName: field.childRelationshipName ?? null,
      cascadeDelete: field.cascadeDelete || field.deleteConstraint === 'Cascade',
    }));
    return { ...objectSummary(o), fields, childRelationships };
  }
}
