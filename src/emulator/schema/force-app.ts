/**
 * Reads a Salesforce DX source-format tree (force-app) and turns its custom objects and custom fields
 * into the emulator's describe model.
 *
 * Read: `objects/<Obj>/<Obj>.object-meta.xml`, `objects/<Obj>/fields/*.field-meta.xml`,
 * `globalValueSets/*.globalValueSet-meta.xml`, `standardValueSets/*.standardValueSet-meta.xml` and
 * `permissionsets/*.permissionset-meta.xml`, wherever they sit under the given directory (a project root,
 * a package directory or `main/default`).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { FieldType } from '../org/types';
import { autoNumber, bool, field, ownerField, picklistValues, str, systemFields } from './fields';
import type { FieldDef, ObjectDef } from './model';
import { Schema } from './model';
import { CASE_STATUSES, standardObjects } from './standard-objects';

// ---------------------------------------------------------------------------------------------------
// Raw source model

export interface ForceAppPicklistValue {
  fullName: string;
  label: string;
  default: boolean;
  /** Standard value sets: CaseStatus values carry `closed`. */
  closed?: boolean;
}

export interface ForceAppField {
  object: string;
  fullName: string;
  label: string;
  /** Metadata API type: Text, LongTextArea, Picklist, Checkbox, Number, Lookup, MasterDetail, … */
  type: string;
  length?: number;
  precision?: number;
  scale?: number;
  required: boolean;
  unique: boolean;
  externalId: boolean;
  caseSensitive: boolean;
  defaultValue?: string;
  formula?: string;
  referenceTo?: string;
  /** The child relationship name as written in metadata (`Bot_Handoffs`; SOQL adds `__r`). */
  relationshipName?: string;
  relationshipOrder?: number;
  deleteConstraint?: 'SetNull' | 'Restrict' | 'Cascade';
  reparentable: boolean;
  displayFormat?: string;
  picklist?: {
    restricted: boolean;
    /** A global value set the values come from. */
    valueSetName?: string;
    values: ForceAppPicklistValue[];
  };
  /** Path of the source file, for messages. */
  file: string;
}

export interface ForceAppObject {
  name: string;
  custom: boolean;
  label?: string;
  pluralLabel?: string;
  sharingModel?: string;
  nameField?: { label: string; type: 'Text' | 'AutoNumber'; displayFormat?: string };
  fields: ForceAppField[];
  file?: string;
}

export interface ForceAppSource {
  objects: ForceAppObject[];
  globalValueSets: Record<string, ForceAppPicklistValue[]>;
  standardValueSets: Record<string, ForceAppPicklistValue[]>;
}

const ARRAYS = new Set([
  'value',
  'customValue',
  'standardValue',
  'objectPermissions',
  'fieldPermissions',
  'userPermissions',
]);

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ARRAYS.has(name),
});

type Xml = Record<string, unknown>;

function parseFile(file: string, root: string): Xml {
  let doc: unknown;
  const xml = readFileSync(file, 'utf8');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new Error(`${file}: not well-formed XML (${valid.err.msg} at line ${valid.err.line})`);
  }
  try {
    doc = parser.parse(xml);
  } catch (e) {
    throw new Error(`${file}: not well-formed XML (${(e as Error).message})`);
  }
  const node = (doc as Xml)[root];
  if (!node || typeof node !== 'object') throw new Error(`${file}: expected a <${root}> document`);
  return node as Xml;
}

function text(node: Xml, key: string): string | undefined {
  const v = node[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function flag(node: Xml, key: string, dflt = false): boolean {
  const v = text(node, key);
  return v === undefined ? dflt : v.trim().toLowerCase() === 'true';
}

function num(node: Xml, key: string): number | undefined {
  const v = text(node, key);
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function list(node: Xml | undefined, key: string): Xml[] {
  const v = node?.[key];
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is Xml => typeof x === 'object' && x !== null);
}

function values(nodes: Xml[]): ForceAppPicklistValue[] {
  return nodes.map((v) => {
    const fullName = text(v, 'fullName') ?? '';
    const closed = text(v, 'closed');
    return {
      fullName,
      label: text(v, 'label') ?? fullName,
      default: flag(v, 'default'),
      ...(closed !== undefined ? { closed: closed === 'true' } : {}),
    };
  });
}

/** Every directory named `name` under `dir` (skipping node_modules and dot-directories). */
function findDirs(dir: string, name: string, out: string[] = []): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e === 'node_modules' || e.startsWith('.')) continue;
    const p = join(dir, e);
    if (!statSync(p).isDirectory()) continue;
    if (e === name) out.push(p);
    else findDirs(p, name, out);
  }
  return out.sort();
}

function filesWithSuffix(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => join(dir, f));
}

function readField(object: string, file: string): ForceAppField {
  const x = parseFile(file, 'CustomField');
  const fullName = text(x, 'fullName') ?? basename(file, '.field-meta.xml');
  const type = text(x, 'type') ?? '';
  const out: ForceAppField = {
    object,
    fullName,
    label: text(x, 'label') ?? fullName,
    type,
    required: flag(x, 'required'),
    unique: flag(x, 'unique'),
    externalId: flag(x, 'externalId'),
    caseSensitive: flag(x, 'caseSensitive'),
    reparentable: flag(x, 'reparentableMasterDetail'),
    file,
  };
  const length = num(x, 'length');
  if (length !== undefined) out.length = length;
  const precision = num(x, 'precision');
  if (precision !== undefined) out.precision = precision;
  const scale = num(x, 'scale');
  if (scale !== undefined) out.scale = scale;
  const dv = text(x, 'defaultValue');
  if (dv !== undefined) out.defaultValue = dv;
  const formula = text(x, 'formula');
  if (formula !== undefined) out.formula = formula;
  const referenceTo = text(x, 'referenceTo');
  if (referenceTo) out.referenceTo = referenceTo;
  const relName = text(x, 'relationshipName');
  if (relName) out.relationshipName = relName;
  const relOrder = num(x, 'relationshipOrder');
  if (relOrder !== undefined) out.relationshipOrder = relOrder;
  const dc = text(x, 'deleteConstraint');
  if (dc === 'SetNull' || dc === 'Restrict' || dc === 'Cascade') out.deleteConstraint = dc;
  const fmt = text(x, 'displayFormat');
  if (fmt) out.displayFormat = fmt;
  const vs = x.valueSet as Xml | undefined;
  if (vs && typeof vs === 'object') {
    const def = vs.valueSetDefinition as Xml | undefined;
    const valueSetName = text(vs, 'valueSetName');
    out.picklist = {
      restricted: flag(vs, 'restricted') || valueSetName !== undefined,
      values: values(list(def, 'value')),
      ...(valueSetName ? { valueSetName } : {}),
    };
  }
  return out;
}

function readObject(dir: string): ForceAppObject {
  const name = basename(dir);
  const file = join(dir, `${name}.object-meta.xml`);
  const obj: ForceAppObject = { name, custom: name.endsWith('__c'), fields: [] };
  if (existsSync(file)) {
    const x = parseFile(file, 'CustomObject');
    obj.file = file;
    const label = text(x, 'label');
    if (label) obj.label = label;
    const plural = text(x, 'pluralLabel');
    if (plural) obj.pluralLabel = plural;
    const sharing = text(x, 'sharingModel');
    if (sharing) obj.sharingModel = sharing;
    const nf = x.nameField as Xml | undefined;
    if (nf && typeof nf === 'object') {
      const t = text(nf, 'type') === 'AutoNumber' ? 'AutoNumber' : 'Text';
      const fmt = text(nf, 'displayFormat');
      obj.nameField = { label: text(nf, 'label') ?? 'Name', type: t, ...(fmt ? { displayFormat: fmt } : {}) };
    }
  } else if (obj.custom) {
    throw new Error(`${dir}: custom object without ${name}.object-meta.xml`);
  }
  for (const f of filesWithSuffix(join(dir, 'fields'), '.field-meta.xml')) {
    const fld = readField(name, f);
    // Standard fields can appear in source (history tracking, picklist tweaks); only custom ones define schema.
    if (fld.fullName.endsWith('__c')) obj.fields.push(fld);
  }
  return obj;
}

/** Reads every object, field and value set of a source-format tree. */
export function readForceApp(dir: string): ForceAppSource {
  if (!existsSync(dir)) throw new Error(`force-app directory not found: ${dir}`);
  const objects: ForceAppObject[] = [];
  for (const objectsDir of findDirs(dir, 'objects')) {
    for (const e of readdirSync(objectsDir).sort()) {
      const p = join(objectsDir, e);
      if (statSync(p).isDirectory()) objects.push(readObject(p));
    }
  }
  const globalValueSets: Record<string, ForceAppPicklistValue[]> = {};
  for (const d of findDirs(dir, 'globalValueSets')) {
    for (const f of filesWithSuffix(d, '.globalValueSet-meta.xml')) {
      const x = parseFile(f, 'GlobalValueSet');
      globalValueSets[basename(f, '.globalValueSet-meta.xml')] = values(list(x, 'customValue'));
    }
  }
  const standardValueSets: Record<string, ForceAppPicklistValue[]> = {};
  for (const d of findDirs(dir, 'standardValueSets')) {
    for (const f of filesWithSuffix(d, '.standardValueSet-meta.xml')) {
      const x = parseFile(f, 'StandardValueSet');
      standardValueSets[basename(f, '.standardValueSet-meta.xml')] = values(list(x, 'standardValue'));
    }
  }
  return { objects, globalValueSets, standardValueSets };
}

/** Flat list of custom fields (object, name, metadata type, length…) for contract tests. */
export function listForceAppFields(dir: string): ForceAppField[] {
  return readForceApp(dir).objects.flatMap((o) => o.fields);
}

// ---------------------------------------------------------------------------------------------------
// Permission sets

export interface ObjectPermission {
  object: string;
  allowCreate: boolean;
  allowRead: boolean;
  allowEdit: boolean;
  allowDelete: boolean;
  viewAllRecords: boolean;
  modifyAllRecords: boolean;
}

export interface FieldPermission {
  /** `Object.Field` */
  field: string;
  readable: boolean;
  editable: boolean;
}

export interface PermissionSetSource {
  name: string;
  label: string;
  objectPermissions: ObjectPermission[];
  fieldPermissions: FieldPermission[];
  file: string;
}

export function readPermissionSets(dir: string): PermissionSetSource[] {
  const out: PermissionSetSource[] = [];
  for (const d of findDirs(dir, 'permissionsets')) {
    for (const f of filesWithSuffix(d, '.permissionset-meta.xml')) {
      const x = parseFile(f, 'PermissionSet');
      const name = basename(f, '.permissionset-meta.xml');
      out.push({
        name,
        label: text(x, 'label') ?? name,
        file: f,
        objectPermissions: list(x, 'objectPermissions').map((p) => ({
          object: text(p, 'object') ?? '',
          allowCreate: flag(p, 'allowCreate'),
          allowRead: flag(p, 'allowRead'),
          allowEdit: flag(p, 'allowEdit'),
          allowDelete: flag(p, 'allowDelete'),
          viewAllRecords: flag(p, 'viewAllRecords'),
          modifyAllRecords: flag(p, 'modifyAllRecords'),
        })),
        fieldPermissions: list(x, 'fieldPermissions').map((p) => ({
          field: text(p, 'field') ?? '',
          readable: flag(p, 'readable'),
          editable: flag(p, 'editable'),
        })),
      });
    }
  }
  return out;
}

/**
 * The fields a permission set grants: `Object.Field` → access. Unknown permission set names throw.
 * `editable` implies readable.
 */
export function permissionSetFieldGrants(
  dir: string,
  permissionSet: string,
): { field: string; readable: boolean; editable: boolean }[] {
  const ps = readPermissionSets(dir).find((p) => p.name === permissionSet);
  if (!ps) throw new Error(`permission set not found: ${permissionSet}`);
  return ps.fieldPermissions
    .filter((f) => f.readable || f.editable)
    .map((f) => ({ field: f.field, readable: f.readable || f.editable, editable: f.editable }));
}

// ---------------------------------------------------------------------------------------------------
// Source → describe model

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Stable custom-object key prefixes: a01, a02, … a0z, a10, … by sorted object name. */
export function customKeyPrefix(index: number): string {
  const n = index + 1;
  return 'a' + (BASE62[Math.floor(n / 62) % 62] ?? '0') + (BASE62[n % 62] ?? '0');
}

/** `Case__c` → `Case__r`; the describe-side relationship name of a custom reference field. */
export function relationshipNameOf(fieldName: string): string {
  return fieldName.replace(/__c$/, '__r');
}

function labelOf(name: string): string {
  return name.replace(/__c$/, '').replace(/_/g, ' ');
}

/** Converts one custom field to a FieldDef. Throws on types the emulator does not model. */
export function toFieldDef(
  src: ForceAppField,
  globalValueSets: Record<string, ForceAppPicklistValue[]>,
): FieldDef {
  const base = {
    unique: src.unique,
    externalId: src.externalId,
    idLookup: src.externalId || src.unique,
    caseSensitive: src.caseSensitive,
    nillable: !src.required,
    custom: true,
  };
  const where = `${src.object}.${src.fullName}`;
  const withLength = (type: FieldType, dflt: number): FieldDef =>
    field(src.fullName, src.label, type, { ...base, length: src.length ?? dflt });
  let f: FieldDef;
  switch (src.type) {
    case 'Text':
      // Formula text fields have no length of their own.
      if (src.length === undefined && src.formula === undefined)
        throw new Error(`${where}: Text field without <length>`);
      f = withLength('string', 255);
      break;
    case 'EncryptedText':
      f = withLength('string', 175);
      break;
    case 'TextArea':
      f = withLength('textarea', 255);
      break;
    case 'LongTextArea':
    case 'Html':
      if (src.length === undefined) throw new Error(`${where}: ${src.type} field without <length>`);
      f = withLength('textarea', 32768);
      break;
    case 'Email':
      f = withLength('email', 80);
      break;
    case 'Phone':
      f = withLength('phone', 40);
      break;
    case 'Url':
      f = withLength('url', 255);
      break;
    case 'Checkbox': {
      const d = (src.defaultValue ?? 'false').trim().toLowerCase() === 'true';
      f = bool(src.fullName, src.label, d, { ...base, nillable: false });
      break;
    }
    case 'Number':
    case 'Currency':
    case 'Percent': {
      const type: FieldType =
        src.type === 'Number' ? 'double' : src.type === 'Currency' ? 'currency' : 'percent';
      // Custom number fields describe as double whatever their scale; the org rounds to the scale.
      f = field(src.fullName, src.label, type, {
        ...base,
        precision: src.precision ?? 18,
        scale: src.scale ?? 0,
      });
      break;
    }
    case 'Date':
      f = field(src.fullName, src.label, 'date', base);
      break;
    case 'DateTime':
      f = field(src.fullName, src.label, 'datetime', base);
      break;
    case 'Picklist':
    case 'MultiselectPicklist': {
      const pl = src.picklist;
      if (!pl) throw new Error(`${where}: picklist without <valueSet>`);
      let vals = pl.values;
      if (pl.valueSetName) {
        const g = globalValueSets[pl.valueSetName];
        if (!g) throw new Error(`${where}: global value set ${pl.valueSetName} not found`);
        vals = g;
      }
      const def = vals.find((v) => v.default)?.fullName;
      f = field(src.fullName, src.label, src.type === 'Picklist' ? 'picklist' : 'multipicklist', {
        ...base,
        length: src.type === 'Picklist' ? 255 : 4099,
        picklistValues: picklistValues(
          vals.map((v) => v.fullName),
          def,
        ).map((p, i) => ({ ...p, label: vals[i]?.label ?? p.value })),
        restrictedPicklist: pl.restricted,
        defaultedOnCreate: def !== undefined,
        ...(def !== undefined ? { createDefault: def } : {}),
      });
      break;
    }
    case 'Lookup':
    case 'MasterDetail': {
      if (!src.referenceTo) throw new Error(`${where}: ${src.type} without <referenceTo>`);
      const md = src.type === 'MasterDetail';
      f = field(src.fullName, src.label, 'reference', {
        ...base,
        length: 18,
        idLookup: false,
        referenceTo: [src.referenceTo],
        relationshipName: relationshipNameOf(src.fullName),
        childRelationshipName: src.relationshipName ? `${src.relationshipName}__r` : null,
        nillable: md ? false : !src.required,
        cascadeDelete: md || src.deleteConstraint === 'Cascade',
        deleteConstraint: md ? 'Cascade' : (src.deleteConstraint ?? 'SetNull'),
        ...(md ? { relationshipOrder: src.relationshipOrder ?? 0, reparentable: src.reparentable } : {}),
        // A master-detail that cannot be reparented is not updateable (the same parent may be sent again).
        updateable: md ? src.reparentable : true,
      });
      break;
    }
    case 'Summary':
      // Roll-up summary: read-only, computed by the platform (the emulator leaves it empty).
      f = field(src.fullName, src.label, 'double', {
        ...base,
        precision: 18,
        scale: src.scale ?? 0,
        calculated: true,
        createable: false,
        updateable: false,
      });
      break;
    case 'AutoNumber':
      f = autoNumber(src.fullName, src.label, src.displayFormat ?? '{0}', {
        custom: true,
        externalId: src.externalId,
        idLookup: true,
      });
      break;
    default:
      throw new Error(`${where}: field type ${src.type || '(none)'} is not supported by the emulator`);
  }
  if (src.formula !== undefined) {
    f = {
      ...f,
      calculated: true,
      createable: false,
      updateable: false,
      nillable: true,
      defaultedOnCreate: false,
    };
  }
  return f;
}

/** Maps standard value set names to the standard field they define. */
const STANDARD_VALUE_SET_FIELDS: Record<string, [string, string]> = {
  CaseOrigin: ['Case', 'Origin'],
  CasePriority: ['Case', 'Priority'],
  CaseReason: ['Case', 'Reason'],
  CaseStatus: ['Case', 'Status'],
  CaseType: ['Case', 'Type'],
  AccountType: ['Account', 'Type'],
  Industry: ['Account', 'Industry'],
  LeadSource: ['Contact', 'LeadSource'],
  Salutation: ['Contact', 'Salutation'],
};

export interface BuildSchemaOptions {
  /** Objects to start from (default: the standard objects). */
  standard?: ObjectDef[];
}

/** Case statuses that close a case, after standard value sets are applied. */
export type ClosedStatuses = Set<string>;

/**
 * The whole schema: the standard objects plus the custom objects and fields of `forceAppDir` (if given).
 * Also returns the closed Case statuses (CaseStatus standard value set).
 */
export function buildSchema(forceAppDir?: string, options: BuildSchemaOptions = {}): Schema {
  return buildSchemaWithInfo(forceAppDir, options).schema;
}

export function buildSchemaWithInfo(
  forceAppDir?: string,
  options: BuildSchemaOptions = {},
): { schema: Schema; closedCaseStatuses: ClosedStatuses } {
  const objects = options.standard ?? standardObjects();
  const byName = new Map(objects.map((o) => [o.name.toLowerCase(), o]));
  const closedCaseStatuses: ClosedStatuses = new Set(
    Object.entries(CASE_STATUSES)
      .filter(([, c]) => c)
      .map(([s]) => s),
  );
  if (forceAppDir !== undefined) {
    const src = readForceApp(forceAppDir);
    const customs = src.objects
      .filter((o) => o.custom)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    customs.forEach((o, i) => {
      if (byName.has(o.name.toLowerCase())) throw new Error(`object ${o.name} defined twice`);
      const def = customObjectShell(o, customKeyPrefix(i));
      objects.push(def);
      byName.set(o.name.toLowerCase(), def);
    });
    for (const o of src.objects) {
      const target = byName.get(o.name.toLowerCase());
      if (!target) throw new Error(`${o.name}: standard object not modelled by the emulator`);
      for (const fsrc of o.fields) {
        const f = toFieldDef(fsrc, src.globalValueSets);
        if (target.fields.some((x) => x.name.toLowerCase() === f.name.toLowerCase())) {
          throw new Error(`${o.name}.${f.name} defined twice`);
        }
        target.fields.push(f);
      }
    }
    // Person accounts: custom Contact fields appear on Account with the __pc suffix.
    const account = byName.get('account');
    const contact = byName.get('contact');
    if (account && contact) {
      for (const cf of contact.fields.filter((f) => f.custom && f.name.endsWith('__c'))) {
        const name = cf.name.replace(/__c$/, '__pc');
        account.fields.push({
          ...structuredClone(cf),
          name,
          personContactField: cf.name,
          // Unique/external-id rules stay on the contact field.
          unique: false,
          externalId: false,
          idLookup: false,
          ...(cf.type === 'reference'
            ? { relationshipName: cf.name.replace(/__c$/, '__pr'), childRelationshipName: null }
            : {}),
        });
      }
    }
    for (const [set, vals] of Object.entries(src.standardValueSets)) {
      const target = STANDARD_VALUE_SET_FIELDS[set];
      if (!target) continue;
      const f = byName.get(target[0].toLowerCase())?.fields.find((x) => x.name === target[1]);
      if (!f) continue;
      const def = vals.find((v) => v.default)?.fullName;
      f.picklistValues = picklistValues(
        vals.map((v) => v.fullName),
        def,
      ).map((p, i) => ({ ...p, label: vals[i]?.label ?? p.value }));
      f.defaultedOnCreate = def !== undefined || f.defaultedOnCreate;
      if (def !== undefined) f.createDefault = def;
      if (set === 'CaseStatus') {
        closedCaseStatuses.clear();
        for (const v of vals) if (v.closed) closedCaseStatuses.add(v.fullName);
      }
    }
  }
  // Any object can be routed by Omni-Channel: work item references reach every custom object.
  const customNames = objects.filter((o) => o.custom).map((o) => o.name);
  for (const [objName, fieldName] of [
    ['pendingservicerouting', 'WorkItemId'],
    ['agentwork', 'WorkItemId'],
  ] as const) {
    const f = byName.get(objName)?.fields.find((x) => x.name === fieldName);
    if (f) f.referenceTo = [...new Set([...f.referenceTo, ...customNames])];
  }
  for (const o of objects) {
    for (const f of o.fields) {
      if (f.type !== 'reference') continue;
      for (const t of f.referenceTo) {
        if (!byName.has(t.toLowerCase()) && f.createable) {
          throw new Error(`${o.name}.${f.name} references unknown object ${t}`);
        }
      }
    }
  }
  return { schema: new Schema(objects), closedCaseStatuses };
}

function customObjectShell(o: ForceAppObject, keyPrefix: string): ObjectDef {
  const label = o.label ?? labelOf(o.name);
  const nf = o.nameField ?? { label: `${label} Name`, type: 'Text' as const };
  const nameField =
    nf.type === 'AutoNumber'
      ? autoNumber('Name', nf.label, nf.displayFormat ?? '{0}', { idLookup: true })
      : str('Name', nf.label, 80, { idLookup: true, nillable: false });
  const fields: FieldDef[] = [...systemFields(label), nameField];
  // Detail objects of a master-detail have no owner: their sharing is controlled by the parent.
  if (o.sharingModel !== 'ControlledByParent') fields.push(ownerField(['Group', 'User']));
  return {
    name: o.name,
    label,
    labelPlural: o.pluralLabel ?? `${label}s`,
    keyPrefix,
    custom: true,
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    fields,
  };
}
