/** Small builders for field definitions, shared by the standard objects and the force-app loader. */
import type { FieldType, PicklistValue } from '../org/types';
import type { FieldDef } from './model';

type Opts = Partial<FieldDef>;

export function field(name: string, label: string, type: FieldType, opts: Opts = {}): FieldDef {
  return {
    name,
    label,
    type,
    length: 0,
    precision: 0,
    scale: 0,
    nillable: true,
    createable: true,
    updateable: true,
    defaultedOnCreate: false,
    unique: false,
    externalId: false,
    idLookup: false,
    caseSensitive: false,
    autoNumber: false,
    calculated: false,
    custom: name.endsWith('__c') || name.endsWith('__pc'),
    picklistValues: [],
    restrictedPicklist: false,
    referenceTo: [],
    relationshipName: null,
    cascadeDelete: false,
    ...opts,
  };
}

/** Read-only (set by the platform). */
export const RO: Opts = { createable: false, updateable: false };
/** Required on create: not nillable and not defaulted. */
export const REQ: Opts = { nillable: false };
/** Create-only: can be set on insert but never changed. */
export const CREATE_ONLY: Opts = { updateable: false };

export function str(name: string, label: string, length: number, opts: Opts = {}): FieldDef {
  return field(name, label, 'string', { length, ...opts });
}
export function textarea(name: string, label: string, length: number, opts: Opts = {}): FieldDef {
  return field(name, label, 'textarea', { length, ...opts });
}
export function email(name: string, label: string, opts: Opts = {}): FieldDef {
  return field(name, label, 'email', { length: 80, ...opts });
}
export function phone(name: string, label: string, opts: Opts = {}): FieldDef {
  return field(name, label, 'phone', { length: 40, ...opts });
}
export function url(name: string, label: string, opts: Opts = {}): FieldDef {
  return field(name, label, 'url', { length: 255, ...opts });
}
export function datetime(name: string, label: string, opts: Opts = {}): FieldDef {
  return field(name, label, 'datetime', opts);
}
export function date(name: string, label: string, opts: Opts = {}): FieldDef {
  return field(name, label, 'date', opts);
}
export function int(name: string, label: string, digits = 9, opts: Opts = {}): FieldDef {
  return field(name, label, 'int', { precision: digits, ...opts });
}
export function double(name: string, label: string, precision = 18, scale = 0, opts: Opts = {}): FieldDef {
  return field(name, label, 'double', { precision, scale, ...opts });
}
export function currency(name: string, label: string, precision = 18, scale = 2, opts: Opts = {}): FieldDef {
  return field(name, label, 'currency', { precision, scale, ...opts });
}
export function percent(name: string, label: string, precision = 5, scale = 2, opts: Opts = {}): FieldDef {
  return field(name, label, 'percent', { precision, scale, ...opts });
}

/** A checkbox: never nillable, always defaulted on create (to `defaultValue`). */
export function bool(name: string, label: string, defaultValue = false, opts: Opts = {}): FieldDef {
  return field(name, label, 'boolean', {
    nillable: false,
    defaultedOnCreate: true,
    defaultValue,
    createDefault: defaultValue,
    ...opts,
  });
}

export function picklistValues(values: readonly string[], defaultValue?: string): PicklistValue[] {
  return values.map((v) => ({ value: v, label: v, active: true, defaultValue: v === defaultValue }));
}

export function picklist(
  name: string,
  label: string,
  values: readonly string[],
  opts: Opts & { default?: string; restricted?: boolean } = {},
): FieldDef {
  const { default: def, restricted, ...rest } = opts;
  return field(name, label, 'picklist', {
    length: 255,
    picklistValues: picklistValues(values, def),
    restrictedPicklist: restricted ?? false,
    defaultedOnCreate: def !== undefined,
    ...(def !== undefined ? { createDefault: def } : {}),
    ...rest,
  });
}

/**
 * A reference. `relationshipName` is the field-side name (`Account`, `Case__r`); `childName` the name
 * the parent's child relationship carries (`Cases`).
 */
export function ref(
  name: string,
  label: string,
  referenceTo: string[],
  relationshipName: string,
  childName: string | null,
  opts: Opts = {},
): FieldDef {
  return field(name, label, 'reference', {
    length: 18,
    referenceTo,
    relationshipName,
    childRelationshipName: childName,
    relationshipOrder: undefined,
    deleteConstraint: 'SetNull',
    ...opts,
  });
}

export function autoNumber(name: string, label: string, displayFormat: string, opts: Opts = {}): FieldDef {
  return field(name, label, 'string', {
    length: 30,
    autoNumber: true,
    displayFormat,
    nillable: false,
    defaultedOnCreate: true,
    createable: false,
    updateable: false,
    ...opts,
  });
}

/** Id, IsDeleted and the audit fields every object has. */
export function systemFields(objectLabel: string): FieldDef[] {
  return [
    field('Id', `${objectLabel} ID`, 'id', {
      length: 18,
      nillable: false,
      createable: false,
      updateable: false,
      defaultedOnCreate: true,
      idLookup: true,
    }),
    bool('IsDeleted', 'Deleted', false, RO),
    datetime('CreatedDate', 'Created Date', { ...RO, nillable: false, defaultedOnCreate: true }),
    ref('CreatedById', 'Created By ID', ['User'], 'CreatedBy', null, {
      ...RO,
      nillable: false,
      defaultedOnCreate: true,
    }),
    datetime('LastModifiedDate', 'Last Modified Date', { ...RO, nillable: false, defaultedOnCreate: true }),
    ref('LastModifiedById', 'Last Modified By ID', ['User'], 'LastModifiedBy', null, {
      ...RO,
      nillable: false,
      defaultedOnCreate: true,
    }),
    datetime('SystemModstamp', 'System Modstamp', { ...RO, nillable: false, defaultedOnCreate: true }),
  ];
}

/** OwnerId: defaulted to the running user on create; an owner cannot be deleted while it owns records. */
export function ownerField(referenceTo: string[] = ['User']): FieldDef {
  return ref('OwnerId', 'Owner ID', referenceTo, 'Owner', null, {
    nillable: false,
    defaultedOnCreate: true,
    deleteConstraint: 'Restrict',
  });
}

/** The names of fields the org sets itself on every write (never from the body). */
export const AUDIT_FIELDS = [
  'Id',
  'IsDeleted',
  'CreatedDate',
  'CreatedById',
  'LastModifiedDate',
  'LastModifiedById',
  'SystemModstamp',
] as const;
