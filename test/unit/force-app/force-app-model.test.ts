// The helper other tests rely on reads metadata the way Salesforce means it: checked here against a
// small source tree composed in a temporary directory, so the real force-app can change freely.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadForceAppModel } from '../../support/force-app-model';

const NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"';

function write(root: string, rel: string, xml: string): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>\n${xml}\n`);
}

describe('loadForceAppModel', () => {
  let root: string;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'force-app-model-'));
    write(
      root,
      'objects/Parent__c/Parent__c.object-meta.xml',
      `<CustomObject ${NS}><description>
        A parent,
        wrapped by a formatter.
      </description><label>Parent</label><nameField><displayFormat>P-{0000}</displayFormat><label>Number</label><type>AutoNumber</type></nameField><pluralLabel>Parents</pluralLabel><sharingModel>ReadWrite</sharingModel></CustomObject>`,
    );
    write(
      root,
      'objects/Child__c/fields/Parent__c.field-meta.xml',
      `<CustomField ${NS}><fullName>Parent__c</fullName><label>Parent</label><referenceTo>Parent__c</referenceTo><relationshipName>Children</relationshipName><type>MasterDetail</type></CustomField>`,
    );
    write(
      root,
      'objects/Child__c/fields/Key__c.field-meta.xml',
      `<CustomField ${NS}><fullName>Key__c</fullName><caseSensitive>false</caseSensitive><externalId>true</externalId><label>Key</label><length>100</length><required>false</required><type>Text</type><unique>true</unique></CustomField>`,
    );
    write(
      root,
      'objects/Child__c/fields/State__c.field-meta.xml',
      `<CustomField ${NS}><fullName>State__c</fullName><label>State</label><type>Picklist</type><valueSet><restricted>true</restricted><valueSetDefinition><sorted>false</sorted><value><fullName>on</fullName><default>true</default><label>On</label></value><value><fullName>off</fullName><default>false</default><label>Off</label></value></valueSetDefinition></valueSet></CustomField>`,
    );
    write(
      root,
      'objects/Case/fields/Score__c.field-meta.xml',
      `<CustomField ${NS}><fullName>Score__c</fullName><label>Score</label><precision>5</precision><scale>2</scale><required>true</required><type>Number</type></CustomField>`,
    );
    write(
      root,
      'permissionsets/Writer.permissionset-meta.xml',
      `<PermissionSet ${NS}><description>Writes.</description><fieldPermissions><editable>true</editable><field>Child__c.State__c</field><readable>true</readable></fieldPermissions><fieldPermissions><editable>false</editable><field>Child__c.Key__c</field><readable>true</readable></fieldPermissions><label>Writer</label><objectPermissions><allowCreate>true</allowCreate><allowDelete>false</allowDelete><allowEdit>true</allowEdit><allowRead>true</allowRead><modifyAllRecords>false</modifyAllRecords><object>Child__c</object><viewAllRecords>false</viewAllRecords></objectPermissions><userPermissions><enabled>true</enabled><name>ApiEnabled</name></userPermissions><userPermissions><enabled>false</enabled><name>ViewSetup</name></userPermissions></PermissionSet>`,
    );
  });

  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reads custom objects, and standard objects that only get fields', () => {
    const model = loadForceAppModel(root);
    expect(model.objects.Parent__c).toMatchObject({
      definedHere: true,
      description: 'A parent, wrapped by a formatter.',
      sharingModel: 'ReadWrite',
      nameField: { type: 'AutoNumber', displayFormat: 'P-{0000}' },
    });
    expect(model.objects.Case).toMatchObject({ definedHere: false, file: undefined });
    expect(model.field('Case', 'Score__c')).toMatchObject({
      type: 'Number',
      precision: 5,
      scale: 2,
      required: true,
    });
  });

  it('treats a master-detail field as required and keeps its target and relationship', () => {
    expect(loadForceAppModel(root).field('Child__c', 'Parent__c')).toMatchObject({
      type: 'MasterDetail',
      required: true,
      referenceTo: 'Parent__c',
      relationshipName: 'Children',
    });
  });

  it('reads external ids and picklists', () => {
    const model = loadForceAppModel(root);
    expect(model.field('Child__c', 'Key__c')).toMatchObject({
      type: 'Text',
      length: 100,
      externalId: true,
      unique: true,
      caseSensitive: false,
      required: false,
    });
    expect(model.field('Child__c', 'State__c')?.picklist).toEqual({
      restricted: true,
      values: [
        { value: 'on', label: 'On', isDefault: true },
        { value: 'off', label: 'Off', isDefault: false },
      ],
    });
    expect(model.field('Child__c', 'Missing__c')).toBeUndefined();
  });

  it('reads what a permission set grants', () => {
    const model = loadForceAppModel(root);
    const ps = model.permissionSets.Writer;
    expect(ps?.objects.Child__c).toEqual({
      allowCreate: true,
      allowRead: true,
      allowEdit: true,
      allowDelete: false,
      viewAllRecords: false,
      modifyAllRecords: false,
    });
    expect(ps?.userPermissions).toEqual(['ApiEnabled']);
    expect(model.fieldsGranted('Writer', 'edit')).toEqual(['Child__c.State__c']);
    expect(model.fieldsGranted('Writer', 'read')).toEqual(['Child__c.Key__c', 'Child__c.State__c']);
    expect(model.fieldsGranted('Nobody', 'read')).toEqual([]);
  });
});
