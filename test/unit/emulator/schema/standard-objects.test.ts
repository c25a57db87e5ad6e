import { buildSchema } from '../../../../src/emulator/schema/force-app';
import { standardObjects } from '../../../../src/emulator/schema/standard-objects';

describe('standard objects', () => {
  const schema = buildSchema();

  it.each([
    ['Account', '001'],
    ['Contact', '003'],
    ['Case', '500'],
    ['User', '005'],
    ['Group', '00G'],
    ['Organization', '00D'],
    ['RecordType', '012'],
    ['GroupMember', '011'],
    ['QueueSobject', '03g'],
    ['PendingServiceRouting', '0JR'],
    ['Skill', '0C5'],
    ['ServiceChannel', '0N9'],
    ['ServiceResource', '0Hn'],
  ])('%s has key prefix %s', (name, prefix) => {
    expect(schema.object(name)?.keyPrefix).toBe(prefix);
  });

  it('uses a distinct key prefix per object', () => {
    const prefixes = standardObjects().map((o) => o.keyPrefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });

  it('gives every object Id and the audit fields, read-only', () => {
    for (const o of standardObjects()) {
      for (const name of [
        'Id',
        'CreatedDate',
        'CreatedById',
        'LastModifiedDate',
        'LastModifiedById',
        'SystemModstamp',
      ]) {
        const f = o.fields.find((x) => x.name === name);
        expect({ o: o.name, name, createable: f?.createable, updateable: f?.updateable }).toEqual({
          o: o.name,
          name,
          createable: false,
          updateable: false,
        });
      }
    }
  });

  it('models Case as the Object Reference describes it', () => {
    const f = (n: string) => schema.field('Case', n);
    expect(f('Subject')).toMatchObject({ type: 'string', length: 255 });
    expect(f('Description')).toMatchObject({ type: 'textarea', length: 32000 });
    expect(f('Comments')).toMatchObject({ type: 'textarea', length: 4000 });
    expect(f('Status')?.picklistValues.map((p) => p.value)).toEqual([
      'New',
      'Working',
      'Escalated',
      'Closed',
    ]);
    expect(f('Status')?.picklistValues.find((p) => p.defaultValue)?.value).toBe('New');
    expect(f('Priority')?.picklistValues.map((p) => [p.value, p.defaultValue])).toEqual([
      ['High', false],
      ['Medium', true],
      ['Low', false],
    ]);
    expect(f('Origin')?.picklistValues.map((p) => p.value)).toEqual(['Phone', 'Email', 'Web']);
    expect(f('CaseNumber')).toMatchObject({ autoNumber: true, createable: false, updateable: false });
    expect(f('IsClosed')).toMatchObject({ type: 'boolean', createable: false });
    expect(f('OwnerId')).toMatchObject({
      referenceTo: ['Group', 'User'],
      nillable: false,
      defaultedOnCreate: true,
    });
    expect(f('SuppliedEmail')).toMatchObject({ type: 'email', length: 80 });
    expect(f('SuppliedPhone')).toMatchObject({ type: 'string', length: 40 });
    expect(f('ParentId')?.referenceTo).toEqual(['Case']);
  });

  it('models PendingServiceRouting per the Object Reference field table', () => {
    const f = (n: string) => schema.field('PendingServiceRouting', n);
    expect(f('WorkItemId')).toMatchObject({
      nillable: false,
      createable: true,
      updateable: false,
      unique: true,
    });
    expect(f('ServiceChannelId')).toMatchObject({
      nillable: false,
      updateable: false,
      referenceTo: ['ServiceChannel'],
    });
    expect(f('RoutingType')).toMatchObject({ restrictedPicklist: true, defaultedOnCreate: true });
    expect(f('RoutingType')?.picklistValues.map((p) => p.value)).toEqual(['QueueBased', 'SkillsBased']);
    expect(f('RoutingModel')?.picklistValues.map((p) => p.value)).toEqual([
      'ExternalRouting',
      'LeastActive',
      'MostAvailable',
    ]);
    expect(f('IsReadyForRouting')).toMatchObject({ type: 'boolean', createable: true, updateable: true });
    expect(f('CapacityPercentage')?.type).toBe('percent');
    expect(f('GroupId')).toMatchObject({ createable: false, updateable: false });
    expect(f('IsPreferredUserRequired')).toMatchObject({ createable: true, updateable: false });
  });

  it('models SkillRequirement and AgentWork (no AgentWork field is updateable)', () => {
    expect(schema.field('SkillRequirement', 'RelatedRecordId')).toMatchObject({
      updateable: false,
      nillable: false,
    });
    expect(schema.field('SkillRequirement', 'SkillLevel')).toMatchObject({
      type: 'double',
      precision: 4,
      scale: 2,
    });
    const aw = schema.object('AgentWork');
    expect(aw?.updateable).toBe(false);
    expect(aw?.fields.filter((f) => f.updateable).map((f) => f.name)).toEqual([]);
  });

  it('models person-account fields on Account', () => {
    expect(schema.field('Account', 'IsPersonAccount')).toMatchObject({ type: 'boolean', createable: false });
    expect(schema.field('Account', 'PersonContactId')).toMatchObject({
      referenceTo: ['Contact'],
      createable: false,
    });
    expect(schema.field('Account', 'PersonEmail')).toMatchObject({
      type: 'email',
      personContactField: 'Email',
    });
  });

  it('has no custom objects without a force-app', () => {
    expect(schema.objects().filter((o) => o.custom)).toEqual([]);
    expect(schema.describe('Nope')).toBeUndefined();
  });
});
