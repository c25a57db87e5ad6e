import { item, makeOrg, sfErr } from './helpers';

describe('describe', () => {
  it('answers the canonical object whatever the case of the name', () => {
    const { org } = makeOrg();
    const d = org.describe('widget__C');
    expect(d).toMatchObject({
      name: 'Widget__c',
      label: 'Widget',
      labelPlural: 'Widgets',
      keyPrefix: 'a02',
      custom: true,
    });
    expect(d.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['Id', 'Name', 'Case__c', 'Score__c']),
    );
  });

  it('lists child relationships the way SOQL subqueries name them', () => {
    const { org } = makeOrg();
    const account = org.describe('Account');
    expect(account.childRelationships).toEqual(
      expect.arrayContaining([
        { childSObject: 'Contact', field: 'AccountId', relationshipName: 'Contacts', cascadeDelete: true },
        { childSObject: 'Case', field: 'AccountId', relationshipName: 'Cases', cascadeDelete: false },
        {
          childSObject: 'Widget_Part__c',
          field: 'Account__c',
          relationshipName: 'Widget_Parts__r',
          cascadeDelete: false,
        },
      ]),
    );
  });

  it('answers NOT_FOUND for an unknown object', () => {
    const { org } = makeOrg();
    const e = sfErr(() => org.describe('Nope__c'));
    expect(e.status).toBe(404);
    expect(item(e).errorCode).toBe('NOT_FOUND');
  });

  it('hands out copies', () => {
    const { org } = makeOrg();
    const d = org.describe('Case');
    const subject = d.fields.find((f) => f.name === 'Subject');
    if (subject) subject.length = 1;
    expect(org.describe('Case').fields.find((f) => f.name === 'Subject')?.length).toBe(255);
  });
});

describe('describeGlobal', () => {
  it('lists every object, sorted, with key prefixes and no field lists', () => {
    const { org } = makeOrg();
    const g = org.describeGlobal();
    expect(g.encoding).toBe('UTF-8');
    expect(g.maxBatchSize).toBe(200);
    const names = g.sobjects.map((o) => o.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(g.sobjects.find((o) => o.name === 'Case')).toEqual({
      name: 'Case',
      label: 'Case',
      labelPlural: 'Cases',
      keyPrefix: '500',
      custom: false,
      createable: true,
      updateable: true,
      deletable: true,
      queryable: true,
    });
    expect(g.sobjects.find((o) => o.name === 'Organization')).toMatchObject({
      createable: false,
      deletable: false,
    });
  });
});
