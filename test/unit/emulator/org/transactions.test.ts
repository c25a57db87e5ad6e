import type { RecordChange } from '../../../../src/emulator/org/types';
import { item, makeOrg, newCase, sfErr } from './helpers';

describe('transactions and change events', () => {
  it('emits each change after the call commits, in order', () => {
    const { org } = makeOrg();
    const seen: RecordChange[] = [];
    org.onChange((c) => seen.push(c));
    const id = newCase(org);
    org.update('Case', id, { Subject: 'updated' });
    org.delete('Case', id);
    expect(seen.map((c) => c.kind)).toEqual(['created', 'updated', 'deleted']);
    expect(seen[1]?.before?.Subject).toBe('Card blocked');
    expect(seen[1]?.after?.Subject).toBe('updated');
    expect(seen[2]?.after).toBeNull();
  });

  it('holds changes until the outermost transaction commits', () => {
    const { org } = makeOrg();
    const seen: string[] = [];
    org.onChange((c) => seen.push(`${c.kind}:${c.sobject}`));
    org.transaction(() => {
      newCase(org);
      org.transaction(() => org.create('Account', { Name: 'A' }));
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['created:Case', 'created:Account']);
  });

  it('undoes every write made inside a transaction that throws, and emits nothing', () => {
    const { org } = makeOrg();
    const kept = newCase(org, { Ticket_Key__c: 'K-0' });
    const seen: RecordChange[] = [];
    org.onChange((c) => seen.push(c));
    expect(() =>
      org.transaction(() => {
        newCase(org, { Ticket_Key__c: 'K-1' });
        org.update('Case', kept, { Subject: 'changed' });
        org.delete('Case', kept);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(seen).toEqual([]);
    expect(org.list('Case').map((c) => c.Id)).toEqual([kept]);
    expect(org.retrieve('Case', kept).Subject).toBe('Card blocked');
    // Indexes and counters are rolled back too: the key is free again and numbering continues.
    const again = newCase(org, { Ticket_Key__c: 'K-1' });
    expect(org.retrieve('Case', again).CaseNumber).toBe('00000002');
  });

  it('rolls back only the inner transaction when the outer one catches its error', () => {
    const { org } = makeOrg();
    org.transaction(() => {
      newCase(org, { Subject: 'outer' });
      try {
        org.transaction(() => {
          newCase(org, { Subject: 'inner' });
          throw new Error('inner fails');
        });
      } catch {
        // swallowed on purpose
      }
    });
    expect(org.list('Case').map((c) => c.Subject)).toEqual(['outer']);
  });

  it('makes a failing DML call atomic on its own (cascade and person contact included)', () => {
    const { org } = makeOrg();
    const caseId = newCase(org);
    const w = org.create('Widget__c', { Case__c: caseId, Label__c: 'x' }).id;
    org.create('Widget_Part__c', { Name: 'p', Widget__c: w });
    expect(item(sfErr(() => org.delete('Case', caseId))).errorCode).toBe('DELETE_FAILED');
    expect(org.list('Widget__c')).toHaveLength(1);
  });

  it('delivers changes made by a listener after the ones already committed, in order', () => {
    const { org } = makeOrg();
    const heard: string[] = [];
    org.onChange((c) => {
      heard.push(`${c.kind} ${c.sobject}`);
      // Like the Omni simulator: react to a new Case by writing another record.
      if (c.kind === 'created' && c.sobject === 'Case')
        org.create('Account', { Name: `for ${String(c.after?.Subject)}` });
    });
    org.transaction(() => {
      newCase(org, { Subject: 'one' });
      newCase(org, { Subject: 'two' });
    });
    expect(heard).toEqual(['created Case', 'created Case', 'created Account', 'created Account']);
    expect(
      org
        .list('Account')
        .map((a) => a.Name)
        .sort(),
    ).toEqual(['for one', 'for two']);
  });

  it('lets a listener unsubscribe', () => {
    const { org } = makeOrg();
    const seen: RecordChange[] = [];
    const off = org.onChange((c) => seen.push(c));
    newCase(org);
    off();
    newCase(org);
    expect(seen).toHaveLength(1);
  });

  it('keeps a write committed and tells every listener when one listener throws', () => {
    const { org } = makeOrg();
    const heard: string[] = [];
    org.onChange(() => {
      throw new Error('listener broke');
    });
    org.onChange((c) => heard.push(c.kind));
    expect(() => newCase(org)).toThrow('listener broke');
    expect(heard).toEqual(['created']);
    expect(org.list('Case')).toHaveLength(1);
    const errors: unknown[] = [];
    const { org: quiet } = makeOrg({ onListenerError: (e) => errors.push(e) });
    quiet.onChange(() => {
      throw new Error('again');
    });
    expect(() => newCase(quiet)).not.toThrow();
    expect(errors).toHaveLength(1);
  });

  it('hands listeners copies', () => {
    const { org } = makeOrg();
    org.onChange((c) => {
      if (c.after) c.after.Subject = 'tampered';
    });
    const id = newCase(org);
    expect(org.retrieve('Case', id).Subject).toBe('Card blocked');
  });
});

describe('list, reset, snapshot and restore', () => {
  it('lists records of an object and throws NOT_FOUND for an unknown one', () => {
    const { org } = makeOrg();
    newCase(org);
    newCase(org);
    expect(org.list('case')).toHaveLength(2);
    expect(sfErr(() => org.list('Nope')).status).toBe(404);
  });

  it('reset removes every record and re-creates the built-in ones with the same ids', () => {
    const { org } = makeOrg();
    const user = org.runningUserId;
    newCase(org);
    org.reset();
    expect(org.list('Case')).toHaveLength(0);
    expect(org.runningUserId).toBe(user);
    expect(org.list('User').map((u) => u.Id)).toEqual([user]);
    expect(org.retrieve('Case', newCase(org)).CaseNumber).toBe('00000001');
  });

  it('restores a snapshot into a fresh org (JSON round trip), counters included', () => {
    const { org } = makeOrg();
    const acc = org.create('Account', { Name: 'Acme', Customer_No__c: 'C-1' }).id;
    const caseId = newCase(org, { AccountId: acc });
    org.delete('Case', newCase(org));
    const state = JSON.parse(JSON.stringify(org.snapshot())) as unknown;
    const { org: copy } = makeOrg();
    copy.restore(state);
    expect(copy.retrieve('Case', caseId)).toEqual(org.retrieve('Case', caseId));
    expect(item(sfErr(() => copy.create('Account', { Name: 'B', Customer_No__c: 'C-1' }))).errorCode).toBe(
      'DUPLICATE_VALUE',
    );
    const next = copy.retrieve('Case', newCase(copy));
    expect(next.CaseNumber).toBe('00000003');
    expect(next.Id).not.toBe(caseId);
    expect(copy.runningUserId).toBe(org.runningUserId);
  });

  it('refuses something that is not a snapshot', () => {
    const { org } = makeOrg();
    expect(() => org.restore({ hello: 'world' })).toThrow(/not an org snapshot/);
    expect(() => org.restore({ format: 'fsc-handoff-org', version: 1, records: { Nope__c: [] } })).toThrow(
      /unknown object Nope__c/,
    );
  });
});

describe('built-in records', () => {
  it('has an Organization, a running user and the business and person account record types', () => {
    const { org } = makeOrg({ organizationId: '00DDx0000000001' });
    expect(org.organizationId).toBe('00DDx0000000001MAA');
    expect(org.query('SELECT Id, Name FROM Organization').records[0]).toMatchObject({
      Id: '00DDx0000000001MAA',
    });
    expect(org.retrieve('User', org.runningUserId)).toMatchObject({
      Name: 'Integration User',
      IsActive: true,
    });
    const rts = org.query(
      "SELECT DeveloperName, IsPersonType FROM RecordType WHERE SobjectType = 'Account' ORDER BY DeveloperName",
    );
    expect(rts.records.map((r) => [r.DeveloperName, r.IsPersonType])).toEqual([
      ['Business_Account', false],
      ['PersonAccount', true],
    ]);
    expect(() => makeOrg({ organizationId: '001Dx0000000001' })).toThrow(/00D/);
  });
});
