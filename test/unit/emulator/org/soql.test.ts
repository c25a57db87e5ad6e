import type { Org } from '../../../../src/emulator/org/org';
import { MAX_OFFSET } from '../../../../src/emulator/org/soql';
import { item, makeOrg, sfErr } from './helpers';

/** Three accounts, four cases with different subjects, priorities, dates and owners. */
function seeded(): {
  org: Org;
  acme: string;
  globex: string;
  cases: string[];
  clock: ReturnType<typeof makeOrg>['clock'];
} {
  const { org, clock } = makeOrg();
  const acme = org.create('Account', { Name: 'Acme', Customer_No__c: 'C-1', NumberOfEmployees: 50 }).id;
  const globex = org.create('Account', { Name: 'Globex', NumberOfEmployees: 7 }).id;
  org.create('Account', { Name: 'Initech' });
  const cases: string[] = [];
  const rows: [string, string, string | null, number][] = [
    ['Card blocked', 'High', acme, 0],
    ['card lost', 'Low', acme, -1],
    ['Loan question', 'Medium', globex, -3],
    ['Dispute 100%', 'High', null, -10],
  ];
  const start = clock.ms;
  for (const [subject, priority, account, days] of rows) {
    clock.ms = start + days * 86_400_000;
    cases.push(org.create('Case', { Subject: subject, Priority: priority, AccountId: account }).id);
  }
  clock.ms = start;
  return { org, acme, globex, cases, clock };
}

const ids = (r: { records: Record<string, unknown>[] }): unknown[] => r.records.map((x) => x.Id);

describe('SOQL: shape of the answer', () => {
  it('answers records with attributes (type, url with the API version) and the selected fields only', () => {
    const { org, cases } = seeded();
    const r = org.query(`SELECT Id, Subject FROM Case WHERE Id = '${cases[0]}'`, { apiVersion: '60.0' });
    expect(r).toEqual({
      totalSize: 1,
      done: true,
      records: [
        {
          attributes: { type: 'Case', url: `/services/data/v60.0/sobjects/Case/${cases[0]}` },
          Id: cases[0],
          Subject: 'Card blocked',
        },
      ],
    });
    expect(org.query('SELECT Id FROM Case LIMIT 1').records[0]?.attributes).toMatchObject({
      url: expect.stringMatching(/^\/services\/data\/v63\.0\/sobjects\/Case\/500/),
    });
  });

  it('nests parent relationships with their own attributes, null when the lookup is empty', () => {
    const { org, acme, cases } = seeded();
    const r = org.query(
      'SELECT Subject, Account.Name, Account.Customer_No__c, Owner.Name FROM Case ORDER BY Subject',
    );
    const blocked = r.records.find((x) => x.Subject === 'Card blocked');
    expect(blocked).toEqual({
      attributes: { type: 'Case', url: `/services/data/v63.0/sobjects/Case/${cases[0]}` },
      Subject: 'Card blocked',
      Account: {
        attributes: { type: 'Account', url: `/services/data/v63.0/sobjects/Account/${acme}` },
        Name: 'Acme',
        Customer_No__c: 'C-1',
      },
      Owner: {
        attributes: { type: 'User', url: `/services/data/v63.0/sobjects/User/${org.runningUserId}` },
        Name: 'Integration User',
      },
    });
    expect(r.records.find((x) => x.Subject === 'Dispute 100%')?.Account).toBeNull();
  });

  it('follows custom relationships (__r) two levels deep', () => {
    const { org, cases } = seeded();
    org.create('Widget__c', { Case__c: cases[0], Label__c: 'w' });
    const r = org.query('SELECT Name, Case__r.CaseNumber, Case__r.Account.Name FROM Widget__c');
    expect(r.records[0]).toMatchObject({
      Name: 'W-000001',
      Case__r: { CaseNumber: '00000001', Account: { Name: 'Acme' } },
    });
  });

  it('answers child subqueries with their own result, null when there are no children', () => {
    const { org, acme, globex } = seeded();
    const r = org.query(
      `SELECT Name, (SELECT Subject FROM Cases ORDER BY Subject) FROM Account WHERE Id IN ('${acme}', '${globex}') ORDER BY Name`,
    );
    expect(r.records[0]?.Cases).toMatchObject({
      totalSize: 2,
      done: true,
      records: [{ Subject: 'Card blocked' }, { Subject: 'card lost' }],
    });
    const { org: o2 } = makeOrg();
    o2.create('Account', { Name: 'Lonely' });
    expect(o2.query('SELECT Name, (SELECT Id FROM Cases) FROM Account').records[0]?.Cases).toBeNull();
  });

  it('COUNT() answers totalSize and no records', () => {
    const { org } = seeded();
    expect(org.query('SELECT COUNT() FROM Case')).toEqual({ totalSize: 4, done: true, records: [] });
    expect(org.query("SELECT COUNT() FROM Case WHERE Priority = 'High'").totalSize).toBe(2);
  });

  it('aggregates with GROUP BY and aliases', () => {
    const { org } = seeded();
    const r = org.query(
      'SELECT Priority, COUNT(Id) n, MAX(Subject) FROM Case GROUP BY Priority ORDER BY Priority',
    );
    expect(r.records).toEqual([
      { attributes: { type: 'AggregateResult' }, Priority: 'High', n: 2, expr0: 'Dispute 100%' },
      { attributes: { type: 'AggregateResult' }, Priority: 'Low', n: 1, expr0: 'card lost' },
      { attributes: { type: 'AggregateResult' }, Priority: 'Medium', n: 1, expr0: 'Loan question' },
    ]);
    expect(org.query('SELECT SUM(NumberOfEmployees) total FROM Account').records[0]).toMatchObject({
      total: 57,
    });
    expect(
      item(sfErr(() => org.query('SELECT Subject, COUNT(Id) FROM Case GROUP BY Priority'))).errorCode,
    ).toBe('MALFORMED_QUERY');
  });
});

describe('SOQL: WHERE', () => {
  const cases = (org: Org, where: string): unknown[] =>
    org.query(`SELECT Subject FROM Case WHERE ${where} ORDER BY Subject`).records.map((r) => r.Subject);

  it('compares strings case-insensitively with = and !=', () => {
    const { org } = seeded();
    expect(cases(org, "Subject = 'CARD BLOCKED'")).toEqual(['Card blocked']);
    expect(cases(org, "Priority != 'High'")).toEqual(['card lost', 'Loan question']);
    expect(cases(org, "Priority <> 'High'")).toEqual(['card lost', 'Loan question']);
  });

  it('matches LIKE with % and _, case-insensitively, with escapes', () => {
    const { org } = seeded();
    expect(cases(org, "Subject LIKE 'card%'")).toEqual(['Card blocked', 'card lost']);
    expect(cases(org, "Subject LIKE '_oan%'")).toEqual(['Loan question']);
    expect(cases(org, "Subject LIKE '%100\\%'")).toEqual(['Dispute 100%']);
    expect(cases(org, "Subject LIKE 'card'")).toEqual([]);
  });

  it('supports IN, NOT IN, NULL and references by 15- or 18-character id', () => {
    const { org, acme } = seeded();
    expect(cases(org, "Priority IN ('Low', 'Medium')")).toEqual(['card lost', 'Loan question']);
    expect(cases(org, "Priority NOT IN ('Low', 'Medium')")).toEqual(['Card blocked', 'Dispute 100%']);
    expect(cases(org, 'AccountId = null')).toEqual(['Dispute 100%']);
    expect(cases(org, 'AccountId != null')).toHaveLength(3);
    expect(cases(org, `AccountId = '${acme.slice(0, 15)}'`)).toEqual(['Card blocked', 'card lost']);
  });

  it('combines AND, OR, NOT and parentheses with SOQL precedence', () => {
    const { org } = seeded();
    expect(cases(org, "Priority = 'High' AND (Subject LIKE 'card%' OR Subject LIKE 'loan%')")).toEqual([
      'Card blocked',
    ]);
    expect(cases(org, "(Priority = 'High' AND Subject LIKE 'card%') OR Subject LIKE 'loan%'")).toEqual([
      'Card blocked',
      'Loan question',
    ]);
    expect(cases(org, "NOT Priority = 'High'")).toEqual(['card lost', 'Loan question']);
    expect(cases(org, "NOT (Priority = 'High' OR Priority = 'Low')")).toEqual(['Loan question']);
  });

  it('refuses AND and OR mixed without parentheses', () => {
    const { org } = seeded();
    const e = sfErr(() =>
      org.query("SELECT Id FROM Case WHERE Priority = 'High' AND Subject LIKE 'c%' OR Priority = 'Low'"),
    );
    expect(e.status).toBe(400);
    expect(item(e).errorCode).toBe('MALFORMED_QUERY');
    expect(cases(org, "Priority = 'Low' OR Priority = 'Medium' OR Subject = 'x'")).toEqual([
      'card lost',
      'Loan question',
    ]);
  });

  it('filters on parent fields', () => {
    const { org } = seeded();
    expect(cases(org, "Account.Name = 'Acme'")).toEqual(['Card blocked', 'card lost']);
    expect(cases(org, 'Account.NumberOfEmployees > 10')).toEqual(['Card blocked', 'card lost']);
  });

  it('compares numbers, booleans, dates and datetimes', () => {
    const { org, clock } = seeded();
    expect(
      org
        .query('SELECT Name FROM Account WHERE NumberOfEmployees >= 7 ORDER BY Name')
        .records.map((r) => r.Name),
    ).toEqual(['Acme', 'Globex']);
    expect(cases(org, 'IsClosed = false')).toHaveLength(4);
    expect(cases(org, 'IsClosed = true')).toHaveLength(0);
    const yesterday = new Date(clock.ms - 86_400_000).toISOString();
    expect(cases(org, `CreatedDate < ${yesterday.replace(/\.\d{3}Z$/, 'Z')}`)).toEqual([
      'Dispute 100%',
      'Loan question',
    ]);
    const caseId = org.list('Case')[0]?.Id;
    org.create('Widget__c', { Case__c: caseId, Label__c: 'w', Due_On__c: '2026-03-01' });
    expect(org.query('SELECT Id FROM Widget__c WHERE Due_On__c > 2026-02-28').totalSize).toBe(1);
    expect(org.query('SELECT Id FROM Widget__c WHERE Due_On__c < 2026-02-28').totalSize).toBe(0);
  });

  it('understands TODAY, YESTERDAY and LAST_N_DAYS:n (GMT)', () => {
    const { org } = seeded();
    expect(cases(org, 'CreatedDate = TODAY')).toEqual(['Card blocked']);
    expect(cases(org, 'CreatedDate = YESTERDAY')).toEqual(['card lost']);
    expect(cases(org, 'CreatedDate = LAST_N_DAYS:3')).toEqual(['Card blocked', 'card lost', 'Loan question']);
    expect(cases(org, 'CreatedDate < LAST_N_DAYS:3')).toEqual(['Dispute 100%']);
    expect(cases(org, 'CreatedDate > YESTERDAY')).toEqual(['Card blocked']);
  });

  it('supports a semi-join on ids', () => {
    const { org } = seeded();
    const r = org.query(
      "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Case WHERE Priority = 'Low')",
    );
    expect(r.records.map((x) => x.Name)).toEqual(['Acme']);
  });

  it('rejects a filter value of the wrong type', () => {
    const { org } = seeded();
    const e = sfErr(() => org.query("SELECT Id FROM Case WHERE IsClosed = 'false'"));
    expect(item(e)).toEqual({
      errorCode: 'INVALID_QUERY_FILTER_OPERATOR',
      message:
        "value of filter criterion for field 'IsClosed' must be of type boolean and should not be enclosed in quotes",
    });
    expect(item(sfErr(() => org.query('SELECT Id FROM Case WHERE Subject = 5'))).errorCode).toBe(
      'INVALID_QUERY_FILTER_OPERATOR',
    );
    expect(item(sfErr(() => org.query("SELECT Id FROM Case WHERE AccountId = 'nope'"))).message).toBe(
      'invalid ID field: nope',
    );
    expect(item(sfErr(() => org.query('SELECT Id FROM Case WHERE CreatedDate = 2026-01-01'))).errorCode).toBe(
      'INVALID_QUERY_FILTER_OPERATOR',
    );
  });

  it('refuses to filter or sort on long text areas', () => {
    const { org } = seeded();
    expect(item(sfErr(() => org.query("SELECT Id FROM Case WHERE Description = 'x'")))).toEqual({
      errorCode: 'INVALID_FIELD',
      message: "field 'Description' can not be filtered in a query call",
    });
    expect(item(sfErr(() => org.query('SELECT Id FROM Case ORDER BY Notes__c'))).message).toBe(
      "field 'Notes__c' can not be sorted in a query call",
    );
  });
});

describe('SOQL: ORDER BY, LIMIT, OFFSET', () => {
  it('sorts by several fields, ASC/DESC, NULLS FIRST/LAST', () => {
    const { org } = seeded();
    const subjects = (q: string): unknown[] => org.query(q).records.map((r) => r.Subject);
    expect(subjects('SELECT Subject FROM Case ORDER BY Priority DESC, Subject ASC')).toEqual([
      'Loan question',
      'card lost',
      'Card blocked',
      'Dispute 100%',
    ]);
    expect(subjects('SELECT Subject FROM Case ORDER BY Account.Name NULLS FIRST, Subject')).toEqual([
      'Dispute 100%',
      'Card blocked',
      'card lost',
      'Loan question',
    ]);
    expect(subjects('SELECT Subject FROM Case ORDER BY Account.Name DESC')[3]).toBe('Dispute 100%');
    expect(subjects('SELECT Subject FROM Case ORDER BY Account.Name DESC NULLS FIRST')[0]).toBe(
      'Dispute 100%',
    );
  });

  it('applies OFFSET then LIMIT, and refuses OFFSET over 2000', () => {
    const { org } = seeded();
    const r = org.query('SELECT Subject FROM Case ORDER BY Subject LIMIT 2 OFFSET 1');
    expect(r.records.map((x) => x.Subject)).toEqual(['card lost', 'Dispute 100%']);
    expect(r.totalSize).toBe(2);
    const e = sfErr(() => org.query(`SELECT Id FROM Case OFFSET ${MAX_OFFSET + 1}`));
    expect(item(e)).toEqual({
      errorCode: 'NUMBER_OUTSIDE_VALID_RANGE',
      message: 'Maximum SOQL offset allowed is 2000',
    });
    expect(org.query(`SELECT Id FROM Case OFFSET ${MAX_OFFSET}`).totalSize).toBe(0);
  });

  it('promises no order without ORDER BY: the order is not the insertion order', () => {
    const { org } = makeOrg();
    const created = Array.from({ length: 30 }, (_, i) => org.create('Account', { Name: `A${i}` }).id);
    const got = ids(org.query('SELECT Id FROM Account'));
    expect([...got].sort()).toEqual([...created].sort());
    expect(got).not.toEqual(created);
    // Stable between calls.
    expect(ids(org.query('SELECT Id FROM Account'))).toEqual(got);
  });
});

describe('SOQL: errors', () => {
  it('answers INVALID_TYPE for an unknown object', () => {
    const { org } = makeOrg();
    const e = sfErr(() => org.query('SELECT Id FROM Nope'));
    expect(e.status).toBe(400);
    expect(item(e).errorCode).toBe('INVALID_TYPE');
    expect(item(e).message).toBe(
      "sObject type 'Nope' is not supported. If you are attempting to use a custom object, be sure to append the " +
        "'__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
    );
  });

  it('answers INVALID_FIELD for an unknown field or relationship', () => {
    const { org } = makeOrg();
    const e = sfErr(() => org.query('SELECT Id, Subjekt FROM Case'));
    expect(item(e).errorCode).toBe('INVALID_FIELD');
    expect(item(e).message).toMatch(
      /^No such column 'Subjekt' on entity 'Case'\. If you are attempting to use a custom field, be sure to append the '__c'/,
    );
    const r = sfErr(() => org.query('SELECT Acount.Name FROM Case'));
    expect(item(r).message).toMatch(/^Didn't understand relationship 'Acount' in field path\./);
    expect(item(sfErr(() => org.query('SELECT Id FROM Case WHERE Nope__c = 1'))).errorCode).toBe(
      'INVALID_FIELD',
    );
  });

  it('answers MALFORMED_QUERY for a parse error', () => {
    const { org } = makeOrg();
    const e = sfErr(() => org.query('SELECT Id FORM Case'));
    expect(e.status).toBe(400);
    expect(item(e).errorCode).toBe('MALFORMED_QUERY');
  });

  it('includes deleted records only when asked (queryAll)', () => {
    const { org } = makeOrg();
    const id = org.create('Account', { Name: 'Gone' }).id;
    org.delete('Account', id);
    expect(org.query('SELECT Id FROM Account').totalSize).toBe(0);
    const all = org.query('SELECT Id, IsDeleted FROM Account', { includeDeleted: true });
    expect(all.records).toEqual([expect.objectContaining({ Id: id, IsDeleted: true })]);
    expect(
      org.query('SELECT Id FROM Account WHERE IsDeleted = false', { includeDeleted: true }).totalSize,
    ).toBe(0);
  });
});

describe('SOQL: polymorphic relationships', () => {
  it('reads Owner fields from a User or a queue, null where the owner type lacks the field', () => {
    const { org } = makeOrg();
    const queue = org.create('Group', {
      Name: 'Handoff General',
      DeveloperName: 'Handoff_General',
      Type: 'Queue',
    }).id;
    org.create('QueueSobject', { QueueId: queue, SobjectType: 'Case' });
    org.create('Case', { Subject: 'queued', OwnerId: queue });
    org.create('Case', { Subject: 'mine' });
    const r = org.query(
      'SELECT Subject, Owner.Name, Owner.DeveloperName, Owner.Email FROM Case ORDER BY Subject',
    );
    expect(r.records[0]).toMatchObject({
      Subject: 'mine',
      Owner: { attributes: { type: 'User' }, Name: 'Integration User', DeveloperName: null },
    });
    expect(r.records[1]).toMatchObject({
      Subject: 'queued',
      Owner: {
        attributes: { type: 'Group' },
        Name: 'Handoff General',
        DeveloperName: 'Handoff_General',
        Email: null,
      },
    });
    expect(org.query("SELECT Id FROM Case WHERE Owner.DeveloperName = 'Handoff_General'").totalSize).toBe(1);
    expect(item(sfErr(() => org.query('SELECT Owner.Nope FROM Case'))).errorCode).toBe('INVALID_FIELD');
  });
});

describe('SOQL: equality on indexed fields', () => {
  it('finds records by Id and external id like a full scan would (case rules, AND, no match)', () => {
    const { org, acme } = seeded();
    const all = (q: string): unknown[] => org.query(q).records.map((r) => r.Name);
    expect(all(`SELECT Name FROM Account WHERE Id = '${acme}'`)).toEqual(['Acme']);
    expect(all(`SELECT Name FROM Account WHERE Id = '${acme.slice(0, 15)}'`)).toEqual(['Acme']);
    expect(all("SELECT Name FROM Account WHERE Customer_No__c = 'c-1'")).toEqual(['Acme']);
    expect(all("SELECT Name FROM Account WHERE Customer_No__c = 'C-1' AND Name = 'Globex'")).toEqual([]);
    expect(all("SELECT Name FROM Account WHERE Name = 'Globex' AND Customer_No__c = 'C-1'")).toEqual([]);
    expect(
      all("SELECT Name FROM Account WHERE Customer_No__c = 'C-1' OR Name = 'Globex' ORDER BY Name"),
    ).toEqual(['Acme', 'Globex']);
    expect(all("SELECT Name FROM Account WHERE Customer_No__c = 'nope'")).toEqual([]);
    org.delete('Account', acme);
    expect(all(`SELECT Name FROM Account WHERE Id = '${acme}'`)).toEqual([]);
    expect(
      org.query(`SELECT Name FROM Account WHERE Id = '${acme}'`, { includeDeleted: true }).totalSize,
    ).toBe(1);
  });
});
