import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config';

const privatePem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fsc-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const repoConfig = path.resolve(__dirname, '../../../config');
const policyFiles = () => ({
  'routing.json': readFileSync(path.join(repoConfig, 'routing.json'), 'utf8'),
  'policy.json': readFileSync(path.join(repoConfig, 'policy.json'), 'utf8'),
});
/** A config directory with the repository's routing and policy and no service.json. */
const emptyDir = () => dirWith(policyFiles());

const validEnv = {
  BOT_AUTH_ISSUER: 'https://bots.example.test',
  BOT_AUTH_AUDIENCE: 'fsc-handoff',
  BOT_AUTH_HS256_SECRET: 's'.repeat(40),
  SALESFORCE_CLIENT_ID: '3MVG9-client',
  SALESFORCE_USERNAME: 'integration@bank.example',
  SALESFORCE_PRIVATE_KEY: privatePem,
};

function problemsOf(fn: () => unknown): ConfigError['problems'] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('builds a frozen, typed configuration with defaults from env alone', () => {
    const config = loadConfig({ env: validEnv, configDir: emptyDir() });
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 3000, bodyLimitBytes: 2 * 1024 * 1024 });
    expect(config.salesforce).toMatchObject({ mode: 'org', apiVersion: '63.0', authFlow: 'jwt_bearer' });
    expect(config.delivery.store).toEqual({
      kind: 'sqlite',
      path: '.local/handoffs.db',
      thread: true,
      shared: false,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.salesforce)).toBe(true);
    expect(Object.isFrozen(config.delivery.retry)).toBe(true);
  });

  it('enrichment window: off by default, set by ENRICHMENT_DEDUPE_WINDOW_SECONDS, carried on the mapping', () => {
    const off = loadConfig({ env: validEnv, configDir: emptyDir() });
    expect(off.enrichment.dedupeWindowSeconds).toBe(0);
    expect(off.mapping.enrichment?.dedupeWindowSeconds).toBe(0);
    const on = loadConfig({
      env: { ...validEnv, ENRICHMENT_DEDUPE_WINDOW_SECONDS: '900' },
      configDir: emptyDir(),
    });
    expect(on.mapping.enrichment?.dedupeWindowSeconds).toBe(900);
    const twice = problemsOf(() =>
      loadConfig({
        env: validEnv,
        configDir: emptyDir(),
        overrides: { mapping: { enrichment: { dedupeWindowSeconds: 5 } } },
      }),
    );
    expect(twice.map((p) => p.path)).toEqual(['mapping.enrichment']);
  });

  it('lists every problem at once, each with the variable to set', () => {
    const problems = problemsOf(() =>
      loadConfig({ env: { PORT: 'eighty', SALESFORCE_MODE: 'org' }, configDir: emptyDir() }),
    );
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    expect(byPath['server.port']?.env).toBe('PORT');
    expect(byPath['botAuth.issuer']?.env).toBe('BOT_AUTH_ISSUER');
    expect(byPath['botAuth.audience']?.env).toBe('BOT_AUTH_AUDIENCE');
    expect(byPath['botAuth.keys']?.env).toContain('BOT_AUTH_HS256_SECRET');
    expect(byPath['salesforce.clientId']).toMatchObject({
      env: 'SALESFORCE_CLIENT_ID',
      message: 'is required when mode=org',
    });
    expect(byPath['salesforce.privateKey']?.env).toContain('SALESFORCE_CLIENT_SECRET');
  });

  it('renders a message that says what to set', () => {
    try {
      loadConfig({ env: { ...validEnv, SALESFORCE_CLIENT_ID: '' }, configDir: emptyDir() });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as Error).message).toContain(
        'SALESFORCE_CLIENT_ID (salesforce.clientId) is required when mode=org',
      );
    }
  });

  it('requires https against a real org but allows http against the emulator', () => {
    const env = { ...validEnv, SALESFORCE_LOGIN_URL: 'http://127.0.0.1:4010' };
    expect(problemsOf(() => loadConfig({ env, configDir: emptyDir() }))).toEqual([
      expect.objectContaining({ path: 'salesforce.loginUrl', env: 'SALESFORCE_LOGIN_URL' }),
    ]);
    const emu = loadConfig({ env: { ...env, SALESFORCE_MODE: 'emulator' }, configDir: emptyDir() });
    expect(emu.salesforce.loginUrl).toBe('http://127.0.0.1:4010');
  });

  it('chooses client credentials from a client secret and refuses both credentials at once', () => {
    const { SALESFORCE_PRIVATE_KEY: _k, SALESFORCE_USERNAME: _u, ...rest } = validEnv;
    const cc = loadConfig({ env: { ...rest, SALESFORCE_CLIENT_SECRET: 'shh' }, configDir: emptyDir() });
    expect(cc.salesforce.authFlow).toBe('client_credentials');
    const both = problemsOf(() =>
      loadConfig({ env: { ...validEnv, SALESFORCE_CLIENT_SECRET: 'shh' }, configDir: emptyDir() }),
    );
    expect(both.map((p) => p.path)).toEqual(['salesforce.clientSecret']);
  });

  it('reads the private key from SALESFORCE_PRIVATE_KEY_FILE and says when it cannot', () => {
    const dir = dirWith({ 'key.pem': privatePem });
    const { SALESFORCE_PRIVATE_KEY: _k, ...rest } = validEnv;
    const config = loadConfig({
      env: { ...rest, SALESFORCE_PRIVATE_KEY_FILE: path.join(dir, 'key.pem') },
      configDir: emptyDir(),
    });
    expect(config.salesforce.privateKey).toContain('BEGIN PRIVATE KEY');
    const problems = problemsOf(() =>
      loadConfig({
        env: { ...rest, SALESFORCE_PRIVATE_KEY_FILE: path.join(dir, 'missing.pem') },
        configDir: emptyDir(),
      }),
    );
    expect(problems[0]).toMatchObject({
      path: 'salesforce.privateKeyFile',
      env: 'SALESFORCE_PRIVATE_KEY_FILE',
    });
  });

  it('never echoes a secret in a problem', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          ...validEnv,
          SALESFORCE_PRIVATE_KEY: 'hunter2-not-a-pem',
          BOT_AUTH_HS256_SECRET: 'short-secret',
        },
        configDir: emptyDir(),
      }),
    );
    const text = JSON.stringify(problems);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('short-secret');
    expect(problems.map((p) => p.env)).toEqual(
      expect.arrayContaining(['SALESFORCE_PRIVATE_KEY', 'BOT_AUTH_HS256_SECRET']),
    );
  });

  it('layers config files under env, and env under overrides', () => {
    const dir = dirWith({
      ...policyFiles(),
      'service.json': JSON.stringify({ server: { port: 4000, host: '0.0.0.0' }, logging: { level: 'warn' } }),
    });
    const config = loadConfig({
      env: { ...validEnv, PORT: '5000' },
      configDir: dir,
      overrides: { logging: { level: 'debug' } },
    });
    expect(config.server).toMatchObject({ port: 5000, host: '0.0.0.0' });
    expect(config.logging.level).toBe('debug');
  });

  it('reports unknown keys and unreadable files instead of ignoring them', () => {
    const dir = dirWith({ 'service.json': JSON.stringify({ server: { prot: 1 } }), 'policy.json': '{ nope' });
    const problems = problemsOf(() => loadConfig({ env: validEnv, configDir: dir }));
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['server.prot', 'policy.json']));
  });

  it('parses HANDOFF_STORE_URL into the delivery store and bot keys from PEM or JWKS text', () => {
    const pub = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = pub.publicKey.export({ format: 'jwk' });
    const pg = loadConfig({
      env: {
        ...validEnv,
        HANDOFF_STORE_URL: 'postgres://u:p@db.internal:5432/handoffs',
        BOT_AUTH_PUBLIC_KEYS: JSON.stringify({ keys: [{ ...jwk, kid: 'k1' }] }),
        BOT_AUTH_AUDIENCE: 'a,b',
      },
      configDir: emptyDir(),
    });
    expect(pg.delivery.store).toMatchObject({
      kind: 'postgres',
      connectionString: 'postgres://u:p@db.internal:5432/handoffs',
    });
    expect(pg.botAuth.publicKeys[0]?.kid).toBe('k1');
    expect(pg.botAuth.audience).toEqual(['a', 'b']);
    const lite = loadConfig({
      env: { ...validEnv, HANDOFF_STORE_URL: 'sqlite:/var/lib/fsc/h.db' },
      configDir: emptyDir(),
    });
    expect(lite.delivery.store).toEqual({
      kind: 'sqlite',
      path: '/var/lib/fsc/h.db',
      thread: true,
      shared: false,
    });
    const bad = problemsOf(() =>
      loadConfig({ env: { ...validEnv, BOT_AUTH_PUBLIC_KEYS: 'not a key' }, configDir: emptyDir() }),
    );
    expect(bad[0]).toMatchObject({ path: 'botAuth.publicKeys.0', env: 'BOT_AUTH_PUBLIC_KEYS' });
  });

  it('HANDOFF_STORE_SHARED lets several processes accept into one SQLite file, and is refused for PostgreSQL', () => {
    const shared = loadConfig({ env: { ...validEnv, HANDOFF_STORE_SHARED: 'true' }, configDir: emptyDir() });
    expect(shared.delivery.store).toMatchObject({ kind: 'sqlite', shared: true });
    const pg = problemsOf(() =>
      loadConfig({
        env: { ...validEnv, HANDOFF_STORE_URL: 'postgres://db.internal/h', HANDOFF_STORE_SHARED: 'true' },
        configDir: emptyDir(),
      }),
    );
    expect(pg).toEqual([expect.objectContaining({ env: 'HANDOFF_STORE_SHARED' })]);
  });

  it('HANDOFF_STORE_THREAD puts the SQLite store on the request thread, and is refused for PostgreSQL', () => {
    const alone = loadConfig({ env: { ...validEnv, HANDOFF_STORE_THREAD: 'false' }, configDir: emptyDir() });
    expect(alone.delivery.store).toMatchObject({ kind: 'sqlite', path: '.local/handoffs.db', thread: false });
    const withPath = loadConfig({
      env: { ...validEnv, HANDOFF_STORE_URL: '/var/lib/fsc/h.db', HANDOFF_STORE_THREAD: 'no' },
      configDir: emptyDir(),
    });
    expect(withPath.delivery.store).toMatchObject({
      kind: 'sqlite',
      path: '/var/lib/fsc/h.db',
      thread: false,
    });
    const pg = problemsOf(() =>
      loadConfig({
        env: { ...validEnv, HANDOFF_STORE_URL: 'postgres://db.internal/h', HANDOFF_STORE_THREAD: 'false' },
        configDir: emptyDir(),
      }),
    );
    expect(pg).toEqual([expect.objectContaining({ env: 'HANDOFF_STORE_THREAD' })]);
    const notBool = problemsOf(() =>
      loadConfig({ env: { ...validEnv, HANDOFF_STORE_THREAD: 'sometimes' }, configDir: emptyDir() }),
    );
    expect(notBool).toEqual([
      expect.objectContaining({ path: 'delivery.store.thread', env: 'HANDOFF_STORE_THREAD' }),
    ]);
  });

  it('reads platform webhook tokens for the adapters, and refuses short ones naming the variable', () => {
    const config = loadConfig({
      env: { ...validEnv, RASA_WEBHOOK_TOKENS: 'rasa-token-0123456789,rasa-token-abcdefghij' },
      configDir: emptyDir(),
    });
    expect(config.adapterAuth.rasa?.tokens).toEqual(['rasa-token-0123456789', 'rasa-token-abcdefghij']);
    expect(config.adapterAuth.lexV2).toBeUndefined();
    const problems = problemsOf(() =>
      loadConfig({ env: { ...validEnv, LEX_V2_WEBHOOK_TOKENS: 'short' }, configDir: emptyDir() }),
    );
    expect(problems[0]).toMatchObject({ env: 'LEX_V2_WEBHOOK_TOKENS' });
    expect(JSON.stringify(problems)).not.toContain('short"');
  });

  it('names CONFIG_DIR once when routing.json or policy.json is missing', () => {
    const problems = problemsOf(() => loadConfig({ env: validEnv, configDir: dirWith({}) }));
    expect(problems).toEqual([
      expect.objectContaining({ path: 'routing.json', env: 'CONFIG_DIR' }),
      expect.objectContaining({ path: 'policy.json', env: 'CONFIG_DIR' }),
    ]);
  });

  it('accepts the repository defaults in config/', () => {
    expect(() =>
      loadConfig({ env: validEnv, configDir: path.resolve(__dirname, '../../../config') }),
    ).not.toThrow();
  });
});
