import { generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import {
  checkCallbackUrl,
  deliveryConfigSchema,
  isInternalAddress,
  StatusCallbacks,
} from '../../../src/delivery';
import type { FetchFn, StoredHandoff } from '../../../src/delivery';

const SECRET = 'a-callback-secret-of-at-least-32-bytes!!';
const NOW = Date.UTC(2026, 10, 21, 11, 30, 0);
const publicDns = (ips: string[]) => () => Promise.resolve(ips);

const record = (over: Partial<StoredHandoff> = {}) =>
  ({
    handoffId: 'ho-cb-000001',
    caseNumber: '00001234',
    callbackUrl: 'https://bot.example.com/cb',
    ...over,
  }) as StoredHandoff;

function callbacks(fetchImpl: FetchFn, over: Record<string, unknown> = {}, sleeps: number[] = []) {
  const config = deliveryConfigSchema.parse({
    callbacks: { signing: { alg: 'HS256', secret: SECRET }, maxAttempts: 3, baseDelayMs: 100, ...over },
  }).callbacks;
  return new StatusCallbacks({
    config,
    fetch: fetchImpl,
    lookup: publicDns(['93.184.216.34']),
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    now: () => NOW,
  });
}

describe('callback URL checks', () => {
  it.each([
    ['ftp://bot.example.com/cb', 'only http and https'],
    ['http://169.254.169.254/latest/meta-data/', 'internal or metadata address'],
    ['http://[fe80::1]/cb', 'internal or metadata address'],
    ['http://[::ffff:169.254.169.254]/', 'internal or metadata address'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'internal or metadata host'],
    ['http://localhost:8080/cb', 'internal or metadata host'],
    ['https://user:pw@bot.example.com/cb', 'credentials'],
  ])('refuses %s', async (url, why) => {
    expect(await checkCallbackUrl(url, false, publicDns(['93.184.216.34']))).toContain(why);
  });

  it('refuses a name that resolves to an internal address, and allows a public one', async () => {
    expect(
      await checkCallbackUrl('https://sneaky.example.com/', false, publicDns(['8.8.8.8', '127.0.0.1'])),
    ).toMatch(/resolves to/);
    expect(
      await checkCallbackUrl('https://bot.example.com/cb', false, publicDns(['93.184.216.34'])),
    ).toBeNull();
    expect(await checkCallbackUrl('http://10.1.2.3/cb', false)).toBeNull(); // a bank's internal bot is fine
    expect(await checkCallbackUrl('http://127.0.0.1:3000/cb', true)).toBeNull(); // allowInternalHosts
  });

  it('knows link-local, loopback and metadata addresses', () => {
    expect(
      ['169.254.169.254', '127.0.0.1', '0.0.0.0', 'fd00:ec2::254', '::1', 'fe80::abcd'].every(
        isInternalAddress,
      ),
    ).toBe(true);
    expect(['93.184.216.34', '10.0.0.1', '2001:db8::1'].some(isInternalAddress)).toBe(false);
  });
});

describe('StatusCallbacks', () => {
  it('POSTs an HS256 token with handoffId, status, caseNumber, iat, exp and jti', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const cb = callbacks((url, init) => {
      seen.push({ url, init });
      return Promise.resolve(new Response(null, { status: 204 }));
    });
    cb.notify(record(), 'routed');
    await cb.close();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('https://bot.example.com/cb');
    expect(seen[0]!.init.redirect).toBe('manual');
    const { token } = JSON.parse(seen[0]!.init.body as string) as { token: string };
    expect((seen[0]!.init.headers as Record<string, string>).authorization).toBe(`Bearer ${token}`);
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET), {
      algorithms: ['HS256'],
      currentDate: new Date(NOW),
      issuer: 'fsc-handoff',
    });
    expect(payload).toMatchObject({ handoffId: 'ho-cb-000001', status: 'routed', caseNumber: '00001234' });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.iat).toBe(NOW / 1000);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('signs RS256 with a configured private key (and kid)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const config = deliveryConfigSchema.parse({
      callbacks: {
        signing: {
          alg: 'RS256',
          privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          kid: 'k1',
        },
      },
    }).callbacks;
    const cb = new StatusCallbacks({ config, now: () => NOW });
    const token = await cb.sign(record(), 'dead_lettered');
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', kid: 'k1' });
    const key = await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'RS256');
    const { payload } = await jwtVerify(token, key, { currentDate: new Date(NOW) });
    expect(payload.status).toBe('dead_lettered');
  });

  it('retries 5xx and network errors with backoff, a bounded number of times', async () => {
    const statuses = [503, 0, 200];
    let calls = 0;
    const sleeps: number[] = [];
    const cb = callbacks(
      () => {
        const s = statuses[calls++]!;
        return s === 0
          ? Promise.reject(new Error('ECONNRESET'))
          : Promise.resolve(new Response(null, { status: s }));
      },
      {},
      sleeps,
    );
    cb.notify(record(), 'agent_assigned');
    await cb.close();
    expect(calls).toBe(3);
    expect(sleeps).toEqual([100, 200]);

    let failing = 0;
    const always = callbacks(() => {
      failing += 1;
      return Promise.resolve(new Response(null, { status: 500 }));
    });
    always.notify(record(), 'routed');
    await always.close();
    expect(failing).toBe(3);
  });

  it('does not retry a 4xx answer, and never calls a refused URL', async () => {
    let calls = 0;
    const cb = callbacks(() => {
      calls += 1;
      return Promise.resolve(new Response(null, { status: 401 }));
    });
    cb.notify(record(), 'routed');
    cb.notify(record({ callbackUrl: 'http://169.254.169.254/' }), 'routed');
    cb.notify(record({ callbackUrl: null }), 'routed');
    await cb.close();
    expect(calls).toBe(1);
  });

  it('sends nothing without a signing key', async () => {
    let calls = 0;
    const cb = new StatusCallbacks({
      config: deliveryConfigSchema.parse({}).callbacks,
      fetch: () => {
        calls += 1;
        return Promise.resolve(new Response(null, { status: 200 }));
      },
    });
    expect(cb.enabled).toBe(false);
    cb.notify(record(), 'routed');
    await cb.close();
    expect(calls).toBe(0);
  });
});
