import type { Org } from '../../../../src/emulator/org/org';
import { toId18 } from '../../../../src/emulator/org/ids';
import { item, makeOrg, newCase, sfErr } from './helpers';

function setup(): { org: Org; channel: string; caseId: string; skill: string } {
  const { org } = makeOrg();
  const channel = org.create('ServiceChannel', {
    DeveloperName: 'Case_Channel',
    MasterLabel: 'Case Channel',
    RelatedEntity: 'Case',
  }).id;
  const skill = org.create('Skill', { DeveloperName: 'Cards', MasterLabel: 'Cards' }).id;
  return { org, channel, caseId: newCase(org), skill };
}

function psr(org: Org, channel: string, caseId: string, fields: Record<string, unknown> = {}): string {
  return org.create('PendingServiceRouting', {
    WorkItemId: caseId,
    ServiceChannelId: channel,
    RoutingType: 'SkillsBased',
    RoutingModel: 'MostAvailable',
    RoutingPriority: 1,
    CapacityWeight: 1,
    IsReadyForRouting: false,
    ...fields,
  }).id;
}

describe('PendingServiceRouting', () => {
  it('creates with a 0JR id, an auto-number name and defaults', () => {
    const { org, channel, caseId } = setup();
    const id = org.create('PendingServiceRouting', { WorkItemId: caseId, ServiceChannelId: channel }).id;
    expect(id).toMatch(/^0JR/);
    expect(org.retrieve('PendingServiceRouting', id)).toMatchObject({
      RoutingType: 'QueueBased',
      IsReadyForRouting: false,
      IsPreferredUserRequired: false,
      Name: '00000001',
    });
  });

  it('requires WorkItemId and ServiceChannelId', () => {
    const { org } = setup();
    const e = sfErr(() => org.create('PendingServiceRouting', {}));
    expect(item(e)).toMatchObject({
      errorCode: 'REQUIRED_FIELD_MISSING',
      fields: ['WorkItemId', 'ServiceChannelId'],
    });
  });

  it('allows one PSR per work item (DUPLICATE_VALUE on WorkItemId)', () => {
    const { org, channel, caseId } = setup();
    const first = psr(org, channel, caseId);
    const e = sfErr(() => psr(org, channel, caseId));
    expect(item(e)).toEqual({
      errorCode: 'DUPLICATE_VALUE',
      message: `duplicate value found: WorkItemId duplicates value on record with id: ${first}`,
      fields: ['WorkItemId'],
    });
  });

  it('checks restricted picklists (RoutingType, RoutingModel)', () => {
    const { org, channel, caseId } = setup();
    const e = sfErr(() => psr(org, channel, caseId, { RoutingModel: 'Random' }));
    expect(item(e)).toMatchObject({
      errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
      fields: ['RoutingModel'],
    });
  });

  it('does not let WorkItemId or ServiceChannelId change', () => {
    const { org, channel, caseId } = setup();
    const id = psr(org, channel, caseId);
    const other = newCase(org);
    const e = sfErr(() => org.update('PendingServiceRouting', id, { WorkItemId: other }));
    expect(item(e)).toMatchObject({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['WorkItemId'] });
  });

  it('cannot be edited once IsReadyForRouting is true', () => {
    const { org, channel, caseId } = setup();
    const id = psr(org, channel, caseId);
    org.update('PendingServiceRouting', id, { IsReadyForRouting: true });
    for (const body of [{ RoutingPriority: 2 }, { IsReadyForRouting: false }, { IsReadyForRouting: true }]) {
      const e = sfErr(() => org.update('PendingServiceRouting', id, body));
      expect(e.status).toBe(400);
      expect(item(e).errorCode).toBe('FIELD_INTEGRITY_EXCEPTION');
    }
    // The platform (Omni simulator) still can.
    org.systemUpdate('PendingServiceRouting', id, { IsPushed: true });
    expect(org.retrieve('PendingServiceRouting', id).IsPushed).toBe(true);
  });

  it('refuses a work item of another type than the channel routes', () => {
    const { org, channel } = setup();
    const acc = org.create('Account', { Name: 'A' }).id;
    const e = sfErr(() => psr(org, channel, acc));
    expect(item(e)).toMatchObject({ errorCode: 'FIELD_INTEGRITY_EXCEPTION', fields: ['WorkItemId'] });
  });

  it('keeps GroupId read-only for API callers', () => {
    const { org, channel, caseId } = setup();
    const q = org.create('Group', { Name: 'Q', Type: 'Queue' }).id;
    const e = sfErr(() => psr(org, channel, caseId, { GroupId: q }));
    expect(item(e)).toMatchObject({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['GroupId'] });
    const id = org.systemCreate('PendingServiceRouting', {
      WorkItemId: caseId,
      ServiceChannelId: channel,
      GroupId: q,
    }).id;
    expect(org.retrieve('PendingServiceRouting', id).GroupId).toBe(q);
  });

  it('goes away with its work item', () => {
    const { org, channel, caseId } = setup();
    psr(org, channel, caseId);
    org.delete('Case', caseId);
    expect(org.list('PendingServiceRouting')).toHaveLength(0);
  });
});

describe('SkillRequirement', () => {
  it('links a skill to a PSR that is not yet ready, and is read by the chain the service uses', () => {
    const { org, channel, caseId, skill } = setup();
    const p = psr(org, channel, caseId);
    const sr = org.create('SkillRequirement', { RelatedRecordId: p, SkillId: skill, SkillLevel: 5 }).id;
    expect(org.retrieve('SkillRequirement', sr)).toMatchObject({
      RelatedRecordId: p,
      SkillId: skill,
      SkillLevel: 5,
      IsAdditionalSkill: false,
    });
    expect(org.retrieve('SkillRequirement', sr, ['RelatedRecordId']).RelatedRecordId).toBe(p);
  });

  it('cannot be added to, changed on or removed from a PSR that is ready for routing', () => {
    const { org, channel, caseId, skill } = setup();
    const p = psr(org, channel, caseId);
    const sr = org.create('SkillRequirement', { RelatedRecordId: p, SkillId: skill }).id;
    org.update('PendingServiceRouting', p, { IsReadyForRouting: true });
    expect(
      item(sfErr(() => org.create('SkillRequirement', { RelatedRecordId: p, SkillId: skill }))).errorCode,
    ).toBe('FIELD_INTEGRITY_EXCEPTION');
    expect(item(sfErr(() => org.update('SkillRequirement', sr, { SkillLevel: 2 }))).errorCode).toBe(
      'FIELD_INTEGRITY_EXCEPTION',
    );
    expect(item(sfErr(() => org.delete('SkillRequirement', sr))).errorCode).toBe('FIELD_INTEGRITY_EXCEPTION');
  });

  it('requires a skill and does not let RelatedRecordId change', () => {
    const { org, channel, caseId, skill } = setup();
    const p = psr(org, channel, caseId);
    expect(item(sfErr(() => org.create('SkillRequirement', { RelatedRecordId: p }))).fields).toEqual([
      'SkillId',
    ]);
    const sr = org.create('SkillRequirement', { RelatedRecordId: p, SkillId: skill }).id;
    const p2 = psr(org, channel, newCase(org));
    expect(item(sfErr(() => org.update('SkillRequirement', sr, { RelatedRecordId: p2 }))).errorCode).toBe(
      'INVALID_FIELD_FOR_INSERT_UPDATE',
    );
  });

  it('is deleted with its PSR', () => {
    const { org, channel, caseId, skill } = setup();
    const p = psr(org, channel, caseId);
    org.create('SkillRequirement', { RelatedRecordId: p, SkillId: skill });
    org.delete('PendingServiceRouting', p);
    expect(org.list('SkillRequirement')).toHaveLength(0);
  });
});

describe('other Omni objects', () => {
  it('keeps ServiceChannel.RelatedEntity unique and a real object', () => {
    const { org } = setup();
    const e = sfErr(() =>
      org.create('ServiceChannel', { DeveloperName: 'Other', MasterLabel: 'O', RelatedEntity: 'Case' }),
    );
    expect(item(e)).toMatchObject({ errorCode: 'DUPLICATE_VALUE', fields: ['RelatedEntity'] });
    const bad = sfErr(() =>
      org.create('ServiceChannel', { DeveloperName: 'X', MasterLabel: 'X', RelatedEntity: 'Nope' }),
    );
    expect(item(bad).errorCode).toBe('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
  });

  it('keeps Skill.DeveloperName unique', () => {
    const { org } = setup();
    expect(
      item(sfErr(() => org.create('Skill', { DeveloperName: 'Cards', MasterLabel: 'x' }))).errorCode,
    ).toBe('DUPLICATE_VALUE');
  });

  it('checks queues: Group Type, QueueSobject on queues only', () => {
    const { org } = setup();
    expect(item(sfErr(() => org.create('Group', { Name: 'G', Type: 'Club' }))).errorCode).toBe(
      'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
    );
    const regular = org.create('Group', { Name: 'G', Type: 'Regular' }).id;
    expect(
      item(sfErr(() => org.create('QueueSobject', { QueueId: regular, SobjectType: 'Case' }))).errorCode,
    ).toBe('FIELD_INTEGRITY_EXCEPTION');
    const queue = org.create('Group', { Name: 'Handoff Fraud', Type: 'Queue' }).id;
    expect(org.retrieve('Group', queue).DeveloperName).toBe('Handoff_Fraud');
    expect(
      item(sfErr(() => org.create('QueueSobject', { QueueId: queue, SobjectType: 'Nope' }))).errorCode,
    ).toBe('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    org.create('QueueSobject', { QueueId: queue, SobjectType: 'Case' });
    const member = org.create('GroupMember', { GroupId: queue, UserOrGroupId: org.runningUserId }).id;
    expect(member).toMatch(/^011/);
    expect(item(sfErr(() => org.update('GroupMember', member, { UserOrGroupId: queue }))).errorCode).toBe(
      'INVALID_TYPE_FOR_OPERATION',
    );
  });

  it('lets AgentWork be created with its createable fields only, with status Assigned', () => {
    const { org, channel, caseId } = setup();
    const e = sfErr(() =>
      org.create('AgentWork', {
        WorkItemId: caseId,
        UserId: org.runningUserId,
        ServiceChannelId: channel,
        Status: 'Opened',
      }),
    );
    expect(item(e)).toMatchObject({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['Status'] });
    const id = org.create('AgentWork', {
      WorkItemId: caseId,
      UserId: org.runningUserId,
      ServiceChannelId: channel,
    }).id;
    expect(id).toMatch(/^0Bz/);
    org.systemUpdate('AgentWork', id, { Status: 'Opened', AcceptDateTime: '2026-11-21T10:00:00Z' });
    expect(org.retrieve('AgentWork', id)).toMatchObject({ Status: 'Opened' });
  });

  it('gives service resources, their skills and FSC objects working ids', () => {
    const { org, skill } = setup();
    const res = org.create('ServiceResource', {
      Name: 'Agent',
      RelatedRecordId: org.runningUserId,
      ResourceType: 'A',
      IsActive: true,
    }).id;
    const rs = org.create('ServiceResourceSkill', {
      ServiceResourceId: res,
      SkillId: skill,
      SkillLevel: 7,
      EffectiveStartDate: '2026-01-01T00:00:00Z',
    }).id;
    expect(
      org.query(
        `SELECT Skill.DeveloperName, ServiceResource.Name FROM ServiceResourceSkill WHERE Id = '${rs}'`,
      ).records[0],
    ).toMatchObject({
      Skill: { DeveloperName: 'Cards' },
      ServiceResource: { Name: 'Agent' },
    });
    const fa = org.create('FinancialAccount', { Name: 'Everyday', FinancialAccountNumber: '123' }).id;
    const acc = org.create('Account', { Name: 'A' }).id;
    const party = org.create('FinancialAccountParty', {
      FinancialAccountId: fa,
      AccountId: acc,
      Role: 'PrimaryOwner',
    }).id;
    expect(org.retrieve('FinancialAccountParty', party).IsRoleActive).toBe(false);
    org.delete('FinancialAccount', fa);
    expect(org.list('FinancialAccountParty')).toHaveLength(0);
  });
});

describe('the handoff write sequence (one transaction, as a composite graph runs it)', () => {
  function handoff(org: Org, channel: string, skills: string[]): { caseId: string; psrId: string } {
    return org.transaction(() => {
      const c = org.upsert('Case', 'Ticket_Key__c', 'H-1', {
        Subject: 'Card blocked',
        Account: { Customer_No__c: 'C-1' },
        Contact: { Customer_No__c: 'P-1' },
      });
      org.upsert('Widget__c', 'Widget_Key__c', 'H-1', { Case__c: c.id, Label__c: 'handoff' });
      const psrId = org.create('PendingServiceRouting', {
        WorkItemId: c.id,
        ServiceChannelId: channel,
        RoutingType: 'SkillsBased',
        RoutingModel: 'MostAvailable',
        IsReadyForRouting: false,
      }).id;
      let related = psrId;
      for (const skill of skills) {
        const sr = org.create('SkillRequirement', {
          RelatedRecordId: related,
          SkillId: skill,
          SkillLevel: 1,
        }).id;
        related = String(org.retrieve('SkillRequirement', sr, ['RelatedRecordId']).RelatedRecordId);
      }
      org.update('PendingServiceRouting', related, { IsReadyForRouting: true });
      return { caseId: c.id, psrId };
    });
  }

  it('writes the case, its child, the PSR and its skills, then locks the PSR', () => {
    const { org, channel } = setup();
    const lending = org.create('Skill', { DeveloperName: 'Lending', MasterLabel: 'Lending' }).id;
    const cards = org.list('Skill').find((s) => s.DeveloperName === 'Cards')?.Id ?? '';
    const acc = org.create('Account', {
      RecordTypeId: org.personAccountRecordTypeId,
      LastName: 'Lee',
      Customer_No__c: 'C-1',
      Customer_No__pc: 'P-1',
    }).id;
    const heard: string[] = [];
    org.onChange((c) => heard.push(`${c.kind} ${c.sobject}`));
    const { caseId, psrId } = handoff(org, channel, [cards, lending]);
    expect(org.retrieve('Case', caseId)).toMatchObject({ AccountId: acc, Subject: 'Card blocked' });
    expect(org.retrieve('PendingServiceRouting', psrId).IsReadyForRouting).toBe(true);
    expect(
      org.query(`SELECT COUNT() FROM SkillRequirement WHERE RelatedRecordId = '${psrId}'`).totalSize,
    ).toBe(2);
    expect(heard).toEqual([
      'created Case',
      'created Widget__c',
      'created PendingServiceRouting',
      'created SkillRequirement',
      'created SkillRequirement',
      'updated PendingServiceRouting',
    ]);
  });

  it('leaves nothing behind when a step fails, and a replay finds the existing PSR', () => {
    const { org, channel, skill } = setup();
    org.create('Account', {
      RecordTypeId: org.personAccountRecordTypeId,
      LastName: 'Lee',
      Customer_No__c: 'C-1',
      Customer_No__pc: 'P-1',
    });
    expect(item(sfErr(() => handoff(org, channel, [skill, toId18('0C5Dx000000zzzz')]))).errorCode).toBe(
      'INVALID_CROSS_REFERENCE_KEY',
    );
    expect(org.list('Case').filter((c) => c.Ticket_Key__c === 'H-1')).toHaveLength(0);
    expect(org.list('PendingServiceRouting')).toHaveLength(0);
    expect(org.list('SkillRequirement')).toHaveLength(0);
    handoff(org, channel, [skill]);
    // A replay upserts the same case and child, but a second PSR for the work item is refused.
    expect(item(sfErr(() => handoff(org, channel, [skill]))).errorCode).toBe('DUPLICATE_VALUE');
    expect(org.list('Widget__c')).toHaveLength(1);
  });
});
