import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildSchema,
  buildSchemaWithInfo,
  customKeyPrefix,
  listForceAppFields,
  permissionSetFieldGrants,
  readForceApp,
  readPermissionSets,
} from '../../../../src/emulator/schema/force-app';
import { FORCE_APP_MINI } from '../org/helpers';

describe('readForceApp', () => {
  it('finds objects and fields anywhere under a project root', () => {
    const src = readForceApp(FORCE_APP_MINI);
    expect(src.objects.map((o) => o.name)).toEqual([
      'Account',
      'Case',
      'Contact',
      'Widget_Part__c',
      'Widget__c',
    ]);
    const widget = src.objects.find((o) => o.name === 'Widget__c');
    expect(widget).toMatchObject({
      custom: true,
      label: 'Widget',
      pluralLabel: 'Widgets',
      sharingModel: 'ControlledByParent',
      nameField: { label: 'Widget Number', type: 'AutoNumber', displayFormat: 'W-{000000}' },
    });
  });

  it('reads the same tree from the package directory or main/default', () => {
    const a = readForceApp(join(FORCE_APP_MINI, 'force-app')).objects.map((o) => o.name);
    const b = readForceApp(join(FORCE_APP_MINI, 'force-app/main/default')).objects.map((o) => o.name);
    expect(a).toEqual(b);
    expect(a).toContain('Widget__c');
  });

  it('lists custom fields with their metadata types and sizes (for contract tests)', () => {
    const fields = listForceAppFields(FORCE_APP_MINI);
    const byName = new Map(fields.map((f) => [`${f.object}.${f.fullName}`, f]));
    expect(byName.get('Case.Ticket_Key__c')).toMatchObject({
      type: 'Text',
      length: 20,
      externalId: true,
      unique: true,
    });
    expect(byName.get('Case.Notes__c')).toMatchObject({ type: 'LongTextArea', length: 1000 });
    expect(byName.get('Widget__c.Score__c')).toMatchObject({ type: 'Number', precision: 4, scale: 3 });
    expect(byName.get('Widget__c.Case__c')).toMatchObject({
      type: 'MasterDetail',
      referenceTo: 'Case',
      relationshipName: 'Widgets',
      reparentable: false,
    });
    expect(byName.get('Case.Mood__c')?.picklist).toEqual({
      restricted: true,
      values: [
        { fullName: 'calm', label: 'Calm', default: false },
        { fullName: 'upset', label: 'Upset', default: false },
      ],
    });
    expect(byName.get('Contact.Tier__c')?.picklist).toMatchObject({ restricted: true, valueSetName: 'Tier' });
  });

  it('reads global and standard value sets', () => {
    const src = readForceApp(FORCE_APP_MINI);
    expect(src.globalValueSets.Tier?.map((v) => v.fullName)).toEqual(['bronze', 'gold']);
    expect(src.standardValueSets.CaseOrigin?.map((v) => v.fullName)).toEqual(['Phone', 'Web', 'Chatbot']);
  });

  it('fails clearly on a missing directory or malformed XML', () => {
    expect(() => readForceApp('/nonexistent/force-app')).toThrow(/not found/);
    const dir = mkdtempSync(join(tmpdir(), 'fa-'));
    try {
      const f = join(dir, 'objects/Thing__c/fields');
      mkdirSync(f, { recursive: true });
      writeFileSync(
        join(dir, 'objects/Thing__c/Thing__c.object-meta.xml'),
        '<CustomObject><label>Thing</label>',
      );
      expect(() => readForceApp(dir)).toThrow(/Thing__c\.object-meta\.xml/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('permission sets', () => {
  it('reads object and field permissions', () => {
    const [ps] = readPermissionSets(FORCE_APP_MINI);
    expect(ps).toMatchObject({ name: 'Widget_Writer', label: 'Widget Writer' });
    expect(ps?.objectPermissions).toEqual([
      {
        object: 'Widget__c',
        allowCreate: true,
        allowRead: true,
        allowEdit: true,
        allowDelete: false,
        viewAllRecords: false,
        modifyAllRecords: false,
      },
    ]);
  });

  it('lists the fields a permission set grants (not the ones it denies)', () => {
    expect(permissionSetFieldGrants(FORCE_APP_MINI, 'Widget_Writer')).toEqual([
      { field: 'Widget__c.Score__c', readable: true, editable: true },
      { field: 'Case.Mood__c', readable: true, editable: false },
    ]);
    expect(() => permissionSetFieldGrants(FORCE_APP_MINI, 'Nope')).toThrow(/not found/);
  });
});

describe('buildSchema', () => {
  const schema = buildSchema(FORCE_APP_MINI);

  it('gives custom objects stable key prefixes by sorted name (code-unit order)', () => {
    expect(schema.object('Widget_Part__c')?.keyPrefix).toBe('a01');
    expect(schema.object('Widget__c')?.keyPrefix).toBe('a02');
    expect(customKeyPrefix(0)).toBe('a01');
    expect(customKeyPrefix(60)).toBe('a0z');
    expect(customKeyPrefix(61)).toBe('a10');
  });

  it('maps metadata types to describe types', () => {
    const f = (o: string, n: string) => schema.field(o, n);
    expect(f('Case', 'Ticket_Key__c')).toMatchObject({
      type: 'string',
      length: 20,
      externalId: true,
      unique: true,
      idLookup: true,
      custom: true,
      nillable: true,
    });
    expect(f('Case', 'Notes__c')).toMatchObject({ type: 'textarea', length: 1000 });
    expect(f('Case', 'Mood__c')).toMatchObject({ type: 'picklist', restrictedPicklist: true });
    expect(f('Case', 'Is_Urgent__c')).toMatchObject({
      type: 'boolean',
      nillable: false,
      defaultedOnCreate: true,
      defaultValue: true,
    });
    expect(f('Widget__c', 'Score__c')).toMatchObject({ type: 'double', precision: 4, scale: 3 });
    expect(f('Widget__c', 'Count__c')).toMatchObject({ type: 'double', precision: 3, scale: 0 });
    expect(f('Widget__c', 'Seen_At__c')?.type).toBe('datetime');
    expect(f('Widget__c', 'Due_On__c')?.type).toBe('date');
    expect(f('Widget__c', 'Owner_Email__c')).toMatchObject({ type: 'email', length: 80 });
    expect(f('Widget__c', 'Label__c')).toMatchObject({ nillable: false });
  });

  it('models master-detail and lookup relationships', () => {
    expect(schema.field('Widget__c', 'Case__c')).toMatchObject({
      type: 'reference',
      referenceTo: ['Case'],
      relationshipName: 'Case__r',
      nillable: false,
      cascadeDelete: true,
      relationshipOrder: 0,
      updateable: false,
    });
    expect(schema.field('Widget_Part__c', 'Widget__c')).toMatchObject({
      relationshipName: 'Widget__r',
      cascadeDelete: false,
      nillable: true,
      deleteConstraint: 'Restrict',
    });
    const caseDescribe = schema.describe('Case');
    expect(caseDescribe?.childRelationships).toContainEqual({
      childSObject: 'Widget__c',
      field: 'Case__c',
      relationshipName: 'Widgets__r',
      cascadeDelete: true,
    });
  });

  it('gives custom objects Name (auto-number or text) and an owner unless controlled by parent', () => {
    expect(schema.field('Widget__c', 'Name')).toMatchObject({
      autoNumber: true,
      createable: false,
      label: 'Widget Number',
    });
    expect(schema.field('Widget__c', 'OwnerId')).toBeUndefined();
    expect(schema.field('Widget_Part__c', 'Name')).toMatchObject({
      type: 'string',
      length: 80,
      nillable: false,
    });
    expect(schema.field('Widget_Part__c', 'OwnerId')?.referenceTo).toEqual(['Group', 'User']);
  });

  it('mirrors custom Contact fields on Account with __pc', () => {
    expect(schema.field('Account', 'Customer_No__pc')).toMatchObject({
      type: 'string',
      length: 64,
      personContactField: 'Customer_No__c',
      unique: false,
    });
    expect(schema.field('Account', 'Tier__pc')?.type).toBe('picklist');
  });

  it('applies standard value sets to standard picklists', () => {
    const origin = schema.field('Case', 'Origin');
    expect(origin?.picklistValues.map((p) => p.value)).toEqual(['Phone', 'Web', 'Chatbot']);
    expect(origin?.picklistValues.find((p) => p.defaultValue)?.value).toBe('Web');
    expect(buildSchemaWithInfo(FORCE_APP_MINI).closedCaseStatuses).toEqual(new Set(['Closed']));
  });

  it('lets work items of Omni routing be custom objects too', () => {
    expect(schema.field('PendingServiceRouting', 'WorkItemId')?.referenceTo).toEqual(
      expect.arrayContaining(['Case', 'Widget__c', 'Widget_Part__c']),
    );
  });

  it('describes without emulator-only rule properties', () => {
    const d = schema.describe('Widget__c');
    const f = d?.fields.find((x) => x.name === 'Case__c') as unknown as Record<string, unknown>;
    expect(f).not.toHaveProperty('deleteConstraint');
    expect(f).not.toHaveProperty('reparentable');
    expect(f).not.toHaveProperty('childRelationshipName');
    expect(f).toHaveProperty('relationshipName', 'Case__r');
  });

  it('models formula and roll-up summary fields as read-only calculated fields', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fa-'));
    try {
      const fields = join(dir, 'objects/Thing__c/fields');
      mkdirSync(fields, { recursive: true });
      writeFileSync(
        join(dir, 'objects/Thing__c/Thing__c.object-meta.xml'),
        '<CustomObject><label>Thing</label><pluralLabel>Things</pluralLabel><nameField><label>Name</label><type>Text</type></nameField></CustomObject>',
      );
      writeFileSync(
        join(fields, 'Shout__c.field-meta.xml'),
        '<CustomField><fullName>Shout__c</fullName><label>Shout</label><type>Text</type><formula>UPPER(Name)</formula></CustomField>',
      );
      writeFileSync(
        join(fields, 'Total__c.field-meta.xml'),
        '<CustomField><fullName>Total__c</fullName><label>Total</label><type>Summary</type><summaryOperation>count</summaryOperation></CustomField>',
      );
      const s = buildSchema(dir);
      expect(s.field('Thing__c', 'Shout__c')).toMatchObject({
        calculated: true,
        createable: false,
        updateable: false,
      });
      expect(s.field('Thing__c', 'Total__c')).toMatchObject({
        type: 'double',
        calculated: true,
        createable: false,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails on unsupported field types and dangling references, naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fa-'));
    try {
      const fields = join(dir, 'objects/Thing__c/fields');
      mkdirSync(fields, { recursive: true });
      writeFileSync(
        join(dir, 'objects/Thing__c/Thing__c.object-meta.xml'),
        '<CustomObject><label>Thing</label><pluralLabel>Things</pluralLabel><nameField><label>Name</label><type>Text</type></nameField></CustomObject>',
      );
      writeFileSync(
        join(fields, 'Geo__c.field-meta.xml'),
        '<CustomField><fullName>Geo__c</fullName><label>Geo</label><type>Location</type></CustomField>',
      );
      expect(() => buildSchema(dir)).toThrow(/Thing__c\.Geo__c: field type Location is not supported/);
      writeFileSync(
        join(fields, 'Geo__c.field-meta.xml'),
        '<CustomField><fullName>Geo__c</fullName><label>Geo</label><type>Lookup</type><referenceTo>Nope__c</referenceTo></CustomField>',
      );
      expect(() => buildSchema(dir)).toThrow(/Thing__c\.Geo__c references unknown object Nope__c/);
      writeFileSync(
        join(fields, 'Geo__c.field-meta.xml'),
        '<CustomField><fullName>Geo__c</fullName><label>Geo</label><type>Text</type></CustomField>',
      );
      expect(() => buildSchema(dir)).toThrow(/Thing__c\.Geo__c: Text field without <length>/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
