import { DATA, list, testEmulator } from './helpers';

describe('faults on demand', () => {
  it('adds latency per call: the answer waits for a timer of latencyMs', async () => {
    // No elapsed-time threshold (speed is for the bench): the call must arm a 120 ms timer and
    // answer only after that timer has fired.
    const t = testEmulator({ faults: { latencyMs: 120 } });
    const fired: boolean[] = [];
    const realSetTimeout = global.setTimeout;
    const spy = jest.spyOn(global, 'setTimeout').mockImplementation(((
      fn: (...args: unknown[]) => void,
      ms?: number,
      ...args: unknown[]
    ) => {
      if (ms !== 120) return realSetTimeout(fn, ms, ...args);
      const i = fired.push(false) - 1;
      return realSetTimeout(() => {
        fired[i] = true;
        fn(...args);
      }, ms);
    }) as typeof setTimeout);
    try {
      const res = await t.get(`${DATA}/limits`);
      expect(res.status).toBe(200);
      expect(fired).toEqual([true]);
    } finally {
      spy.mockRestore();
    }
  });

  it('fails the next calls with UNABLE_TO_LOCK_ROW, 503 and REQUEST_LIMIT_EXCEEDED (failNext)', async () => {
    const t = testEmulator();
    const set = await t
      .raw()
      .put('/__emulator/faults')
      .send({ failNext: ['unableToLockRow', 'serviceUnavailable', 'requestLimitExceeded'] });
    expect(set.status).toBe(200);
    const created = await t.post(`${DATA}/sobjects/Account`, { Name: 'Locked' });
    expect(created.status).toBe(400);
    expect(created.body).toEqual([
      {
        errorCode: 'UNABLE_TO_LOCK_ROW',
        message: expect.stringMatching(
          /^unable to obtain exclusive access to this record or 1 records: [A-Za-z0-9]{18}$/,
        ),
      },
    ]);
    const unavailable = await t.get(`${DATA}/limits`);
    expect(unavailable.status).toBe(503);
    const limited = await t.get(`${DATA}/limits`);
    expect(limited.status).toBe(403);
    expect(limited.body).toEqual([
      { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ]);
    expect((await t.get(`${DATA}/limits`)).status).toBe(200);
    expect(t.emu.records('Account').some((a) => a.Name === 'Locked')).toBe(false);
  });

  it('applies error rates (rate 1 fails every data call)', async () => {
    const t = testEmulator({ faults: { errorRates: { serviceUnavailable: 1 } } });
    for (let i = 0; i < 3; i++) expect((await t.get(`${DATA}/limits`)).status).toBe(503);
    await t.raw().put('/__emulator/faults').send({});
    expect((await t.get(`${DATA}/limits`)).status).toBe(200);
  });

  it('runs an outage window: every data call 503 until cleared; admin routes keep working', async () => {
    const t = testEmulator();
    await t.raw().put('/__emulator/faults').send({ outage: true });
    expect((await t.get(`${DATA}/sobjects`)).status).toBe(503);
    expect((await t.post(`${DATA}/composite/graph`, { graphs: [] })).status).toBe(503);
    const view = await t.raw().get('/__emulator/faults');
    expect(view.status).toBe(200);
    expect(view.body.outage).toBe(true);
    await t.raw().delete('/__emulator/faults');
    expect((await t.get(`${DATA}/sobjects`)).status).toBe(200);
  });

  it('ends a timed outage by itself', async () => {
    let now = 1_900_000_000_000;
    const t = testEmulator({ now: () => now });
    await t.raw().put('/__emulator/faults').send({ outage: 5000 });
    expect((await t.get(`${DATA}/limits`)).status).toBe(503);
    now += 5001;
    expect((await t.get(`${DATA}/limits`)).status).toBe(200);
  });

  it('commit then fail: the write commits but the answer is a 503', async () => {
    const t = testEmulator({ faults: { commitThenFail: { next: 1, mode: '503' } } });
    const res = await t.patch(`${DATA}/sobjects/Case/Handoff_Id__c/ho-unknown-outcome`, {
      Subject: 'Committed',
    });
    expect(res.status).toBe(503);
    const cases = t.emu.records('Case').filter((c) => c.Handoff_Id__c === 'ho-unknown-outcome');
    expect(cases).toHaveLength(1);
    // The retry is an update, as a reliable client expects.
    const retry = await t.patch(`${DATA}/sobjects/Case/Handoff_Id__c/ho-unknown-outcome`, {
      Subject: 'Committed',
    });
    expect(retry.status).toBe(200);
    expect(retry.body.created).toBe(false);
  });

  it('commit then fail (drop): the write commits and the connection is dropped', async () => {
    const t = testEmulator({ faults: { commitThenFail: { next: 1, mode: 'drop' } } });
    await expect(t.post(`${DATA}/sobjects/Account`, { Name: 'Dropped answer' })).rejects.toThrow();
    expect(t.emu.records('Account').some((a) => a.Name === 'Dropped answer')).toBe(true);
  });

  it('forces session expiry through the faults API', async () => {
    const t = testEmulator();
    await t.raw().put('/__emulator/faults').send({ expireSessions: true });
    expect((await t.get(`${DATA}/limits`)).status).toBe(401);
  });

  it('rejects bad fault settings with 400 naming the field', async () => {
    const t = testEmulator();
    const res = await t
      .raw()
      .put('/__emulator/faults')
      .send({ errorRates: { unableToLockRow: 2 } });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('errorRates.unableToLockRow');
  });
});

describe('admin API', () => {
  it('counts calls per endpoint family, composite as one, and resets the counter', async () => {
    const t = testEmulator();
    await t.raw().post('/__emulator/calls/reset');
    await t.get(`${DATA}/query?q=${encodeURIComponent('SELECT Id FROM Account')}`);
    await t.get(`${DATA}/sobjects/Account/describe`);
    await t.post(`${DATA}/composite/graph`, {
      graphs: [
        {
          graphId: 'one',
          compositeRequest: [
            { method: 'POST', url: `${DATA}/sobjects/Account`, referenceId: 'a', body: { Name: 'A' } },
            { method: 'POST', url: `${DATA}/sobjects/Account`, referenceId: 'b', body: { Name: 'B' } },
          ],
        },
      ],
    });
    await t.post(`${DATA}/composite`, {
      compositeRequest: [{ method: 'GET', url: `${DATA}/sobjects/Account/describe`, referenceId: 'd' }],
    });
    await t.raw().post('/services/oauth2/token').type('form').send({ grant_type: 'nope' });
    const calls = await t.raw().get('/__emulator/calls');
    expect(calls.status).toBe(200);
    expect(calls.body).toEqual({
      query: 1,
      sobjects: 1,
      'composite/graph': 1,
      composite: 1,
      oauth: 1,
      total: 5,
    });
    const reset = await t.raw().post('/__emulator/calls/reset');
    expect(reset.body).toEqual({ total: 0 });
  });

  it('mints a token for the integration user or a given username', async () => {
    const t = testEmulator();
    const res = await t.raw().post('/__emulator/token').send({});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    const agent = await t
      .raw()
      .post('/__emulator/token')
      .send({ username: 'amelia.hart@fsc-handoff.emulator' });
    expect(agent.status).toBe(200);
    const info = await t
      .raw()
      .get('/services/oauth2/userinfo')
      .set('Authorization', `Bearer ${agent.body.access_token}`);
    expect(info.body.preferred_username).toBe('amelia.hart@fsc-handoff.emulator');
    const unknown = await t.raw().post('/__emulator/token').send({ username: 'nobody@example.com' });
    expect(unknown.status).toBe(400);
  });

  it('exposes the JWT dev credentials and info', async () => {
    const t = testEmulator();
    const jwt = await t.raw().get('/__emulator/jwt');
    expect(jwt.status).toBe(200);
    expect(jwt.body).toMatchObject({
      clientId: 'FSC_HANDOFF_EMULATOR_JWT',
      username: 'integration@fsc-handoff.emulator',
      privateKeyPem: expect.stringContaining('PRIVATE KEY'),
    });
    const info = await t.raw().get('/__emulator/info');
    expect(info.body.usernames).toContain('marcus.bell@fsc-handoff.emulator');
    expect(info.body.apiVersions).toContain('63.0');
  });

  it('lists records, resets to the seed, and replaces or merges a seed', async () => {
    const t = testEmulator();
    const accounts = await t.raw().get('/__emulator/records/account');
    expect(accounts.status).toBe(200);
    expect(accounts.body.totalSize).toBe(5);
    const bankIds = list<{ Bank_Customer_Id__c: string }>(accounts.body.records).map(
      (r) => r.Bank_Customer_Id__c,
    );
    expect(bankIds.sort()).toEqual([
      'CUST-100001',
      'CUST-100002',
      'CUST-100003',
      'CUST-100004',
      'CUST-100005',
    ]);
    await t.post(`${DATA}/sobjects/Account`, { Name: 'Extra' });
    expect((await t.raw().get('/__emulator/records/Account')).body.totalSize).toBe(6);
    const reset = await t.raw().post('/__emulator/reset');
    expect(reset.status).toBe(200);
    expect((await t.raw().get('/__emulator/records/Account')).body.totalSize).toBe(5);

    const merged = await t
      .raw()
      .post('/__emulator/seed?mode=merge')
      .send({ records: [{ sobject: 'Account', fields: { Name: 'Merged business' } }] });
    expect(merged.status).toBe(200);
    expect((await t.raw().get('/__emulator/records/Account')).body.totalSize).toBe(6);

    const replaced = await t
      .raw()
      .post('/__emulator/seed')
      .send({ users: [{ username: 'solo@fsc-handoff.emulator', lastName: 'Solo' }] });
    expect(replaced.status).toBe(200);
    expect((await t.raw().get('/__emulator/records/Account')).body.totalSize).toBe(0);
    expect(replaced.body.usernames).toEqual(['solo@fsc-handoff.emulator']);

    const bad = await t
      .raw()
      .post('/__emulator/seed')
      .send({ agents: [{ username: 'x' }] });
    expect(bad.status).toBe(400);
    const unknownObject = await t.raw().get('/__emulator/records/Nope__c');
    expect(unknownObject.status).toBe(404);
  });

  it('answers malformed admin JSON with 400 and unknown admin routes with 404', async () => {
    const t = testEmulator();
    const bad = await t
      .raw()
      .put('/__emulator/faults')
      .set('Content-Type', 'application/json')
      .send('{"latencyMs":');
    expect(bad.status).toBe(400);
    expect((await t.raw().get('/__emulator/nothing')).status).toBe(404);
  });

  it('sets the daily limit and usage', async () => {
    const t = testEmulator();
    const res = await t.raw().put('/__emulator/limits').send({ dailyMax: 10, used: 10 });
    expect(res.body).toEqual({ Max: 10, Remaining: 0 });
    expect((await t.get(`${DATA}/limits`)).status).toBe(403);
  });
});
