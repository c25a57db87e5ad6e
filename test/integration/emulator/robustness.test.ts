import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmulator } from '../../../src/emulator/index';
import { DATA, testEmulator } from './helpers';

describe('hostile input never crashes the emulator', () => {
  const t = testEmulator();
  const payloads: [string, string, unknown][] = [
    ['POST', `${DATA}/composite`, null],
    ['POST', `${DATA}/composite`, 'text'],
    ['POST', `${DATA}/composite`, { compositeRequest: 'nope' }],
    ['POST', `${DATA}/composite`, { compositeRequest: [null, 1, 'x'] }],
    ['POST', `${DATA}/composite`, { compositeRequest: [{ method: 'GET', url: 42, referenceId: 'a' }] }],
    ['POST', `${DATA}/composite`, { allOrNone: 'yes', compositeRequest: [] }],
    [
      'POST',
      `${DATA}/composite`,
      {
        compositeRequest: [
          {
            method: 'POST',
            url: `${DATA}/sobjects/Account`,
            referenceId: 'a',
            body: { Name: { deep: [1, { x: null }] } },
          },
        ],
      },
    ],
    [
      'POST',
      `${DATA}/composite`,
      {
        compositeRequest: [
          { method: 'GET', url: `${DATA}/sobjects/Account/@{missing.id}`, referenceId: 'a' },
        ],
      },
    ],
    ['POST', `${DATA}/composite/graph`, { graphs: [{ graphId: 1, compositeRequest: [] }] }],
    [
      'POST',
      `${DATA}/composite/graph`,
      {
        graphs: [
          {
            graphId: 'g',
            compositeRequest: [
              { method: 'POST', url: `${DATA}/sobjects/Account`, referenceId: 'x', body: 'str' },
            ],
          },
        ],
      },
    ],
    ['POST', `${DATA}/composite/batch`, { batchRequests: [{}] }],
    ['POST', `${DATA}/composite/sobjects`, { records: [1, 2] }],
    ['POST', `${DATA}/composite/sobjects`, { records: [{ Name: 'no type' }] }],
    [
      'PATCH',
      `${DATA}/composite/sobjects/Case/Handoff_Id__c`,
      { records: [{ attributes: { type: 'Case' }, Handoff_Id__c: { a: 1 } }] },
    ],
    ['DELETE', `${DATA}/composite/sobjects?ids=zzz,001`, undefined],
    ['GET', `${DATA}/sobjects/Account/%E0%A4%A`, undefined],
    ['GET', `${DATA}/sobjects/Account/not-an-id`, undefined],
    ['PATCH', `${DATA}/sobjects/Account/001000000000000`, { Name: ['array'] }],
    ['GET', `${DATA}/query?q=SELECT`, undefined],
    ['GET', `${DATA}/query?q=${encodeURIComponent("SELECT Id FROM Account WHERE Name = '")}`, undefined],
    ['POST', `${DATA}/sobjects/Case`, { Subject: 'x'.repeat(300) }],
    ['POST', `${DATA}/sobjects/PendingServiceRouting`, { IsReadyForRouting: 'maybe' }],
  ];

  it.each(payloads)('%s %s answers a Salesforce-shaped 4xx (never 5xx)', async (method, url, body) => {
    const r = t.raw();
    let test =
      method === 'POST'
        ? r.post(url)
        : method === 'PATCH'
          ? r.patch(url)
          : method === 'DELETE'
            ? r.delete(url)
            : r.get(url);
    test = test.set('Authorization', `Bearer ${t.token}`);
    if (body !== undefined) test = test.set('Content-Type', 'application/json').send(JSON.stringify(body));
    const res = await test;
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) {
      expect(Array.isArray(res.body)).toBe(true);
      expect(res.body[0]).toEqual(
        expect.objectContaining({ errorCode: expect.any(String), message: expect.any(String) }),
      );
    } else {
      expect(res.status).toBe(200); // composite-style: the failure is inside the items
      // (composite and graph items carry errorCode, sObject Collections items statusCode)
      expect(JSON.stringify(res.body)).toMatch(/"(errorCode|statusCode)":"[A-Z_]+"/);
    }
  });

  it('answers a garbage OAuth request with 400 and an OAuth error body', async () => {
    const res = await t
      .raw()
      .post('/services/oauth2/token')
      .set('Content-Type', 'application/json')
      .send('{"grant_type":');
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual(expect.any(String));
  });
});

describe('stateFile', () => {
  it('saves state on stop and loads it at the next start', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fsc-emu-'));
    const stateFile = path.join(dir, 'state.json');
    try {
      const first = createEmulator({ stateFile, omni: { tickIntervalMs: 0 } });
      const token = first.token().access_token;
      await first.start();
      const created = await fetch(`${first.url}/services/data/v63.0/sobjects/Account`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ Name: 'Survives a restart' }),
      });
      const { id } = (await created.json()) as { id: string };
      await first.stop();
      expect(existsSync(stateFile)).toBe(true);

      const second = createEmulator({ stateFile, omni: { tickIntervalMs: 0 } });
      expect(second.orgId).toBe(first.orgId);
      expect(second.records('Account').find((a) => a.Id === id)?.Name).toBe('Survives a restart');
      expect(second.jwt()?.privateKeyPem).toBe(first.jwt()?.privateKeyPem);
      expect(second.usernames).toEqual(first.usernames);
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
