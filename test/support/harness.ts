/**
 * Starts the local org emulator and the real service against it, both on port 0, for integration
 * tests: the same composition as `npm run dev` (src/main.ts startService), with the store in memory
 * and every log line captured. Read records back with `harness.connection()` (jsforce).
 *
 *   const h = await startHarness();
 *   const res = await h.post(handoff());
 *   const [c] = await h.connection().query('SELECT Id FROM Case').then((r) => r.records);
 *   await h.close();
 */
import { Writable } from 'node:stream';
import { Connection } from 'jsforce';
import { SignJWT } from 'jose';
import { emulatorSalesforceSettings, loadConfig } from '../../src/config';
import type { ServiceConfig } from '../../src/config/schema';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator';
import { createLogger } from '../../src/log';
import { startService, type RunningService } from '../../src/main';

export const HARNESS_SECRET = 'integration-harness-secret-0123456789abcdef';
export const HARNESS_ISSUER = 'fsc-handoff-harness';
export const HARNESS_AUDIENCE = 'fsc-handoff';

export interface HarnessOptions {
  /** Emulator options (seed, faults, omni timings); the default seed and fast Omni otherwise. */
  emulator?: EmulatorOptions;
  /** Configuration overrides applied last (e.g. { delivery: { latencyBudgetMs: 0 } }). */
  config?: Record<string, unknown>;
  /** Log level of the captured service logs (default 'debug', so tests see every line). */
  logLevel?: ServiceConfig['logging']['level'];
}

export interface Harness {
  emulator: Emulator;
  service: RunningService;
  config: Readonly<ServiceConfig>;
  /** The service, e.g. http://127.0.0.1:54321 */
  baseUrl: string;
  emulatorUrl: string;
  /** A valid bot token (HS256, 10 min). */
  token: string;
  tokenFor(claims?: { sub?: string; aud?: string; iss?: string; expiresIn?: string }): Promise<string>;
  /** POST /v1/handoffs with the bot token (JSON body, or raw text when a string is given). */
  post(body: unknown, init?: { headers?: Record<string, string> }): Promise<Response>;
  /** GET a service path with the bot token. */
  get(path: string): Promise<Response>;
  /** A jsforce connection to the emulated org, as the integration user. */
  connection(): Connection;
  /** Calls the emulator has counted, by kind (composite/graph, query, oauth, …, total). */
  calls(): Record<string, number>;
  /** Every service log line so far (JSON text). */
  logs: string[];
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const emulator = createEmulator({
    omni: { acceptDelayMs: 50, tickIntervalMs: 100 },
    ...options.emulator,
  });
  const emulatorUrl = await emulator.start(0);
  const creds = emulator.jwt();
  if (!creds) throw new Error('the emulator seed has no JWT connected app');

  const logs: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  let service: RunningService | undefined;
  try {
    const config = loadConfig({
      env: {},
      overrides: deepMerge(
        {
          server: { host: '127.0.0.1', port: 0 },
          salesforce: emulatorSalesforceSettings(creds),
          botAuth: { issuer: HARNESS_ISSUER, audience: HARNESS_AUDIENCE, hs256Secret: HARNESS_SECRET },
          delivery: {
            store: { kind: 'sqlite', path: ':memory:' },
            latencyBudgetMs: 5000,
            agentPoll: { enabled: true, intervalMs: 200 },
          },
          logging: { level: options.logLevel ?? 'debug' },
        },
        options.config ?? {},
      ),
    });
    service = await startService(config, {
      logger: createLogger({ level: config.logging.level, stream }),
    });
    const running = service;
    const tokenFor: Harness['tokenFor'] = (claims = {}) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(claims.iss ?? HARNESS_ISSUER)
        .setAudience(claims.aud ?? HARNESS_AUDIENCE)
        .setSubject(claims.sub ?? 'harness-bot')
        .setIssuedAt()
        .setExpirationTime(claims.expiresIn ?? '10m')
        .sign(new TextEncoder().encode(HARNESS_SECRET));
    const token = await tokenFor();
    let conn: Connection | undefined;

    return {
      emulator,
      service: running,
      config,
      baseUrl: running.url,
      emulatorUrl,
      token,
      tokenFor,
      post: (body, init = {}) =>
        fetch(`${running.url}/v1/handoffs`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      get: (path) => fetch(`${running.url}${path}`, { headers: { Authorization: `Bearer ${token}` } }),
      connection: () => {
        if (!conn) {
          const t = emulator.token(creds.username);
          conn = new Connection({
            instanceUrl: t.instance_url,
            accessToken: t.access_token,
            version: '63.0',
          });
        }
        return conn;
      },
      calls: () => emulator.calls(),
      logs,
      close: async () => {
        await running.close();
        await emulator.stop();
      },
    };
  } catch (err) {
    await service?.close();
    await emulator.stop();
    throw err;
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    out[k] = isObject(prev) && isObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

/** Polls until check() returns a value (not undefined/null/false) or the time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  { timeoutMs = 10_000, intervalMs = 100 } = {},
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
