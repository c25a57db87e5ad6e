import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { nowSeconds, signAssertion, testEmulator, DATA } from './helpers';

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

describe('OAuth 2.0 token endpoint (JWT bearer and client credentials)', () => {
  const t = testEmulator();
  const creds = t.emu.jwt();

  function token(form: Record<string, string>): request.Test {
    return request(t.emu.app).post('/services/oauth2/token').type('form').send(form);
  }

  it('has JWT dev credentials for the seeded connected app', () => {
    expect(creds).toBeDefined();
    expect(creds?.clientId).toBe('FSC_HANDOFF_EMULATOR_JWT');
    expect(creds?.privateKeyPem).toContain('BEGIN PRIVATE KEY');
  });

  it.each(['https://login.salesforce.com', 'https://test.salesforce.com'])(
    'issues a token for a valid assertion with aud %s',
    async (aud) => {
      const assertion = await signAssertion(creds!.privateKeyPem, {
        iss: creds!.clientId,
        sub: creds!.username,
        aud,
        exp: nowSeconds() + 180,
      });
      const res = await token({ grant_type: JWT_GRANT, assertion });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(
        ['access_token', 'id', 'instance_url', 'issued_at', 'scope', 'signature', 'token_type'].sort(),
      );
      expect(res.body.token_type).toBe('Bearer');
      expect(res.body.refresh_token).toBeUndefined();
      expect(res.body.issued_at).toMatch(/^\d{13}$/);
      expect(res.body.id).toBe(
        `${res.body.instance_url}/id/${t.emu.orgId}/${String(res.body.id).split('/').pop()}`,
      );
      expect(String(res.body.id).split('/').pop()).toMatch(/^005[A-Za-z0-9]{15}$/);
      const data = await request(t.emu.app)
        .get(`${DATA}/limits`)
        .set('Authorization', `Bearer ${res.body.access_token}`);
      expect(data.status).toBe(200);
    },
  );

  it.each([
    ['in milliseconds (Date.now() + 300)', () => Date.now() + 300],
    // Well past the limit: at +181 a second that ticks between signing and the emulator's check
    // (a busy CI machine) leaves exactly 180, which is allowed.
    ['more than 3 minutes away', () => nowSeconds() + 190],
  ])(
    'refuses an assertion whose exp is %s: Salesforce documents seconds, within 3 minutes',
    async (_label, exp) => {
      const assertion = await signAssertion(creds!.privateKeyPem, {
        iss: creds!.clientId,
        sub: creds!.username,
        aud: 'https://login.salesforce.com',
        exp: exp(),
      });
      const res = await token({ grant_type: JWT_GRANT, assertion });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'invalid_grant',
        error_description: expect.stringContaining('3 minutes'),
      });
    },
  );

  it("accepts the emulator's own URL as aud", async () => {
    const url = await t.emu.start();
    try {
      const assertion = await signAssertion(creds!.privateKeyPem, {
        iss: creds!.clientId,
        sub: creds!.username,
        aud: url,
        exp: nowSeconds() + 60,
      });
      const res = await fetch(`${url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: JWT_GRANT, assertion }).toString(),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { instance_url: string };
      expect(body.instance_url).toBe(url);
    } finally {
      await t.emu.stop();
    }
  });

  const cases: [string, () => Promise<Record<string, string>>, string, string][] = [
    [
      'an expired assertion',
      async () => ({
        grant_type: JWT_GRANT,
        assertion: await signAssertion(creds!.privateKeyPem, {
          iss: creds!.clientId,
          sub: creds!.username,
          aud: 'https://login.salesforce.com',
          exp: nowSeconds() - 10,
        }),
      }),
      'invalid_grant',
      'invalid assertion',
    ],
    [
      'an assertion without exp',
      async () => ({
        grant_type: JWT_GRANT,
        assertion: await signAssertion(creds!.privateKeyPem, {
          iss: creds!.clientId,
          sub: creds!.username,
          aud: 'https://login.salesforce.com',
        }),
      }),
      'invalid_grant',
      'invalid assertion',
    ],
    [
      'a wrong audience',
      async () => ({
        grant_type: JWT_GRANT,
        assertion: await signAssertion(creds!.privateKeyPem, {
          iss: creds!.clientId,
          sub: creds!.username,
          aud: 'https://example.com',
          exp: nowSeconds() + 60,
        }),
      }),
      'invalid_grant',
      'audience is invalid',
    ],
    [
      'an assertion signed by another key',
      async () => {
        const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString();
        return {
          grant_type: JWT_GRANT,
          assertion: await signAssertion(other, {
            iss: creds!.clientId,
            sub: creds!.username,
            aud: 'https://login.salesforce.com',
            exp: nowSeconds() + 60,
          }),
        };
      },
      'invalid_grant',
      'invalid assertion',
    ],
    [
      'a user who is not pre-authorised',
      async () => ({
        grant_type: JWT_GRANT,
        assertion: await signAssertion(creds!.privateKeyPem, {
          iss: creds!.clientId,
          sub: 'amelia.hart@fsc-handoff.emulator',
          aud: 'https://login.salesforce.com',
          exp: nowSeconds() + 60,
        }),
      }),
      'invalid_grant',
      "user hasn't approved this consumer",
    ],
    [
      'an unknown user',
      async () => ({
        grant_type: JWT_GRANT,
        assertion: await signAssertion(creds!.privateKeyPem, {
          iss: creds!.clientId,
          sub: 'nobody@fsc-handoff.emulator',
          aud: 'https://login.salesforce.com',
          exp: nowSeconds() + 60,
        }),
      }),
      'invalid_grant',
      'invalid user',
    ],
    [
      'an unknown client id',
      async () => ({
        grant_type: JWT_GRANT,
        assertion: await signAssertion(creds!.privateKeyPem, {
          iss: 'NOT_A_CLIENT',
          sub: creds!.username,
          aud: 'https://login.salesforce.com',
          exp: nowSeconds() + 60,
        }),
      }),
      'invalid_client_id',
      'client identifier invalid',
    ],
    [
      'a garbage assertion',
      () => Promise.resolve({ grant_type: JWT_GRANT, assertion: 'not.a.jwt' }),
      'invalid_grant',
      'invalid assertion',
    ],
    ['no assertion', () => Promise.resolve({ grant_type: JWT_GRANT }), 'invalid_grant', 'invalid assertion'],
    [
      'the password grant',
      () => Promise.resolve({ grant_type: 'password', username: 'a', password: 'b' }),
      'unsupported_grant_type',
      'grant type not supported',
    ],
    ['no grant type', () => Promise.resolve({}), 'unsupported_grant_type', 'grant type not supported'],
    [
      'client credentials with a wrong secret',
      () =>
        Promise.resolve({
          grant_type: 'client_credentials',
          client_id: 'FSC_HANDOFF_EMULATOR_CC',
          client_secret: 'wrong-secret-value',
        }),
      'invalid_client',
      'invalid client credentials',
    ],
    [
      'client credentials for an app without a run-as user',
      () =>
        Promise.resolve({
          grant_type: 'client_credentials',
          client_id: 'FSC_HANDOFF_EMULATOR_JWT',
          client_secret: 'whatever-secret',
        }),
      'invalid_client',
      'invalid client credentials',
    ],
  ];

  it.each(cases)(
    'rejects %s with HTTP 400 and an OAuth error body',
    async (_name, form, error, description) => {
      const res = await token(await form());
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error, error_description: expect.stringContaining(description) });
    },
  );

  it('issues a token for client credentials (form or HTTP Basic) as the run-as user', async () => {
    const form = await token({
      grant_type: 'client_credentials',
      client_id: 'FSC_HANDOFF_EMULATOR_CC',
      client_secret: 'emulator-only-client-secret-not-for-production',
    });
    expect(form.status).toBe(200);
    expect(form.body.token_type).toBe('Bearer');
    expect(form.body.refresh_token).toBeUndefined();
    const basic = await request(t.emu.app)
      .post('/services/oauth2/token')
      .auth('FSC_HANDOFF_EMULATOR_CC', 'emulator-only-client-secret-not-for-production')
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expect(basic.status).toBe(200);
    const info = await request(t.emu.app)
      .get('/services/oauth2/userinfo')
      .set('Authorization', `Bearer ${basic.body.access_token}`);
    expect(info.status).toBe(200);
    expect(info.body.preferred_username).toBe('integration@fsc-handoff.emulator');
    expect(info.body.organization_id).toBe(t.emu.orgId);
  });

  it('answers userinfo and the identity URL for a token, 401 without one', async () => {
    const info = await t.get('/services/oauth2/userinfo');
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({
      user_id: expect.stringMatching(/^005/),
      preferred_username: expect.any(String),
    });
    const id = await t.get(`/id/${t.emu.orgId}/${info.body.user_id}`);
    expect(id.status).toBe(200);
    expect(id.body).toMatchObject({ user_id: info.body.user_id, organization_id: t.emu.orgId });
    const none = await request(t.emu.app).get('/services/oauth2/userinfo');
    expect(none.status).toBe(401);
    expect(none.body).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
  });
});

describe('sessions', () => {
  it('expire after the idle time and then every call answers 401 INVALID_SESSION_ID', async () => {
    let now = 1_800_000_000_000;
    const t = testEmulator({ sessionIdleMs: 60_000, now: () => now });
    expect((await t.get(`${DATA}/limits`)).status).toBe(200);
    now += 59_000;
    expect((await t.get(`${DATA}/limits`)).status).toBe(200); // resets the idle timer
    now += 59_000;
    expect((await t.get(`${DATA}/limits`)).status).toBe(200);
    now += 61_000;
    const res = await t.get(`${DATA}/sobjects`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    expect((await t.get(`${DATA}/limits`)).status).toBe(401);
  });

  it('are all ended by the admin API', async () => {
    const t = testEmulator();
    expect((await t.get(`${DATA}/limits`)).status).toBe(200);
    const res = await t.raw().post('/__emulator/sessions/expire');
    expect(res.status).toBe(200);
    expect(res.body.expired).toBeGreaterThanOrEqual(1);
    expect((await t.get(`${DATA}/limits`)).status).toBe(401);
  });

  it('reject a missing or unknown bearer token', async () => {
    const t = testEmulator();
    const none = await t.raw().get(`${DATA}/sobjects`);
    expect(none.status).toBe(401);
    const bad = await t.raw().get(`${DATA}/sobjects`).set('Authorization', 'Bearer 00Dxx!nope');
    expect(bad.status).toBe(401);
    expect(bad.body[0].errorCode).toBe('INVALID_SESSION_ID');
  });
});
