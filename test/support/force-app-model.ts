/**
 * Reads the Salesforce source under `force-app/main/default` into a plain model for tests: the objects
 * and fields the metadata defines (with the properties a writer cares about) and what each permission
 * set grants. It reads only XML; it never talks to an org.
 *
 * Use it to check the service against the metadata it will be deployed with, for example:
 *
 *   const model = loadForceAppModel();
 *   const field = model.field('Bot_Handoff__c', 'Summary_Issue__c'); // → { type: 'Text', length: 255, … }
 *   model.permissionSets.FSC_Handoff_Integration?.fields['Case.Handoff_Id__c']; // → { readable, editable }
 */
import fs from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';

export const FORCE_APP_DEFAULT = path.resolve(__dirname, '../../force-app/main/default');

/** Field types as the Metadata API spells them (`<type>` of a CustomField). */
export type MetadataFieldType =
  | 'Text'
  | 'TextArea'
  | 'LongTextArea'
  | 'Picklist'
  | 'MultiselectPicklist'
  | 'Checkbox'
  | 'Number'
  | 'Currency'
  | 'Percent'
  | 'Date'
  | 'DateTime'
  | 'Email'
  | 'Phone'
  | 'Url'
  | 'Lookup'
  | 'MasterDetail'
  | 'AutoNumber';

export interface PicklistValueModel {
  /** API value (what the service writes). */
  value: string;
  label: string;
  isDefault: boolean;
}

export interface PicklistModel {
  restricted: boolean;
  values: PicklistValueModel[];
}

export interface FieldModel {
  /** Object API name, e.g. `Case`, `Bot_Handoff__c`. */
  object: string;
  /** Field API name, e.g. `Handoff_Id__c`. */
  name: string;
  label: string;
  /** Description with runs of whitespace collapsed (formatters wrap long text). */
  description: string | undefined;
  type: MetadataFieldType;
  /** Characters for text types; undefined for others. */
  length: number | undefined;
  precision: number | undefined;
  scale: number | undefined;
  visibleLines: number | undefined;
  externalId: boolean;
  unique: boolean;
  caseSensitive: boolean;
  /** True for `<required>true</required>` and for every master-detail field (always required). */
  required: boolean;
  defaultValue: string | undefined;
  picklist: PicklistModel | undefined;
  /** Target object of a Lookup or MasterDetail. */
  referenceTo: string | undefined;
  relationshipName: string | undefined;
  /** Path of the field's file, relative to the repository root. */
  file: string;
}

export interface NameFieldModel {
  label: string;
  type: 'Text' | 'AutoNumber';
  displayFormat: string | undefined;
}

export interface ObjectModel {
  name: string;
  /** True when the object itself is defined here (custom object); false for standard objects we only extend. */
  definedHere: boolean;
  label: string | undefined;
  pluralLabel: string | undefined;
  description: string | undefined;
  sharingModel: string | undefined;
  nameField: NameFieldModel | undefined;
  fields: Record<string, FieldModel>;
  /** The object's own file (undefined for standard objects extended with fields only). */
  file: string | undefined;
}

export interface ObjectPermissionModel {
  allowCreate: boolean;
  allowRead: boolean;
  allowEdit: boolean;
  allowDelete: boolean;
  viewAllRecords: boolean;
  modifyAllRecords: boolean;
}

export interface FieldPermissionModel {
  readable: boolean;
  editable: boolean;
}

export interface PermissionSetModel {
  name: string;
  label: string;
  description: string | undefined;
  /** Keyed by object API name. */
  objects: Record<string, ObjectPermissionModel>;
  /** Keyed by `Object.Field`. */
  fields: Record<string, FieldPermissionModel>;
  /** Names of enabled user permissions, e.g. `ApiEnabled`. */
  userPermissions: string[];
  file: string;
}

export interface ForceAppModel {
  root: string;
  objects: Record<string, ObjectModel>;
  permissionSets: Record<string, PermissionSetModel>;
  /** The field, or undefined when force-app does not define it. */
  field(object: string, name: string): FieldModel | undefined;
  /** Every field force-app defines, in object then field order. */
  allFields(): FieldModel[];
  /**
   * `Object.Field` names a permission set lets its holder read (or edit). Required and master-detail
   * fields never appear: their access comes with the object permission.
   */
  fieldsGranted(permissionSet: string, access: 'read' | 'edit'): string[];
}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ['value', 'fieldPermissions', 'objectPermissions', 'userPermissions'].includes(name),
});

const REPO_ROOT = path.resolve(__dirname, '../..');

function readXml(file: string, rootElement: string): XmlNode {
  const parsed = parser.parse(fs.readFileSync(file, 'utf8')) as XmlNode;
  const root = parsed[rootElement];
  if (root === undefined || root === null || typeof root !== 'object') {
    throw new Error(`${path.relative(REPO_ROOT, file)}: expected a <${rootElement}> root element`);
  }
  return root as XmlNode;
}

function text(node: XmlNode, key: string): string | undefined {
  const v = node[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.replace(/\s+/g, ' ').trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function num(node: XmlNode, key: string): number | undefined {
  const v = text(node, key);
  return v === undefined ? undefined : Number(v);
}

function bool(node: XmlNode, key: string): boolean {
  return text(node, key) === 'true';
}

function child(node: XmlNode, key: string): XmlNode | undefined {
  const v = node[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as XmlNode) : undefined;
}

function list(node: XmlNode, key: string): XmlNode[] {
  const v = node[key];
  return Array.isArray(v) ? (v as XmlNode[]) : [];
}

function readField(object: string, file: string): FieldModel {
  const x = readXml(file, 'CustomField');
  const type = text(x, 'type') as MetadataFieldType;
  const valueSet = child(x, 'valueSet');
  const definition = valueSet ? child(valueSet, 'valueSetDefinition') : undefined;
  const name = text(x, 'fullName') ?? path.basename(file).replace('.field-meta.xml', '');
  return {
    object,
    name,
    label: text(x, 'label') ?? name,
    description: text(x, 'description'),
    type,
    length: num(x, 'length'),
    precision: num(x, 'precision'),
    scale: num(x, 'scale'),
    visibleLines: num(x, 'visibleLines'),
    externalId: bool(x, 'externalId'),
    unique: bool(x, 'unique'),
    caseSensitive: bool(x, 'caseSensitive'),
    required: type === 'MasterDetail' || bool(x, 'required'),
    defaultValue: text(x, 'defaultValue'),
    picklist: valueSet
      ? {
          restricted: bool(valueSet, 'restricted'),
          values: (definition ? list(definition, 'value') : []).map((v) => ({
            value: text(v, 'fullName') ?? '',
            label: text(v, 'label') ?? '',
            isDefault: bool(v, 'default'),
          })),
        }
      : undefined,
    referenceTo: text(x, 'referenceTo'),
    relationshipName: text(x, 'relationshipName'),
    file: path.relative(REPO_ROOT, file),
  };
}

function readObject(dir: string): ObjectModel {
  const name = path.basename(dir);
  const objectFile = path.join(dir, `${name}.object-meta.xml`);
  const fieldsDir = path.join(dir, 'fields');
  const fields: Record<string, FieldModel> = {};
  if (fs.existsSync(fieldsDir)) {
    for (const f of fs.readdirSync(fieldsDir).sort()) {
      if (!f.endsWith('.field-meta.xml')) continue;
      const field = readField(name, path.join(fieldsDir, f));
      fields[field.name] = field;
    }
  }
  if (!fs.existsSync(objectFile)) {
    return {
      name,
      definedHere: false,
      label: undefined,
      pluralLabel: undefined,
      description: undefined,
      sharingModel: undefined,
      nameField: undefined,
      fields,
      file: undefined,
    };
  }
  const x = readXml(objectFile, 'CustomObject');
  const nf = child(x, 'nameField');
  return {
    name,
    definedHere: true,
    label: text(x, 'label'),
    pluralLabel: text(x, 'pluralLabel'),
    description: text(x, 'description'),
    sharingModel: text(x, 'sharingModel'),
    nameField: nf
      ? {
          label: text(nf, 'label') ?? '',
          type: text(nf, 'type') === 'AutoNumber' ? 'AutoNumber' : 'Text',
          displayFormat: text(nf, 'displayFormat'),
        }
      : undefined,
    fields,
    file: path.relative(REPO_ROOT, objectFile),
  };
}

function readPermissionSet(file: string): PermissionSetModel {
  const x = readXml(file, 'PermissionSet');
  const name = path.basename(file).replace('.permissionset-meta.xml', '');
  const objects: Record<string, ObjectPermissionModel> = {};
  for (const o of list(x, 'objectPermissions')) {
    objects[text(o, 'object') ?? ''] = {
      allowCreate: bool(o, 'allowCreate'),
      allowRead: bool(o, 'allowRead'),
      allowEdit: bool(o, 'allowEdit'),
      allowDelete: bool(o, 'allowDelete'),
      viewAllRecords: bool(o, 'viewAllRecords'),
      modifyAllRecords: bool(o, 'modifyAllRecords'),
    };
  }
  const fields: Record<string, FieldPermissionModel> = {};
  for (const f of list(x, 'fieldPermissions')) {
    fields[text(f, 'field') ?? ''] = { readable: bool(f, 'readable'), editable: bool(f, 'editable') };
  }
  return {
    name,
    label: text(x, 'label') ?? name,
    description: text(x, 'description'),
    objects,
    fields,
    userPermissions: list(x, 'userPermissions')
      .filter((u) => bool(u, 'enabled'))
      .map((u) => text(u, 'name') ?? ''),
    file: path.relative(REPO_ROOT, file),
  };
}

/** Loads objects, fields and permission sets from `root` (default: this repository's force-app). */
export function loadForceAppModel(root: string = FORCE_APP_DEFAULT): ForceAppModel {
  const objects: Record<string, ObjectModel> = {};
  const objectsDir = path.join(root, 'objects');
  if (fs.existsSync(objectsDir)) {
    for (const d of fs.readdirSync(objectsDir).sort()) {
      const dir = path.join(objectsDir, d);
      if (fs.statSync(dir).isDirectory()) objects[d] = readObject(dir);
    }
  }
  const permissionSets: Record<string, PermissionSetModel> = {};
  const psDir = path.join(root, 'permissionsets');
  if (fs.existsSync(psDir)) {
    for (const f of fs.readdirSync(psDir).sort()) {
      if (!f.endsWith('.permissionset-meta.xml')) continue;
      const ps = readPermissionSet(path.join(psDir, f));
      permissionSets[ps.name] = ps;
    }
  }
  return {
    root,
    objects,
    permissionSets,
    field: (object, name) => objects[object]?.fields[name],
    allFields: () => Object.values(objects).flatMap((o) => Object.values(o.fields)),
    fieldsGranted: (name, access) =>
      Object.entries(permissionSets[name]?.fields ?? {})
        .filter(([, p]) => (access === 'edit' ? p.editable : p.readable))
        .map(([field]) => field)
        .sort(),
  };
}

/** Every file under `dir` (recursively) whose name ends with `suffix`, sorted. */
export function listFiles(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(suffix)) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}
