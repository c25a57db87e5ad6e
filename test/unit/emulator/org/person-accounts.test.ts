import { item, makeOrg, newCase, sfErr } from './helpers';

describe('person accounts', () => {
  function person(org: ReturnType<typeof makeOrg>['org'], fields: Record<string, unknown> = {}): string {
    return org.create('Account', {
      RecordTypeId: org.personAccountRecordTypeId,
      FirstName: 'Ann',
      LastName: 'Lee',
      PersonEmail: 'ann@example.com',
      Customer_No__pc: 'P-1',
      ...fields,
    }).id;
  }

  it('creates the person contact and links it both ways', () => {
    const { org } = makeOrg();
    const accId = person(org);
    const acc = org.retrieve('Account', accId);
    expect(acc).toMatchObject({ IsPersonAccount: true, Name: 'Ann Lee', PersonEmail: 'ann@example.com' });
    expect(acc.PersonContactId).toMatch(/^003/);
    const contact = org.retrieve('Contact', String(acc.PersonContactId));
    expect(contact).toMatchObject({
      AccountId: accId,
      FirstName: 'Ann',
      LastName: 'Lee',
      Name: 'Ann Lee',
      Email: 'ann@example.com',
      Customer_No__c: 'P-1',
      IsPersonAccount: true,
      OwnerId: acc.OwnerId,
    });
  });

  it('reads and writes __pc fields through the person contact', () => {
    const { org } = makeOrg();
    const accId = person(org);
    org.update('Account', accId, { Customer_No__pc: 'P-2', PersonEmail: 'new@example.com' });
    const contactId = String(org.retrieve('Account', accId).PersonContactId);
    expect(org.retrieve('Contact', contactId)).toMatchObject({
      Customer_No__c: 'P-2',
      Email: 'new@example.com',
    });
    org.update('Contact', contactId, { Customer_No__c: 'P-3', LastName: 'Li' });
    expect(org.retrieve('Account', accId)).toMatchObject({
      Customer_No__pc: 'P-3',
      LastName: 'Li',
      Name: 'Ann Li',
    });
  });

  it('announces the account as updated when its person contact changes', () => {
    const { org } = makeOrg();
    const accId = person(org);
    const contactId = String(org.retrieve('Account', accId).PersonContactId);
    const heard: string[] = [];
    org.onChange((c) => heard.push(`${c.kind} ${c.sobject} ${c.id}`));
    org.update('Contact', contactId, { Email: 'x@example.com' });
    expect(heard).toEqual([`updated Contact ${contactId}`, `updated Account ${accId}`]);
    expect(org.retrieve('Account', accId).PersonEmail).toBe('x@example.com');
  });

  it('leaves person fields of a business account empty (no picklist defaults)', () => {
    const { org } = makeOrg();
    const biz = org.create('Account', { Name: 'Acme' }).id;
    expect(org.retrieve('Account', biz, ['Tier__pc', 'Customer_No__pc'])).toMatchObject({
      Tier__pc: null,
      Customer_No__pc: null,
    });
    expect(org.retrieve('Account', person(org), ['Tier__pc']).Tier__pc).toBe('gold');
  });

  it('lets a Case find both the account and the person contact by external id', () => {
    const { org } = makeOrg();
    const accId = person(org, { Customer_No__c: 'C-1' });
    const contactId = String(org.retrieve('Account', accId).PersonContactId);
    const caseId = newCase(org, { Contact: { Customer_No__c: 'P-1' } });
    expect(org.retrieve('Case', caseId)).toMatchObject({ ContactId: contactId, AccountId: accId });
    const q = org.query(`SELECT Id FROM Account WHERE Customer_No__pc = 'P-1'`);
    expect(q.records.map((r) => r.Id)).toEqual([accId]);
  });

  it('requires LastName instead of Name', () => {
    const { org } = makeOrg();
    const e = sfErr(() =>
      org.create('Account', { RecordTypeId: org.personAccountRecordTypeId, FirstName: 'A' }),
    );
    expect(item(e)).toMatchObject({ errorCode: 'REQUIRED_FIELD_MISSING', fields: ['LastName'] });
    const n = sfErr(() => person(org, { Name: 'Business name' }));
    expect(item(n)).toMatchObject({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['Name'] });
    expect(org.list('Account')).toHaveLength(0);
    expect(org.list('Contact')).toHaveLength(0);
  });

  it('keeps person fields off business accounts', () => {
    const { org } = makeOrg();
    const e = sfErr(() => org.create('Account', { Name: 'Acme', PersonEmail: 'x@example.com' }));
    expect(item(e)).toMatchObject({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['PersonEmail'] });
    const biz = org.create('Account', { Name: 'Acme', RecordTypeId: org.businessAccountRecordTypeId }).id;
    expect(org.retrieve('Account', biz)).toMatchObject({ IsPersonAccount: false, PersonContactId: null });
  });

  it('does not let IsPersonAccount be written directly', () => {
    const { org } = makeOrg();
    const e = sfErr(() => org.create('Account', { Name: 'x', IsPersonAccount: true }));
    expect(item(e)).toMatchObject({
      errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
      fields: ['IsPersonAccount'],
    });
  });

  it('enforces the contact-side uniqueness of __pc external ids', () => {
    const { org } = makeOrg();
    person(org);
    const e = sfErr(() => person(org, { FirstName: 'Bob' }));
    expect(item(e)).toMatchObject({ errorCode: 'DUPLICATE_VALUE', fields: ['Customer_No__c'] });
    expect(org.list('Account')).toHaveLength(1);
  });

  it('deletes the person contact with the account, never on its own', () => {
    const { org } = makeOrg();
    const accId = person(org);
    const contactId = String(org.retrieve('Account', accId).PersonContactId);
    expect(item(sfErr(() => org.delete('Contact', contactId))).errorCode).toBe('DELETE_FAILED');
    org.delete('Account', accId);
    expect(org.list('Contact')).toHaveLength(0);
  });

  it('announces the account and its contact as created, with their final images', () => {
    const { org } = makeOrg();
    const changes: { kind: string; sobject: string; after: Record<string, unknown> | null }[] = [];
    org.onChange((c) => changes.push(c));
    const accId = person(org);
    expect(changes.map((c) => `${c.kind} ${c.sobject}`)).toEqual(['created Account', 'created Contact']);
    expect(changes[0]?.after).toMatchObject({ Id: accId, IsPersonAccount: true });
    expect(changes[0]?.after?.PersonContactId).toMatch(/^003/);
    expect(changes[1]?.after).toMatchObject({ IsPersonAccount: true, AccountId: accId });
  });
});
