import { normalizeId } from '../../../../src/emulator/org/ids';
import { item, makeOrg, newCase, sfErr } from './helpers';

describe('create', () => {
  it('returns an 18-character id with the object key prefix and sets the system fields', () => {
    const { org, clock } = makeOrg();
    const id = newCase(org);
    expect(id).toMatch(/^500[0-9A-Za-z]{12}[A-Z0-5]{3}$/);
    expect(normalizeId(id)).toBe(id);
    const c = org.retrieve('Case', id);
    const stamp = new Date(clock.ms).toISOString().replace('Z', '+0000');
    expect(c.CreatedDate).toBe(stamp);
    expect(c.LastModifiedDate).toBe(stamp);
    expect(c.SystemModstamp).toBe(stamp);
    expect(c.CreatedById).toBe(org.runningUserId);
    expect(c.LastModifiedById).toBe(org.runningUserId);
    expect(c.OwnerId).toBe(org.runningUserId);
    expect(c.IsDeleted).toBe(false);
  });

  it('applies Case defaults: Status New, Priority Medium, Origin from the standard value set, checkbox defaults', () => {
    const { org } = makeOrg();
    const c = org.retrieve('Case', newCase(org));
    expect(c.Status).toBe('New');
    expect(c.Priority).toBe('Medium');
    expect(c.Origin).toBe('Web');
    expect(c.IsClosed).toBe(false);
    expect(c.IsEscalated).toBe(false);
    expect(c.Is_Urgent__c).toBe(true);
  });

  it('numbers cases with CaseNumber and custom objects with their auto-number format', () => {
    const { org } = makeOrg();
    const a = org.retrieve('Case', newCase(org)).CaseNumber;
    const b = org.retrieve('Case', newCase(org)).CaseNumber;
    expect(a).toBe('00000001');
    expect(b).toBe('00000002');
    const caseId = newCase(org);
    const w = org.create('Widget__c', { Case__c: caseId, Label__c: 'x' });
    expect(org.retrieve('Widget__c', w.id).Name).toBe('W-000001');
  });

  it('sets IsClosed from Status and stamps ClosedDate', () => {
    const { org, clock } = makeOrg();
    const id = newCase(org, { Status: 'Closed' });
    const c = org.retrieve('Case', id);
    expect(c.IsClosed).toBe(true);
    expect(c.ClosedDate).toBe(c.CreatedDate);
    clock.advance(1000);
    org.update('Case', id, { Status: 'Working' });
    expect(org.retrieve('Case', id, ['IsClosed', 'ClosedDate'])).toMatchObject({
      IsClosed: false,
      ClosedDate: null,
    });
  });

  it('answers NOT_FOUND 404 for an unknown object', () => {
    const { org } = makeOrg();
    const e = sfErr(() => org.create('Nope__c', {}));
    expect(e.status).toBe(404);
    expect(item(e)).toEqual({ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' });
  });

  it('rejects an unknown field with INVALID_FIELD in Salesforce wording', () => {
    const { org } = makeOrg();
    const e = sfErr(() => newCase(org, { Subjekt: 'x' }));
    expect(e.status).toBe(400);
    expect(item(e)).toEqual({
      errorCode: 'INVALID_FIELD',
      message: "No such column 'Subjekt' on sobject of type Case",
    });
  });

  it('is case-insensitive on field names and stores canonical names', () => {
    const { org } = makeOrg();
    const id = org.create('case', { subject: 'Lower', mood__c: 'calm' }).id;
    expect(org.retrieve('Case', id, ['Subject', 'Mood__c'])).toMatchObject({
      Subject: 'Lower',
      Mood__c: 'calm',
    });
  });

  it('reports every missing required field at once', () => {
    const { org } = makeOrg();
    const e = sfErr(() => org.create('Contact', { FirstName: 'A' }));
    expect(e.status).toBe(400);
    expect(item(e)).toEqual({
      errorCode: 'REQUIRED_FIELD_MISSING',
      message: 'Required fields are missing: [LastName]',
      fields: ['LastName'],
    });
    const caseId = newCase(org);
    const w = sfErr(() => org.create('Widget__c', {}));
    expect(item(w).fields).toEqual(['Case__c', 'Label__c']);
    expect(item(w).message).toBe('Required fields are missing: [Case__c, Label__c]');
    expect(org.create('Widget__c', { Case__c: caseId, Label__c: 'ok' }).id).toMatch(/^a02/);
  });

  it('treats an empty string as null (so a required text field is missing)', () => {
    const { org } = makeOrg();
    const e = sfErr(() => org.create('Contact', { LastName: '' }));
    expect(item(e).errorCode).toBe('REQUIRED_FIELD_MISSING');
  });

  it('rejects a string longer than the field with STRING_TOO_LONG echoing label, value and limit', () => {
    const { org } = makeOrg();
    const long = 'x'.repeat(256);
    const e = sfErr(() => newCase(org, { Subject: long }));
    expect(item(e)).toEqual({
      errorCode: 'STRING_TOO_LONG',
      message: `Subject: data value too large: ${long} (max length=255)`,
      fields: ['Subject'],
    });
    expect(newCase(org, { Subject: 'x'.repeat(255) })).toBeTruthy();
    const d = sfErr(() => newCase(org, { Description: 'y'.repeat(32001) }));
    expect(item(d).message).toMatch(/^Description: data value too large: y+ \(max length=32000\)$/);
  });

  it('rejects a value outside a restricted picklist', () => {
    const { org } = makeOrg();
    const e = sfErr(() => newCase(org, { Mood__c: 'Calm' }));
    expect(item(e)).toEqual({
      errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
      message: 'Mood: bad value for restricted picklist field: Calm',
      fields: ['Mood__c'],
    });
  });

  it('accepts any value in an unrestricted picklist', () => {
    const { org } = makeOrg();
    const id = newCase(org, { Origin: 'Carrier Pigeon' });
    expect(org.retrieve('Case', id, ['Origin']).Origin).toBe('Carrier Pigeon');
  });

  it('checks global value sets on picklists that use them', () => {
    const { org } = makeOrg();
    const e = sfErr(() => org.create('Contact', { LastName: 'L', Tier__c: 'platinum' }));
    expect(item(e).errorCode).toBe('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    const id = org.create('Contact', { LastName: 'L' }).id;
    expect(org.retrieve('Contact', id, ['Tier__c']).Tier__c).toBe('gold');
  });

  describe('type checks', () => {
    it('accepts booleans and the strings "true"/"false" for checkboxes', () => {
      const { org } = makeOrg();
      const a = newCase(org, { IsEscalated: 'true' });
      const b = newCase(org, { IsEscalated: 'FALSE' });
      const c = newCase(org, { IsEscalated: true });
      expect(org.retrieve('Case', a).IsEscalated).toBe(true);
      expect(org.retrieve('Case', b).IsEscalated).toBe(false);
      expect(org.retrieve('Case', c).IsEscalated).toBe(true);
    });

    it.each([
      ['IsEscalated', 'yes', 'Cannot deserialize instance of boolean from VALUE_STRING value yes'],
      ['IsEscalated', 1, 'Cannot deserialize instance of boolean from VALUE_NUMBER_INT value 1'],
      ['Subject', { a: 1 }, 'Cannot deserialize instance of string from START_OBJECT value {'],
      ['Subject', ['a'], 'Cannot deserialize instance of string from START_ARRAY value ['],
    ])('rejects %s = %p with JSON_PARSER_ERROR', (field, value, start) => {
      const { org } = makeOrg();
      const e = sfErr(() => newCase(org, { [field]: value }));
      expect(e.status).toBe(400);
      expect(item(e).errorCode).toBe('JSON_PARSER_ERROR');
      expect(item(e).message).toBe(`${start} or request may be missing a required field`);
    });

    it('validates dates and datetimes and stores datetimes in Salesforce format', () => {
      const { org } = makeOrg();
      const caseId = newCase(org);
      const id = org.create('Widget__c', {
        Case__c: caseId,
        Label__c: 'x',
        Seen_At__c: '2026-01-02T03:04:05Z',
        Due_On__c: '2026-02-28',
      }).id;
      expect(org.retrieve('Widget__c', id, ['Seen_At__c', 'Due_On__c'])).toMatchObject({
        Seen_At__c: '2026-01-02T03:04:05.000+0000',
        Due_On__c: '2026-02-28',
      });
      const offset = org.create('Widget__c', {
        Case__c: caseId,
        Label__c: 'x',
        Seen_At__c: '2026-01-02T03:04:05.5+02:00',
      });
      expect(org.retrieve('Widget__c', offset.id).Seen_At__c).toBe('2026-01-02T01:04:05.500+0000');
      for (const [field, bad, type] of [
        ['Seen_At__c', '2026-01-02 03:04:05', 'datetime'],
        ['Due_On__c', '2026-02-30', 'date'],
        ['Due_On__c', '02/03/2026', 'date'],
      ] as const) {
        const e = sfErr(() => org.create('Widget__c', { Case__c: caseId, Label__c: 'x', [field]: bad }));
        expect(item(e).errorCode).toBe('JSON_PARSER_ERROR');
        expect(item(e).message).toContain(
          `Cannot deserialize instance of ${type} from VALUE_STRING value ${bad}`,
        );
      }
    });

    it('checks number precision with NUMBER_OUTSIDE_VALID_RANGE and rounds to the scale', () => {
      const { org } = makeOrg();
      const caseId = newCase(org);
      const id = org.create('Widget__c', {
        Case__c: caseId,
        Label__c: 'x',
        Score__c: 1.23456,
        Count__c: '12',
      }).id;
      expect(org.retrieve('Widget__c', id, ['Score__c', 'Count__c'])).toMatchObject({
        Score__c: 1.235,
        Count__c: 12,
      });
      const e = sfErr(() => org.create('Widget__c', { Case__c: caseId, Label__c: 'x', Score__c: 12 }));
      expect(item(e)).toEqual({
        errorCode: 'NUMBER_OUTSIDE_VALID_RANGE',
        message: 'Score: value outside of valid range on numeric field: 12',
        fields: ['Score__c'],
      });
      expect(
        item(sfErr(() => org.create('Widget__c', { Case__c: caseId, Label__c: 'x', Count__c: 1000 })))
          .errorCode,
      ).toBe('NUMBER_OUTSIDE_VALID_RANGE');
      expect(
        item(sfErr(() => org.create('Widget__c', { Case__c: caseId, Label__c: 'x', Count__c: 'ten' })))
          .errorCode,
      ).toBe('JSON_PARSER_ERROR');
    });

    it('rejects a malformed email address', () => {
      const { org } = makeOrg();
      const e = sfErr(() => newCase(org, { SuppliedEmail: 'not-an-email' }));
      expect(item(e)).toEqual({
        errorCode: 'INVALID_EMAIL_ADDRESS',
        message: 'Email Address: invalid email address: not-an-email',
        fields: ['SuppliedEmail'],
      });
    });
  });

  describe('references', () => {
    it('accepts 15-character ids and stores the 18-character form', () => {
      const { org } = makeOrg();
      const acc = org.create('Account', { Name: 'Acme' }).id;
      const id = newCase(org, { AccountId: acc.slice(0, 15) });
      expect(org.retrieve('Case', id).AccountId).toBe(acc);
    });

    it('rejects an id of the wrong object type or a malformed id with MALFORMED_ID', () => {
      const { org } = makeOrg();
      const caseId = newCase(org);
      const e = sfErr(() => newCase(org, { AccountId: caseId }));
      expect(item(e)).toEqual({
        errorCode: 'MALFORMED_ID',
        message: `Account ID: id value of incorrect type: ${caseId}`,
        fields: ['AccountId'],
      });
      expect(item(sfErr(() => newCase(org, { AccountId: 'garbage' }))).errorCode).toBe('MALFORMED_ID');
    });

    it('rejects a well-formed id of a record that does not exist with INVALID_CROSS_REFERENCE_KEY', () => {
      const { org } = makeOrg();
      const e = sfErr(() => newCase(org, { AccountId: '001Dx000000zzzzIAA' }));
      expect(e.status).toBe(400);
      expect(item(e)).toEqual({
        errorCode: 'INVALID_CROSS_REFERENCE_KEY',
        message: 'invalid cross reference id',
        fields: ['AccountId'],
      });
    });

    it('rejects a reference to a deleted record with ENTITY_IS_DELETED', () => {
      const { org } = makeOrg();
      const acc = org.create('Account', { Name: 'Gone' }).id;
      org.delete('Account', acc);
      const e = sfErr(() => newCase(org, { AccountId: acc }));
      expect(e.status).toBe(400);
      expect(item(e)).toEqual({
        errorCode: 'ENTITY_IS_DELETED',
        message: 'entity is deleted',
        fields: ['AccountId'],
      });
    });

    it('defaults Case.AccountId from the contact when it is omitted', () => {
      const { org } = makeOrg();
      const acc = org.create('Account', { Name: 'Acme' }).id;
      const con = org.create('Contact', { LastName: 'Doe', AccountId: acc }).id;
      expect(org.retrieve('Case', newCase(org, { ContactId: con })).AccountId).toBe(acc);
      const other = org.create('Account', { Name: 'Other' }).id;
      expect(org.retrieve('Case', newCase(org, { ContactId: con, AccountId: other })).AccountId).toBe(other);
    });

    it('sets a parent by external id in the body (standard and custom relationships)', () => {
      const { org } = makeOrg();
      const acc = org.create('Account', { Name: 'Acme', Customer_No__c: 'C-1' }).id;
      const id = newCase(org, { Account: { Customer_No__c: 'c-1' } });
      expect(org.retrieve('Case', id).AccountId).toBe(acc);
      const caseId = newCase(org, { Ticket_Key__c: 'T-9' });
      const w = org.create('Widget__c', { Case__r: { Ticket_Key__c: 'T-9' }, Label__c: 'x' }).id;
      expect(org.retrieve('Widget__c', w).Case__c).toBe(caseId);
    });

    it('answers INVALID_FIELD "Foreign key external ID … not found" when the parent does not exist', () => {
      const { org } = makeOrg();
      const e = sfErr(() => newCase(org, { Account: { Customer_No__c: 'C-404' } }));
      expect(e.status).toBe(400);
      expect(item(e)).toEqual({
        errorCode: 'INVALID_FIELD',
        message: 'Foreign key external ID: C-404 not found for field Customer_No__c in entity Account',
      });
    });

    it('refuses both the relationship and the id field in one body', () => {
      const { org } = makeOrg();
      const acc = org.create('Account', { Name: 'Acme', Customer_No__c: 'C-1' }).id;
      const e = sfErr(() => newCase(org, { AccountId: acc, Account: { Customer_No__c: 'C-1' } }));
      expect(item(e)).toEqual({
        errorCode: 'INVALID_FIELD',
        message: 'Cannot specify both an external ID reference Account and a salesforce id, AccountId',
      });
    });

    it('refuses a relationship keyed by a field that is not an external id', () => {
      const { org } = makeOrg();
      org.create('Account', { Name: 'Acme' });
      const e = sfErr(() => newCase(org, { Account: { Name: 'Acme' } }));
      expect(item(e).errorCode).toBe('INVALID_FIELD');
      expect(item(e).message).toBe(
        'The field name provided, Name is not an External ID or indexed field for Account',
      );
    });

    it('refuses an unknown relationship name as an unknown column', () => {
      const { org } = makeOrg();
      const e = sfErr(() => newCase(org, { Acount: { Customer_No__c: 'C-1' } }));
      expect(item(e)).toEqual({
        errorCode: 'INVALID_FIELD',
        message: "No such column 'Acount' on sobject of type Case",
      });
    });

    it('checks that a Group owner is a queue supporting the object', () => {
      const { org } = makeOrg();
      const regular = org.create('Group', { Name: 'Team', Type: 'Regular' }).id;
      const queue = org.create('Group', {
        Name: 'Handoff General',
        DeveloperName: 'Handoff_General',
        Type: 'Queue',
      }).id;
      expect(item(sfErr(() => newCase(org, { OwnerId: regular }))).errorCode).toBe(
        'FIELD_INTEGRITY_EXCEPTION',
      );
      expect(item(sfErr(() => newCase(org, { OwnerId: queue }))).fields).toEqual(['OwnerId']);
      org.create('QueueSobject', { QueueId: queue, SobjectType: 'Case' });
      const id = newCase(org, { OwnerId: queue });
      expect(org.retrieve('Case', id).OwnerId).toBe(queue);
    });
  });

  describe('field permissions', () => {
    it('rejects fields that are not createable with INVALID_FIELD_FOR_INSERT_UPDATE', () => {
      const { org } = makeOrg();
      const e = sfErr(() => newCase(org, { CaseNumber: '42', IsClosed: true }));
      expect(item(e)).toEqual({
        errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
        message:
          'Unable to create/update fields: CaseNumber, IsClosed. Please check the security settings of this field ' +
          'and verify that it is read/write for your profile or permission set.',
        fields: ['CaseNumber', 'IsClosed'],
      });
      expect(item(sfErr(() => newCase(org, { CreatedDate: '2020-01-01T00:00:00Z' }))).fields).toEqual([
        'CreatedDate',
      ]);
    });

    it('refuses an Id in an insert', () => {
      const { org } = makeOrg();
      const e = sfErr(() => newCase(org, { Id: '500Dx0000000001IAA' }));
      expect(item(e).errorCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    });

    it('refuses objects that cannot be inserted', () => {
      const { org } = makeOrg();
      const e = sfErr(() => org.create('Organization', { Name: 'x' }));
      expect(e.status).toBe(400);
      expect(item(e).errorCode).toBe('INVALID_TYPE_FOR_OPERATION');
    });
  });

  describe('unique and external id fields', () => {
    it('answers DUPLICATE_VALUE naming the field and the record that holds the value', () => {
      const { org } = makeOrg();
      const first = org.create('Account', { Name: 'A', Customer_No__c: 'C-1' }).id;
      const e = sfErr(() => org.create('Account', { Name: 'B', Customer_No__c: 'c-1' }));
      expect(item(e)).toEqual({
        errorCode: 'DUPLICATE_VALUE',
        message: `duplicate value found: Customer_No__c duplicates value on record with id: ${first}`,
        fields: ['Customer_No__c'],
      });
      const second = org.create('Account', { Name: 'B', Customer_No__c: 'C-2' }).id;
      expect(item(sfErr(() => org.update('Account', second, { Customer_No__c: 'C-1' }))).errorCode).toBe(
        'DUPLICATE_VALUE',
      );
      // Writing a record's own value again is not a duplicate.
      org.update('Account', first, { Customer_No__c: 'C-1' });
    });
  });
});

describe('retrieve', () => {
  it('returns every field, or the requested ones plus Id', () => {
    const { org } = makeOrg();
    const id = newCase(org);
    const all = org.retrieve('Case', id);
    expect(all).toHaveProperty('Subject', 'Card blocked');
    expect(all).toHaveProperty('Description', null);
    expect(org.retrieve('Case', id, ['subject', 'Status'])).toEqual({
      Id: id,
      Subject: 'Card blocked',
      Status: 'New',
    });
  });

  it('answers INVALID_FIELD for an unknown requested field', () => {
    const { org } = makeOrg();
    const e = sfErr(() => org.retrieve('Case', newCase(org), ['Nope']));
    expect(item(e).errorCode).toBe('INVALID_FIELD');
    expect(item(e).message).toMatch(
      /^No such column 'Nope' on entity 'Case'\. If you are attempting to use a custom field, be sure to append the '__c'/,
    );
  });

  it('answers MALFORMED_ID with fields [Id] for a malformed id or an id of another object', () => {
    const { org } = makeOrg();
    const e = sfErr(() => org.retrieve('Account', '001Dx000000zzzzXXX'));
    expect(e.status).toBe(400);
    expect(item(e)).toEqual({
      errorCode: 'MALFORMED_ID',
      message: 'Account ID: id value of incorrect type: 001Dx000000zzzzXXX',
      fields: ['Id'],
    });
    expect(item(sfErr(() => org.retrieve('Account', newCase(org)))).errorCode).toBe('MALFORMED_ID');
  });

  it('answers NOT_FOUND 404 for an id that does not exist and ENTITY_IS_DELETED for a deleted one', () => {
    const { org } = makeOrg();
    const missing = sfErr(() => org.retrieve('Case', '500Dx000000zzzzIAA'));
    expect(missing.status).toBe(404);
    expect(item(missing).errorCode).toBe('NOT_FOUND');
    const id = newCase(org);
    org.delete('Case', id);
    const gone = sfErr(() => org.retrieve('Case', id));
    expect(gone.status).toBe(404);
    expect(item(gone)).toEqual({ errorCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] });
  });

  it('hands out copies: mutating a result does not change the org', () => {
    const { org } = makeOrg();
    const id = newCase(org);
    const r = org.retrieve('Case', id);
    r.Subject = 'changed';
    expect(org.retrieve('Case', id).Subject).toBe('Card blocked');
  });
});

describe('update', () => {
  it('changes fields, advances LastModifiedDate and keeps CreatedDate', () => {
    const { org, clock } = makeOrg();
    const id = newCase(org);
    const before = org.retrieve('Case', id);
    clock.advance(60_000);
    org.update('Case', id, { Subject: 'New subject', Priority: 'High' });
    const after = org.retrieve('Case', id);
    expect(after).toMatchObject({
      Subject: 'New subject',
      Priority: 'High',
      CreatedDate: before.CreatedDate,
    });
    expect(after.LastModifiedDate).not.toBe(before.LastModifiedDate);
    expect(after.SystemModstamp).toBe(after.LastModifiedDate);
  });

  it('refuses fields that are not updateable', () => {
    const { org } = makeOrg();
    const id = newCase(org);
    const e = sfErr(() => org.update('Case', id, { CaseNumber: '1' }));
    expect(item(e).errorCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    expect(item(e).fields).toEqual(['CaseNumber']);
  });

  it('refuses to clear a required field', () => {
    const { org } = makeOrg();
    const id = org.create('Contact', { LastName: 'Doe' }).id;
    const e = sfErr(() => org.update('Contact', id, { LastName: null }));
    expect(item(e)).toMatchObject({ errorCode: 'REQUIRED_FIELD_MISSING', fields: ['LastName'] });
  });

  it('refuses to reparent a non-reparentable master-detail, but accepts the same parent again', () => {
    const { org } = makeOrg();
    const c1 = newCase(org);
    const c2 = newCase(org);
    const w = org.create('Widget__c', { Case__c: c1, Label__c: 'x' }).id;
    org.update('Widget__c', w, { Case__c: c1.slice(0, 15), Label__c: 'y' });
    const e = sfErr(() => org.update('Widget__c', w, { Case__c: c2 }));
    expect(e.status).toBe(400);
    expect(item(e)).toMatchObject({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['Case__c'] });
    expect(org.retrieve('Widget__c', w).Case__c).toBe(c1);
  });

  it('answers NOT_FOUND, ENTITY_IS_DELETED and MALFORMED_ID like retrieve', () => {
    const { org } = makeOrg();
    expect(sfErr(() => org.update('Case', '500Dx000000zzzzIAA', { Subject: 'x' })).status).toBe(404);
    const id = newCase(org);
    org.delete('Case', id);
    expect(item(sfErr(() => org.update('Case', id, { Subject: 'x' }))).errorCode).toBe('ENTITY_IS_DELETED');
    expect(item(sfErr(() => org.update('Case', 'nope', { Subject: 'x' }))).errorCode).toBe('MALFORMED_ID');
  });

  it('refuses objects whose records cannot be updated', () => {
    const { org } = makeOrg();
    const u = org.runningUserId;
    const ch = org.create('ServiceChannel', {
      DeveloperName: 'Case_Channel',
      MasterLabel: 'Case',
      RelatedEntity: 'Case',
    }).id;
    const caseId = newCase(org);
    const aw = org.create('AgentWork', { WorkItemId: caseId, UserId: u, ServiceChannelId: ch }).id;
    const e = sfErr(() => org.update('AgentWork', aw, { CapacityWeight: 2 }));
    expect(item(e).errorCode).toBe('INVALID_TYPE_FOR_OPERATION');
    expect(org.retrieve('AgentWork', aw).Status).toBe('Assigned');
  });
});

describe('upsert by external id', () => {
  it('creates when nothing matches (created true), updates when one matches (created false)', () => {
    const { org } = makeOrg();
    const first = org.upsert('Case', 'Ticket_Key__c', 'T-1', { Subject: 'one' });
    expect(first.created).toBe(true);
    expect(org.retrieve('Case', first.id).Ticket_Key__c).toBe('T-1');
    const second = org.upsert('Case', 'Ticket_Key__c', 't-1', { Subject: 'two' });
    expect(second).toEqual({ id: first.id, created: false });
    expect(org.retrieve('Case', first.id).Subject).toBe('two');
    expect(org.list('Case')).toHaveLength(1);
  });

  it('answers 300 with the record URLs when several records match, and writes nothing', () => {
    const { org } = makeOrg();
    // An external id that is not unique can match several records.
    const a = newCase(org, { Legacy_Ref__c: 'L-1' });
    const b = newCase(org, { Legacy_Ref__c: 'L-1' });
    const e = sfErr(() =>
      org.upsert('Case', 'Legacy_Ref__c', 'L-1', { Subject: 'changed' }, { apiVersion: '61.0' }),
    );
    expect(e.status).toBe(300);
    expect(e.body).toEqual([a, b].sort().map((id) => `/services/data/v61.0/sobjects/Case/${id}`));
    expect(org.list('Case').map((c) => c.Subject)).toEqual(['Card blocked', 'Card blocked']);
  });

  it('answers 404 NOT_FOUND for an unknown or non-external-id field', () => {
    const { org } = makeOrg();
    for (const field of ['Nope__c', 'Subject']) {
      const e = sfErr(() => org.upsert('Case', field, 'x', { Subject: 'x' }));
      expect(e.status).toBe(404);
      expect(item(e)).toEqual({
        errorCode: 'NOT_FOUND',
        message: `Provided external ID field does not exist or is not accessible: ${field}`,
      });
    }
  });

  it('refuses Id or the external id field in the body, even when it matches the URL (documented)', () => {
    const { org } = makeOrg();
    for (const body of [
      { Ticket_Key__c: 'T-1', Subject: 's' },
      { Ticket_Key__c: 'T-3', Subject: 's' },
      { Id: '500000000000001AAA', Subject: 's' },
    ]) {
      const e = sfErr(() => org.upsert('Case', 'Ticket_Key__c', 'T-1', body));
      expect(e.status).toBe(400);
      expect(item(e).errorCode).toBe('INVALID_FIELD');
    }
    expect(org.list('Case')).toHaveLength(0);
    expect(org.upsert('Case', 'Ticket_Key__c', 'T-1', { Subject: 's' }).created).toBe(true);
  });

  it('validates the body as a create or an update would', () => {
    const { org } = makeOrg();
    expect(
      item(sfErr(() => org.upsert('Widget__c', 'Widget_Key__c', 'W1', { Label__c: 'x' }))).errorCode,
    ).toBe('REQUIRED_FIELD_MISSING');
    const caseId = newCase(org);
    org.upsert('Widget__c', 'Widget_Key__c', 'W1', { Case__c: caseId, Label__c: 'x' });
    // Replaying with the same master is fine; a different master is a reparent.
    expect(org.upsert('Widget__c', 'Widget_Key__c', 'W1', { Case__c: caseId, Label__c: 'y' }).created).toBe(
      false,
    );
    const other = newCase(org);
    expect(
      item(sfErr(() => org.upsert('Widget__c', 'Widget_Key__c', 'W1', { Case__c: other }))).errorCode,
    ).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    expect(item(sfErr(() => org.upsert('Case', 'Ticket_Key__c', 'x'.repeat(21), {}))).errorCode).toBe(
      'STRING_TOO_LONG',
    );
  });

  it('upserts on Id: empty creates, an id updates', () => {
    const { org } = makeOrg();
    const created = org.upsert('Case', 'Id', '', { Subject: 'a' });
    expect(created.created).toBe(true);
    expect(org.upsert('Case', 'Id', created.id, { Subject: 'b' })).toEqual({
      id: created.id,
      created: false,
    });
  });
});

describe('delete', () => {
  it('cascades to master-detail children and leaves them in the recycle bin', () => {
    const { org } = makeOrg();
    const caseId = newCase(org);
    const w = org.create('Widget__c', { Case__c: caseId, Label__c: 'x' }).id;
    org.delete('Case', caseId);
    expect(org.list('Widget__c')).toHaveLength(0);
    expect(item(sfErr(() => org.retrieve('Widget__c', w))).errorCode).toBe('ENTITY_IS_DELETED');
    expect(org.query('SELECT Id, IsDeleted FROM Widget__c', { includeDeleted: true }).records).toEqual([
      expect.objectContaining({ Id: w, IsDeleted: true }),
    ]);
  });

  it('fails with DELETE_FAILED when a restrict lookup points at the record, and deletes nothing', () => {
    const { org } = makeOrg();
    const caseId = newCase(org);
    const w = org.create('Widget__c', { Case__c: caseId, Label__c: 'x' }).id;
    org.create('Widget_Part__c', { Name: 'bolt', Widget__c: w });
    const e = sfErr(() => org.delete('Case', caseId));
    expect(e.status).toBe(400);
    expect(item(e).errorCode).toBe('DELETE_FAILED');
    expect(item(e).message).toContain('widget parts');
    expect(org.list('Case')).toHaveLength(1);
    expect(org.list('Widget__c')).toHaveLength(1);
  });

  it('clears lookups that are SetNull', () => {
    const { org } = makeOrg();
    const acc = org.create('Account', { Name: 'A' }).id;
    const part = org.create('Widget_Part__c', { Name: 'p', Account__c: acc }).id;
    const caseId = newCase(org, { AccountId: acc });
    org.delete('Account', acc);
    expect(org.retrieve('Widget_Part__c', part).Account__c).toBeNull();
    expect(org.retrieve('Case', caseId).AccountId).toBeNull();
  });

  it('deletes an account with its contacts (Account.Contacts cascades)', () => {
    const { org } = makeOrg();
    const acc = org.create('Account', { Name: 'A' }).id;
    org.create('Contact', { LastName: 'c', AccountId: acc });
    org.delete('Account', acc);
    expect(org.list('Contact')).toHaveLength(0);
  });

  it('answers NOT_FOUND for a missing record and ENTITY_IS_DELETED when deleting twice', () => {
    const { org } = makeOrg();
    expect(sfErr(() => org.delete('Case', '500Dx000000zzzzIAA')).status).toBe(404);
    const id = newCase(org);
    org.delete('Case', id);
    expect(item(sfErr(() => org.delete('Case', id))).errorCode).toBe('ENTITY_IS_DELETED');
  });

  it('can undelete a record from the recycle bin', () => {
    const { org } = makeOrg();
    const id = newCase(org);
    org.delete('Case', id);
    org.undelete('Case', id);
    expect(org.retrieve('Case', id).IsDeleted).toBe(false);
  });
});

describe('bad input never crashes', () => {
  it.each([null, [], 'text', 42])('answers JSON_PARSER_ERROR 400 for a body of %p', (body) => {
    const { org } = makeOrg();
    const id = newCase(org);
    for (const call of [
      () => org.create('Case', body as never),
      () => org.update('Case', id, body as never),
      () => org.upsert('Case', 'Ticket_Key__c', 'T-1', body as never),
    ]) {
      const e = sfErr(call);
      expect(e.status).toBe(400);
      expect(item(e).errorCode).toBe('JSON_PARSER_ERROR');
    }
  });

  it('answers 400 for odd values in reference and relationship positions', () => {
    const { org } = makeOrg();
    expect(sfErr(() => newCase(org, { AccountId: { Id: 'x' } })).status).toBe(400);
    expect(sfErr(() => newCase(org, { Account: { Customer_No__c: { deep: 1 } } })).status).toBe(400);
    expect(sfErr(() => newCase(org, { Account: { Customer_No__c: 'a', Name: 'b' } })).status).toBe(400);
    expect(sfErr(() => newCase(org, { Account: 'C-1' })).status).toBe(400);
  });
});

describe('owners', () => {
  it('refuses an inactive user as owner', () => {
    const { org } = makeOrg();
    const u = org.create('User', {
      Username: 'gone@example.com',
      LastName: 'Gone',
      Alias: 'gone',
      Email: 'gone@example.com',
      IsActive: false,
    }).id;
    const e = sfErr(() => newCase(org, { OwnerId: u }));
    expect(item(e)).toEqual({
      errorCode: 'INACTIVE_OWNER_OR_USER',
      message: `operation performed with inactive user [${u}] as owner of case`,
      fields: ['OwnerId'],
    });
  });

  it('does not delete a queue that still owns records, nor a channel still in use', () => {
    const { org } = makeOrg();
    const queue = org.create('Group', { Name: 'Q', Type: 'Queue' }).id;
    org.create('QueueSobject', { QueueId: queue, SobjectType: 'Case' });
    const member = org.create('GroupMember', { GroupId: queue, UserOrGroupId: org.runningUserId }).id;
    const caseId = newCase(org, { OwnerId: queue });
    expect(item(sfErr(() => org.delete('Group', queue))).errorCode).toBe('DELETE_FAILED');
    org.update('Case', caseId, { OwnerId: org.runningUserId });
    org.delete('Group', queue);
    expect(org.list('QueueSobject')).toHaveLength(0);
    expect(item(sfErr(() => org.retrieve('GroupMember', member))).errorCode).toBe('ENTITY_IS_DELETED');
    const ch = org.create('ServiceChannel', {
      DeveloperName: 'C',
      MasterLabel: 'C',
      RelatedEntity: 'Case',
    }).id;
    org.create('PendingServiceRouting', { WorkItemId: caseId, ServiceChannelId: ch });
    expect(item(sfErr(() => org.delete('ServiceChannel', ch))).errorCode).toBe('DELETE_FAILED');
  });
});
