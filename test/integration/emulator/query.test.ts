import { DATA, list, testEmulator } from './helpers';

describe('query and queryMore', () => {
  const t = testEmulator();
  const N = 450;

  beforeAll(() => {
    t.emu.org.transaction(() => {
      for (let i = 0; i < N; i++)
        t.emu.org.create('Account', { Name: `Paged ${String(i).padStart(3, '0')}` });
    });
  });

  const soql = encodeURIComponent("SELECT Id, Name FROM Account WHERE Name LIKE 'Paged%'");

  it('answers a small result in one page (done true, no nextRecordsUrl)', async () => {
    const res = await t.get(
      `${DATA}/query?q=${encodeURIComponent("SELECT Id FROM Account WHERE Name = 'Paged 001'")}`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      totalSize: 1,
      done: true,
      records: [expect.objectContaining({ Id: expect.any(String) })],
    });
  });

  it('pages with Sforce-Query-Options batchSize and follows nextRecordsUrl to the end', async () => {
    const first = await t.get(`${DATA}/query?q=${soql}`).set('Sforce-Query-Options', 'batchSize=200');
    expect(first.status).toBe(200);
    expect(first.body.totalSize).toBe(N);
    expect(first.body.done).toBe(false);
    expect(first.body.records).toHaveLength(200);
    expect(first.body.nextRecordsUrl).toMatch(new RegExp(`^${DATA}/query/01g[A-Za-z0-9]{12}-200$`));
    const second = await t.get(first.body.nextRecordsUrl as string);
    expect(second.body).toMatchObject({ totalSize: N, done: false });
    expect(second.body.nextRecordsUrl).toMatch(/-400$/);
    const third = await t.get(second.body.nextRecordsUrl as string);
    expect(third.body.done).toBe(true);
    expect(third.body.nextRecordsUrl).toBeUndefined();
    expect(third.body.records).toHaveLength(N - 400);
    const all = [first, second, third].flatMap((r) => list<{ Id: string }>(r.body.records).map((x) => x.Id));
    expect(new Set(all).size).toBe(N);
  });

  it('clamps the batch size to 200–2000 and defaults to 2000', async () => {
    const small = await t.get(`${DATA}/query?q=${soql}`).set('Sforce-Query-Options', 'batchSize=10');
    expect(small.body.records).toHaveLength(200);
    const dflt = await t.get(`${DATA}/query?q=${soql}`);
    expect(dflt.body.records).toHaveLength(N);
    expect(dflt.body.done).toBe(true);
  });

  it('answers 400 INVALID_QUERY_LOCATOR for an unknown locator', async () => {
    const res = await t.get(`${DATA}/query/01gXXXXXXXXXXXX-2000`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual([{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }]);
  });

  it('answers 400 MALFORMED_QUERY without q, and SOQL errors as error arrays', async () => {
    const none = await t.get(`${DATA}/query`);
    expect(none.status).toBe(400);
    expect(none.body[0].errorCode).toBe('MALFORMED_QUERY');
    const bad = await t.get(`${DATA}/query?q=${encodeURIComponent('SELECT Id FROM XYZZY')}`);
    expect(bad.status).toBe(400);
    expect(bad.body[0].errorCode).toBe('INVALID_TYPE');
  });

  it('counts with COUNT() and includes deleted rows only with queryAll', async () => {
    const created = await t.post(`${DATA}/sobjects/Account`, { Name: 'Soon deleted' });
    await t.del(`${DATA}/sobjects/Account/${created.body.id}`);
    const q = encodeURIComponent("SELECT Id, IsDeleted FROM Account WHERE Name = 'Soon deleted'");
    const live = await t.get(`${DATA}/query?q=${q}`);
    expect(live.body.totalSize).toBe(0);
    const all = await t.get(`${DATA}/queryAll?q=${q}`);
    expect(all.body.totalSize).toBe(1);
    expect(all.body.records[0].IsDeleted).toBe(true);
    const count = await t.get(
      `${DATA}/query?q=${encodeURIComponent("SELECT COUNT() FROM Account WHERE Name LIKE 'Paged%'")}`,
    );
    expect(count.body).toEqual({ totalSize: N, done: true, records: [] });
  });
});
