import { DATA, sortedIds, testEmulator, list } from './helpers';

const HALTED = 'The transaction was rolled back since another operation in the same transaction failed.';

function createAccounts(
  n: number,
  prefix: string,
): { method: string; url: string; referenceId: string; body: unknown }[] {
  return Array.from({ length: n }, (_x, i) => ({
    method: 'POST',
    url: `${DATA}/sobjects/Account`,
    referenceId: `${prefix}${i}`,
    body: { Name: `${prefix} ${i}` },
  }));
}

describe('POST /composite', () => {
  const t = testEmulator();

  it('runs dependent subrequests with @{ref.id}, @{ref.Field} and @{ref.records[0].Id}; top level 200', async () => {
    const res = await t.post(`${DATA}/composite`, {
      allOrNone: true,
      compositeRequest: [
        {
          method: 'POST',
          url: `${DATA}/sobjects/Account`,
          referenceId: 'newAccount',
          body: { Name: 'Harbour Mutual' },
        },
        {
          method: 'GET',
          url: `${DATA}/sobjects/Account/@{newAccount.id}?fields=Name`,
          referenceId: 'accountInfo',
        },
        {
          method: 'POST',
          url: `${DATA}/sobjects/Contact`,
          referenceId: 'newContact',
          body: { LastName: 'Quayle', AccountId: '@{accountInfo.Id}', Title: 'Buyer at @{accountInfo.Name}' },
        },
        {
          method: 'GET',
          // References order subrequests; without one to newContact this query could run before it.
          url: `${DATA}/query?q=SELECT+Id,LastName+FROM+Contact+WHERE+AccountId='@{newAccount.id}'+AND+Id='@{newContact.id}'`,
          referenceId: 'contacts',
        },
        {
          method: 'PATCH',
          url: `${DATA}/sobjects/Contact/@{contacts.records[0].Id}`,
          referenceId: 'renameContact',
          body: { LastName: 'Quayle-Smith' },
        },
      ],
    });
    expect(res.status).toBe(200);
    const items = res.body.compositeResponse;
    expect(list<{ referenceId: string }>(items).map((i) => i.referenceId)).toEqual([
      'newAccount',
      'accountInfo',
      'newContact',
      'contacts',
      'renameContact',
    ]);
    for (const i of items)
      expect(Object.keys(i).sort()).toEqual(['body', 'httpHeaders', 'httpStatusCode', 'referenceId']);
    expect(list<{ httpStatusCode: number }>(items).map((i) => i.httpStatusCode)).toEqual([
      201, 200, 201, 200, 204,
    ]);
    expect(items[0].httpHeaders.Location).toBe(`${DATA}/sobjects/Account/${items[0].body.id}`);
    expect(items[3].body.totalSize).toBe(1);
    expect(items[4].body).toBeNull();
    const contact = await t.get(`${DATA}/sobjects/Contact/${items[2].body.id}`);
    expect(contact.body).toMatchObject({
      LastName: 'Quayle-Smith',
      Title: 'Buyer at Harbour Mutual',
      AccountId: items[0].body.id,
    });
  });

  it('with allOrNone rolls everything back: the failure keeps its error, every other item is PROCESSING_HALTED', async () => {
    const before = t.emu.records('Account').length;
    const res = await t.post(`${DATA}/composite`, {
      allOrNone: true,
      compositeRequest: [
        { method: 'POST', url: `${DATA}/sobjects/Account`, referenceId: 'ok1', body: { Name: 'Kept?' } },
        { method: 'POST', url: `${DATA}/sobjects/Account`, referenceId: 'bad', body: { Nope__c: 1 } },
        { method: 'POST', url: `${DATA}/sobjects/Account`, referenceId: 'ok2', body: { Name: 'Kept too?' } },
      ],
    });
    expect(res.status).toBe(200);
    const [ok1, bad, ok2] = res.body.compositeResponse;
    expect(bad.httpStatusCode).toBe(400);
    expect(bad.body[0].errorCode).toBe('INVALID_FIELD');
    for (const item of [ok1, ok2]) {
      expect(item.httpStatusCode).toBe(400);
      expect(item.body).toEqual([{ errorCode: 'PROCESSING_HALTED', message: HALTED }]);
    }
    expect(t.emu.records('Account').length).toBe(before);
  });

  it('without allOrNone runs independent subrequests and halts only those that depend on a failure', async () => {
    const res = await t.post(`${DATA}/composite`, {
      allOrNone: false,
      compositeRequest: [
        { method: 'POST', url: `${DATA}/sobjects/Account`, referenceId: 'bad', body: {} },
        {
          method: 'POST',
          url: `${DATA}/sobjects/Contact`,
          referenceId: 'dep',
          body: { LastName: 'X', AccountId: '@{bad.id}' },
        },
        {
          method: 'POST',
          url: `${DATA}/sobjects/Account`,
          referenceId: 'free',
          body: { Name: 'Independent' },
        },
      ],
    });
    expect(res.status).toBe(200);
    const [bad, dep, free] = res.body.compositeResponse;
    expect(bad.httpStatusCode).toBe(400);
    expect(bad.body[0].errorCode).toBe('REQUIRED_FIELD_MISSING');
    expect(dep.httpStatusCode).toBe(400);
    expect(dep.body[0].errorCode).toBe('PROCESSING_HALTED');
    expect(free.httpStatusCode).toBe(201);
  });

  it('runs independent subrequests out of listed order when collated (the default from 49.0)', async () => {
    const res = await t.post(`${DATA}/composite`, { compositeRequest: createAccounts(6, 'col') });
    const ids = list<{ body: { id: string } }>(res.body.compositeResponse).map((i) => i.body.id);
    expect(ids).toHaveLength(6);
    expect(ids).not.toEqual(sortedIds(ids));
  });

  it('runs subrequests in listed order with collateSubrequests false', async () => {
    const res = await t.post(`${DATA}/composite`, {
      collateSubrequests: false,
      compositeRequest: createAccounts(6, 'seq'),
    });
    const ids = list<{ body: { id: string } }>(res.body.compositeResponse).map((i) => i.body.id);
    expect(ids).toEqual(sortedIds(ids));
  });

  it('gives no promise of order without a reference (the query runs before the insert listed earlier)', async () => {
    const seen = new Set<number>();
    for (let n = 0; n < 4; n++) {
      const res = await t.post(`${DATA}/composite`, {
        compositeRequest: [
          {
            method: 'POST',
            url: `${DATA}/sobjects/Account`,
            referenceId: 'acc',
            body: { Name: `Unordered ${n}` },
          },
          {
            method: 'GET',
            url: `${DATA}/query?q=SELECT+Id+FROM+Account+WHERE+Name='Unordered+${n}'`,
            referenceId: 'q',
          },
        ],
      });
      seen.add(res.body.compositeResponse[1].body.totalSize as number);
    }
    // Two independent subrequests: the emulator never runs them in listed order.
    expect(seen).toEqual(new Set([0]));
  });

  it('fails a reference to a subrequest listed later, whatever ran first', async () => {
    for (let n = 0; n < 4; n++) {
      const res = await t.post(`${DATA}/composite`, {
        compositeRequest: [
          { method: 'GET', url: `${DATA}/sobjects/Account/@{later.id}`, referenceId: 'early' },
          {
            method: 'POST',
            url: `${DATA}/sobjects/Account`,
            referenceId: 'later',
            body: { Name: `Later ${n}` },
          },
        ],
      });
      const [early, later] = res.body.compositeResponse;
      expect(early.httpStatusCode).toBe(400);
      expect(early.body[0].errorCode).toBe('PROCESSING_HALTED');
      expect(later.httpStatusCode).toBe(201);
    }
  });

  it('keeps a reference after the subrequest it names, whatever the collation', async () => {
    for (let n = 0; n < 5; n++) {
      const res = await t.post(`${DATA}/composite`, {
        compositeRequest: [
          ...createAccounts(3, `noise${n}x`),
          {
            method: 'POST',
            url: `${DATA}/sobjects/Account`,
            referenceId: 'parent',
            body: { Name: 'Parent' },
          },
          {
            method: 'POST',
            url: `${DATA}/sobjects/Contact`,
            referenceId: 'child',
            body: { LastName: 'C', AccountId: '@{parent.id}' },
          },
        ],
      });
      const byRef = Object.fromEntries(
        list<{ referenceId: string; httpStatusCode: number }>(res.body.compositeResponse).map((i) => [
          i.referenceId,
          i.httpStatusCode,
        ]),
      );
      expect(byRef.child).toBe(201);
    }
  });

  const bad: [string, unknown, string][] = [
    [
      'an illegal referenceId',
      { compositeRequest: [{ method: 'GET', url: `${DATA}/limits`, referenceId: 'bad-id' }] },
      'referenceId',
    ],
    [
      'a url outside /services/data/vXX.X/',
      { compositeRequest: [{ method: 'GET', url: '/services/apexrest/x', referenceId: 'a' }] },
      'url',
    ],
    [
      'an Authorization header on a subrequest',
      {
        compositeRequest: [
          {
            method: 'GET',
            url: `${DATA}/sobjects/Account`,
            referenceId: 'a',
            httpHeaders: { Authorization: 'Bearer x' },
          },
        ],
      },
      'Authorization',
    ],
    [
      'a Content-Type header on a subrequest',
      {
        compositeRequest: [
          {
            method: 'GET',
            url: `${DATA}/sobjects/Account`,
            referenceId: 'a',
            httpHeaders: { 'Content-Type': 'text/plain' },
          },
        ],
      },
      'Content-Type',
    ],
    ['26 subrequests', { compositeRequest: createAccounts(26, 'many') }, '25'],
    [
      '6 queries',
      {
        compositeRequest: Array.from({ length: 6 }, (_x, i) => ({
          method: 'GET',
          url: `${DATA}/query?q=SELECT+Id+FROM+Account`,
          referenceId: `q${i}`,
        })),
      },
      '5',
    ],
    ['no compositeRequest', { allOrNone: true }, 'compositeRequest'],
  ];

  it.each(bad)('fails the whole request with 400 for %s', async (_name, body, mention) => {
    const before = t.emu.records('Account').length;
    const res = await t.post(`${DATA}/composite`, body);
    expect(res.status).toBe(400);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body[0]).toEqual({ errorCode: expect.any(String), message: expect.stringContaining(mention) });
    expect(t.emu.records('Account').length).toBe(before);
  });

  it('answers a subrequest error in its item (e.g. 404 for an unknown object)', async () => {
    const res = await t.post(`${DATA}/composite`, {
      compositeRequest: [{ method: 'GET', url: `${DATA}/sobjects/Foo`, referenceId: 'foo' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.compositeResponse[0]).toEqual({
      body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }],
      httpHeaders: {},
      httpStatusCode: 404,
      referenceId: 'foo',
    });
  });
});

describe('POST /composite/batch', () => {
  const t = testEmulator();

  it('runs up to 25 independent subrequests and reports each', async () => {
    const res = await t.post(`${DATA}/composite/batch`, {
      batchRequests: [
        { method: 'POST', url: `v63.0/sobjects/Account`, richInput: { Name: 'Batch one' } },
        { method: 'GET', url: `v63.0/sobjects/Nope__c` },
        { method: 'GET', url: `v63.0/limits` },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.hasErrors).toBe(true);
    expect(list<{ statusCode: number }>(res.body.results).map((r) => r.statusCode)).toEqual([201, 404, 404]);
    expect(res.body.results[0].result).toMatchObject({ success: true });
  });

  it('rejects 26 subrequests', async () => {
    const res = await t.post(`${DATA}/composite/batch`, {
      batchRequests: Array.from({ length: 26 }, () => ({ method: 'GET', url: 'v63.0/sobjects/Account' })),
    });
    expect(res.status).toBe(400);
  });
});
