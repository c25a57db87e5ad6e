import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, base64url, exportJWK } from 'jose';
import { createBotAuthenticator, type BotAuthenticator } from '../../../src/auth';
import { tokenCacheKey, VerifiedTokenCache } from '../../../src/auth/token-cache';
import { botAuthConfigSchema, type BotAuthConfig } from '../../../src/config/schema';
import { AppError } from '../../../src/errors';

const SECRET = 'a-shared-secret-that-is-long-enough-0123456789';
const ISSUER = 'https://bots.example.test';
const AUDIENCE = 'fsc-handoff';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

function config(overrides: Partial<BotAuthConfig> & Record<string, unknown>): BotAuthConfig {
  return botAuthConfigSchema.parse({ issuer: ISSUER, audience: AUDIENCE, ...overrides });
}

interface SignOptions {
  alg?: string;
  key?: KeyObject | Uint8Array;
  kid?: string;
  iss?: string;
  aud?: string;
  exp?: number | string;
  nbf?: number;
  sub?: string;
  noExp?: boolean;
}

async function sign(o: SignOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: o.alg ?? 'HS256', ...(o.kid ? { kid: o.kid } : {}) })
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? AUDIENCE)
    .setSubject(o.sub ?? 'penny-bot')
    .setIssuedAt(now);
  if (!o.noExp) jwt.setExpirationTime(o.exp ?? now + 300);
  if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
  return jwt.sign(o.key ?? new TextEncoder().encode(SECRET));
}

/** An unsigned token with any header and payload, for tokens no honest library would make. */
function craft(header: object, payload: object, signature = ''): string {
  const enc = (o: object) => base64url.encode(JSON.stringify(o));
  return `${enc(header)}.${enc(payload)}.${signature}`;
}

async function refusal(auth: BotAuthenticator, header: string | undefined): Promise<AppError> {
  try {
    await auth.authenticate(header);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected the token to be refused');
}

const claims = () => {
  const now = Math.floor(Date.now() / 1000);
  return { iss: ISSUER, aud: AUDIENCE, sub: 'penny-bot', iat: now, exp: now + 300 };
};

describe('bot authentication', () => {
  describe('with an HS256 shared secret', () => {
    const auth = createBotAuthenticator(config({ hs256Secret: SECRET }));

    it('accepts a token signed with the secret, for this issuer and audience', async () => {
      const principal = await auth.authenticate(`Bearer ${await sign()}`);
      expect(principal).toEqual({ subject: 'penny-bot', issuer: ISSUER, keyId: null, algorithm: 'HS256' });
    });

    it('when no Authorization header is sent, then AUTH_REQUIRED', async () => {
      expect((await refusal(auth, undefined)).code).toBe('AUTH_REQUIRED');
      expect((await refusal(auth, '   ')).code).toBe('AUTH_REQUIRED');
    });

    it.each([
      ['a Basic header', 'Basic dXNlcjpwYXNz'],
      ['a bare token without the scheme', 'eyJhbGciOiJIUzI1NiJ9.e30.abc'],
      ['garbage after Bearer', 'Bearer not a token'],
      ['a header that is not JSON', 'Bearer bm90LWpzb24.e30.abc'],
      ['an oversized token', `Bearer ${'a'.repeat(9000)}.${'b'.repeat(10)}.c`],
    ])('refuses %s', async (_name, header) => {
      const err = await refusal(auth, header);
      expect(err.status).toBe(401);
      expect(err.code).toBe('AUTH_INVALID_TOKEN');
    });

    it('refuses a token signed with another secret (forged)', async () => {
      const forged = await sign({ key: new TextEncoder().encode('another-secret-that-is-long-enough-0000') });
      expect((await refusal(auth, `Bearer ${forged}`)).code).toBe('AUTH_INVALID_TOKEN');
    });

    it('refuses a token whose payload was changed after signing', async () => {
      const [h, , s] = (await sign()).split('.');
      const tampered = `${h}.${base64url.encode(JSON.stringify({ ...claims(), sub: 'admin' }))}.${s}`;
      expect((await refusal(auth, `Bearer ${tampered}`)).code).toBe('AUTH_INVALID_TOKEN');
    });

    it.each(['none', 'None', 'NONE'])('refuses alg %s, with or without a signature', async (alg) => {
      const unsigned = craft({ alg, typ: 'JWT' }, claims());
      expect((await refusal(auth, `Bearer ${unsigned}`)).code).toBe('AUTH_INVALID_TOKEN');
      const withSig = craft({ alg }, claims(), 'c2ln');
      expect((await refusal(auth, `Bearer ${withSig}`)).code).toBe('AUTH_INVALID_TOKEN');
    });

    it('refuses the wrong audience and the wrong issuer', async () => {
      await refusal(auth, `Bearer ${await sign({ aud: 'someone-else' })}`);
      await refusal(auth, `Bearer ${await sign({ iss: 'https://evil.example.test' })}`);
    });

    it('refuses an expired token, beyond the clock tolerance', async () => {
      const now = Math.floor(Date.now() / 1000);
      await refusal(auth, `Bearer ${await sign({ exp: now - 120 })}`);
      // Within the 30 s tolerance it is still accepted.
      await expect(auth.authenticate(`Bearer ${await sign({ exp: now - 5 })}`)).resolves.toBeDefined();
    });

    it('refuses a token that is not valid yet (nbf) and one without exp', async () => {
      const now = Math.floor(Date.now() / 1000);
      await refusal(auth, `Bearer ${await sign({ nbf: now + 600 })}`);
      await refusal(auth, `Bearer ${await sign({ noExp: true })}`);
    });

    it('refuses a token that lives longer than allowed', async () => {
      const now = Math.floor(Date.now() / 1000);
      await refusal(auth, `Bearer ${await sign({ exp: now + 7 * 24 * 3600 })}`);
    });

    it('says the same thing whatever check failed', async () => {
      const now = Math.floor(Date.now() / 1000);
      const errors = await Promise.all([
        refusal(auth, `Bearer ${await sign({ aud: 'x' })}`),
        refusal(auth, `Bearer ${await sign({ exp: now - 999 })}`),
        refusal(auth, `Bearer ${craft({ alg: 'none' }, claims())}`),
      ]);
      const shapes = errors.map((e) => ({ code: e.code, message: e.message, status: e.status }));
      expect(new Set(shapes.map((s) => JSON.stringify(s))).size).toBe(1);
    });

    it('refuses an RS256 token when only a shared secret is configured', async () => {
      const token = await sign({ alg: 'RS256', key: rsa.privateKey });
      await refusal(auth, `Bearer ${token}`);
    });

    it('refuses HS256 when the configured algorithms do not allow it', async () => {
      const strict = createBotAuthenticator(config({ hs256Secret: SECRET, algorithms: ['RS256'] }));
      await refusal(strict, `Bearer ${await sign()}`);
    });
  });

  describe('with configured public keys', () => {
    it('accepts RS256 from a PEM key and ES256 from a JWK', async () => {
      const ecJwk = await exportJWK(ec.publicKey);
      const auth = createBotAuthenticator(
        config({
          publicKeys: [
            { pem: rsaPem, kid: 'rsa-1' },
            { jwk: ecJwk, kid: 'ec-1' },
          ],
        }),
      );
      const rs = await sign({ alg: 'RS256', key: rsa.privateKey, kid: 'rsa-1' });
      const es = await sign({ alg: 'ES256', key: ec.privateKey, kid: 'ec-1' });
      expect((await auth.authenticate(`Bearer ${rs}`)).algorithm).toBe('RS256');
      expect((await auth.authenticate(`Bearer ${es}`)).keyId).toBe('ec-1');
    });

    it('refuses a token signed by a key it does not know', async () => {
      const auth = createBotAuthenticator(config({ publicKeys: [{ pem: rsaPem }] }));
      const forged = await sign({ alg: 'RS256', key: otherRsa.privateKey });
      await refusal(auth, `Bearer ${forged}`);
    });

    it('refuses an ES256 token claiming to be verified by the RSA key', async () => {
      const auth = createBotAuthenticator(config({ publicKeys: [{ pem: rsaPem, kid: 'k' }] }));
      const token = await sign({ alg: 'ES256', key: ec.privateKey, kid: 'k' });
      await refusal(auth, `Bearer ${token}`);
    });

    it('never verifies an HS256 token with the RSA public key as the secret (algorithm confusion)', async () => {
      const pemAsSecret = new TextEncoder().encode(rsaPem);
      const derAsSecret = new Uint8Array(rsa.publicKey.export({ type: 'spki', format: 'der' }));
      const onlyRsa = createBotAuthenticator(config({ publicKeys: [{ pem: rsaPem, kid: 'k' }] }));
      const both = createBotAuthenticator(
        config({ publicKeys: [{ pem: rsaPem, kid: 'k' }], hs256Secret: SECRET }),
      );
      for (const key of [pemAsSecret, derAsSecret]) {
        const confused = await sign({ alg: 'HS256', key, kid: 'k' });
        await refusal(onlyRsa, `Bearer ${confused}`);
        await refusal(both, `Bearer ${confused}`);
      }
      // The honest tokens still pass on the combined configuration.
      await expect(both.authenticate(`Bearer ${await sign()}`)).resolves.toBeDefined();
      const rs = await sign({ alg: 'RS256', key: rsa.privateKey, kid: 'k' });
      await expect(both.authenticate(`Bearer ${rs}`)).resolves.toBeDefined();
    });

    it('does not guess between several keys when the token names none', async () => {
      const otherPem = otherRsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const auth = createBotAuthenticator(
        config({
          publicKeys: [
            { pem: rsaPem, kid: 'a' },
            { pem: otherPem, kid: 'b' },
          ],
        }),
      );
      await refusal(auth, `Bearer ${await sign({ alg: 'RS256', key: rsa.privateKey })}`);
      await expect(
        auth.authenticate(`Bearer ${await sign({ alg: 'RS256', key: otherRsa.privateKey, kid: 'b' })}`),
      ).resolves.toMatchObject({ keyId: 'b' });
    });
  });

  describe('with a JWKS URL', () => {
    let server: Server;
    let url: string;

    beforeAll(async () => {
      const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'jwks-1', alg: 'RS256', use: 'sig' };
      server = createServer((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [jwk] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('accepts a token signed by a key in the set and refuses others', async () => {
      const auth = createBotAuthenticator(config({ jwksUrl: url }));
      const good = await sign({ alg: 'RS256', key: rsa.privateKey, kid: 'jwks-1' });
      await expect(auth.authenticate(`Bearer ${good}`)).resolves.toMatchObject({ keyId: 'jwks-1' });
      await refusal(auth, `Bearer ${await sign({ alg: 'RS256', key: otherRsa.privateKey, kid: 'jwks-1' })}`);
      await refusal(auth, `Bearer ${await sign({ alg: 'RS256', key: otherRsa.privateKey, kid: 'nope' })}`);
    });

    it('refuses HS256 tokens: a JWKS never supplies a shared secret', async () => {
      const auth = createBotAuthenticator(config({ jwksUrl: url }));
      const pemAsSecret = new TextEncoder().encode(rsaPem);
      await refusal(auth, `Bearer ${await sign({ alg: 'HS256', key: pemAsSecret, kid: 'jwks-1' })}`);
    });
  });

  it('logs why a token was refused without logging the token', async () => {
    const lines: string[] = [];
    const auth = createBotAuthenticator(config({ hs256Secret: SECRET }), {
      debug: (message, meta) => lines.push(JSON.stringify({ message, ...meta })),
    });
    const token = await sign({ aud: 'wrong' });
    await refusal(auth, `Bearer ${token}`);
    expect(lines.join('\n')).toContain('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(lines.join('\n')).not.toContain(token.split('.')[1]);
  });
});

describe('the cache of verified tokens', () => {
  /** Only the clock is faked: jose and the cache read Date; timers, promises and I/O stay real. */
  function fakeClockAt(ms: number): void {
    jest.useFakeTimers({
      now: ms,
      doNotFake: [
        'nextTick',
        'setImmediate',
        'clearImmediate',
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'queueMicrotask',
        'hrtime',
        'performance',
      ],
    });
  }

  afterEach(() => {
    jest.useRealTimers();
  });

  function withLog(overrides: Partial<BotAuthConfig> & Record<string, unknown>, lines: string[]) {
    return createBotAuthenticator(config(overrides), {
      debug: (message, meta) => lines.push(JSON.stringify({ message, ...meta })),
    });
  }

  it('refuses a cached token once it is past exp (and the tolerance), for the same reason as uncached', async () => {
    const lines: string[] = [];
    const auth = withLog({ hs256Secret: SECRET, clockToleranceSeconds: 5 }, lines);
    const start = Date.now();
    const exp = Math.floor(start / 1000) + 60;
    const header = `Bearer ${await sign({ exp })}`;
    await expect(auth.authenticate(header)).resolves.toMatchObject({ subject: 'penny-bot' });

    fakeClockAt((exp + 4) * 1000); // past exp, within the 5 s tolerance: still accepted (from the cache)
    await expect(auth.authenticate(header)).resolves.toMatchObject({ subject: 'penny-bot' });
    fakeClockAt((exp + 5) * 1000); // exp <= now - tolerance: refused, as jose refuses it
    expect((await refusal(auth, header)).code).toBe('AUTH_INVALID_TOKEN');
    expect(lines.join('\n')).toContain('ERR_JWT_EXPIRED');
    // And it stays refused: a refusal is never cached as an acceptance.
    expect((await refusal(auth, header)).code).toBe('AUTH_INVALID_TOKEN');
  });

  it('never serves another token from the cache: a changed payload or signature is verified and refused', async () => {
    const auth = createBotAuthenticator(config({ hs256Secret: SECRET }));
    const good = await sign({ sub: 'penny-bot' });
    await expect(auth.authenticate(`Bearer ${good}`)).resolves.toMatchObject({ subject: 'penny-bot' });
    await expect(auth.authenticate(`Bearer ${good}`)).resolves.toMatchObject({ subject: 'penny-bot' });

    const [h, , s] = good.split('.');
    const tampered = `${h}.${base64url.encode(JSON.stringify({ ...claims(), sub: 'admin' }))}.${s}`;
    expect((await refusal(auth, `Bearer ${tampered}`)).code).toBe('AUTH_INVALID_TOKEN');
    const forged = await sign({ key: new TextEncoder().encode('another-secret-that-is-long-enough-0000') });
    expect((await refusal(auth, `Bearer ${forged}`)).code).toBe('AUTH_INVALID_TOKEN');

    // Two bots, two tokens: each answered as itself, every time.
    const other = await sign({ sub: 'other-bot' });
    for (let i = 0; i < 2; i += 1) {
      await expect(auth.authenticate(`Bearer ${good}`)).resolves.toMatchObject({ subject: 'penny-bot' });
      await expect(auth.authenticate(`Bearer ${other}`)).resolves.toMatchObject({ subject: 'other-bot' });
    }
  });

  it('answers a copy: changing an answer does not change the next one', async () => {
    const auth = createBotAuthenticator(config({ hs256Secret: SECRET }));
    const header = `Bearer ${await sign()}`;
    const first = await auth.authenticate(header);
    first.subject = 'changed';
    await expect(auth.authenticate(header)).resolves.toMatchObject({ subject: 'penny-bot' });
    const second = await auth.authenticate(header);
    second.subject = 'changed again';
    await expect(auth.authenticate(header)).resolves.toMatchObject({ subject: 'penny-bot' });
  });

  it('answers the same with the cache off', async () => {
    const auth = createBotAuthenticator(config({ hs256Secret: SECRET }), undefined, { tokenCacheSize: 0 });
    const header = `Bearer ${await sign()}`;
    await expect(auth.authenticate(header)).resolves.toMatchObject({ subject: 'penny-bot' });
    await expect(auth.authenticate(header)).resolves.toMatchObject({ subject: 'penny-bot' });
  });

  it('stops answering from the cache when the JWKS is fetched again, and the new set decides', async () => {
    const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rot-1', alg: 'RS256', use: 'sig' };
    let keys: object[] = [jwk];
    let fetches = 0;
    const server = createServer((_req, res) => {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      const auth = createBotAuthenticator(config({ jwksUrl: url }));
      const start = Date.now();
      const token = await sign({
        alg: 'RS256',
        key: rsa.privateKey,
        kid: 'rot-1',
        exp: Math.floor(start / 1000) + 1800,
      });
      const header = `Bearer ${token}`;
      await expect(auth.authenticate(header)).resolves.toMatchObject({ keyId: 'rot-1' });
      await expect(auth.authenticate(header)).resolves.toMatchObject({ keyId: 'rot-1' });
      await expect(auth.authenticate(header)).resolves.toMatchObject({ keyId: 'rot-1' });
      expect(fetches).toBe(1);

      // The key is rotated out; once the fetched set is stale (10 minutes), the token is verified
      // against the newly fetched set and refused, although it was cached and has not expired.
      keys = [{ ...(await exportJWK(otherRsa.publicKey)), kid: 'rot-2', alg: 'RS256', use: 'sig' }];
      fakeClockAt(start + 11 * 60 * 1000);
      expect((await refusal(auth, header)).code).toBe('AUTH_INVALID_TOKEN');
      expect(fetches).toBeGreaterThanOrEqual(2);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('VerifiedTokenCache', () => {
  const entry = (subject: string) => ({ principal: { subject }, exp: 0, keySet: null });

  it('holds at most its size, dropping the least recently used first', () => {
    const cache = new VerifiedTokenCache<{ subject: string }>(2);
    cache.set('a', entry('a'));
    cache.set('b', entry('b'));
    expect(cache.get('a')?.principal.subject).toBe('a'); // a is now the most recently used
    cache.set('c', entry('c'));
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.principal.subject).toBe('a');
    expect(cache.get('c')?.principal.subject).toBe('c');
  });

  it('stays bounded under a flood of distinct tokens', () => {
    const cache = new VerifiedTokenCache<{ subject: string }>(100);
    for (let i = 0; i < 10_000; i += 1) cache.set(tokenCacheKey(`token-${i}`), entry(String(i)));
    expect(cache.size).toBe(100);
    expect(cache.get(tokenCacheKey('token-9999'))?.principal.subject).toBe('9999');
    expect(cache.get(tokenCacheKey('token-0'))).toBeUndefined();
  });

  it('keeps nothing when its size is 0, and keys tokens by their exact text', () => {
    const off = new VerifiedTokenCache<{ subject: string }>(0);
    off.set('a', entry('a'));
    expect(off.size).toBe(0);
    expect(tokenCacheKey('abc.def.ghi')).toBe(tokenCacheKey('abc.def.ghi'));
    expect(tokenCacheKey('abc.def.ghi')).not.toBe(tokenCacheKey('abc.def.ghj'));
    expect(tokenCacheKey('abc.def.ghi')).not.toContain('abc');
  });
});
