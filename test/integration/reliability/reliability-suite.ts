/**
 * The reliability suite, run per store by reliability-sqlite*.test.ts and reliability-postgres.test.ts
 * (separate files, so jest runs them in parallel).
 *
 * Never lose a handoff, never write one twice. Drives a few hundred (CI) or a few thousand
 * (`npm run test:reliability`) handoffs over HTTP through the full service — instances as child
 * processes (test/integration/reliability/instance.ts: src/main.ts startService) sharing one store,
 * against the local org emulator — while the emulator injects error storms (UNABLE_TO_LOCK_ROW, 503,
 * REQUEST_LIMIT_EXCEEDED, writes that commit and then lose their answer), a full outage window and
 * session expiry, and while one instance is SIGKILLed mid-delivery and replaced (two instances share
 * the store throughout, except a SQLite file one instance owns alone: then one at a time). Afterwards every
 * accepted handoff is in the org exactly once: one Case, one Bot_Handoff__c, one PendingServiceRouting.
 *
 * Runs on SQLite (one file, owned by one process at a time or shared) and on PostgreSQL (a schema per run).
 *   RELIABILITY_SIZE=full            → 3000 handoffs (RELIABILITY_HANDOFFS overrides the count)
 *   TEST_DATABASE_URL                → PostgreSQL (default postgres://postgres@127.0.0.1:5432/test)
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { openHandoffStore, PostgresHandoffStore } from '../../../src/delivery';
import type { DeliveryConfigInput, HandoffStore, StoreConfig } from '../../../src/delivery';
import { createEmulator } from '../../../src/emulator/index';
import type { Emulator } from '../../../src/emulator/index';
import { handoff } from '../../support/handoff-factory';
import { prepared } from '../../unit/delivery/fixtures';

const BOT_SECRET = 'reliability-bot-secret-0123456789abcdef';
const BOT_ISSUER = 'fsc-handoff-reliability';
const BOT_AUDIENCE = 'fsc-handoff';

const FULL = process.env.RELIABILITY_SIZE === 'full';
const N = Number(process.env.RELIABILITY_HANDOFFS ?? (FULL ? 3000 : 240));
const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const INSTANCE = path.join(__dirname, 'instance.ts');

jest.setTimeout(FULL ? 30 * 60_000 : 180_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Instance {
  name: string;
  child: ChildProcess;
  url: string;
  workerId: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

const running = new Set<Instance>();

async function startInstance(name: string, store: StoreConfig, emu: Emulator): Promise<Instance> {
  const jwt = emu.jwt();
  if (!jwt) throw new Error('the emulator seed has no JWT connected app');
  const delivery: DeliveryConfigInput = {
    store,
    workerId: name,
    latencyBudgetMs: 300,
    gatherWindowMs: 3,
    pollIntervalMs: 100,
    concurrency: 3,
    leaseMs: 3_000,
    retry: {
      baseDelayMs: 50,
      maxDelayMs: 800,
      rateLimitedDelayMs: 300,
      maxAttempts: 10_000,
      maxAgeMs: 3_600_000,
    },
    breaker: { failureThreshold: 4, cooldownMs: 300, maxCooldownMs: 1_500 },
    agentPoll: { enabled: false },
    shutdownTimeoutMs: 5_000,
  };
  const overrides = {
    server: { host: '127.0.0.1', port: 0 },
    salesforce: {
      mode: 'emulator',
      loginUrl: jwt.loginUrl,
      audience: jwt.audience,
      clientId: jwt.clientId,
      username: jwt.username,
      privateKey: jwt.privateKeyPem,
    },
    botAuth: { issuer: BOT_ISSUER, audience: BOT_AUDIENCE, hs256Secret: BOT_SECRET },
    delivery,
    logging: { level: 'error' },
  };
  const child = spawn(process.execPath, ['--import', 'tsx', INSTANCE], {
    env: { PATH: process.env.PATH ?? '', RELIABILITY_INSTANCE: JSON.stringify(overrides) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const [url, workerId] = await new Promise<[string, string]>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^ready (\S+) (\S+)$/m.exec(out);
      if (m) resolve([m[1]!, m[2]!]);
    });
    void exit.then(({ code, signal }) => reject(new Error(`${name} exited (${code ?? signal}): ${err}`)));
  });
  const inst: Instance = { name, child, url, workerId, exit, stderr: () => err };
  running.add(inst);
  void exit.then(() => running.delete(inst));
  return inst;
}

async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(async (i) => {
      i.child.kill('SIGTERM');
      const t = setTimeout(() => i.child.kill('SIGKILL'), 10_000);
      await i.exit;
      clearTimeout(t);
    }),
  );
}

async function until(what: string, cond: () => Promise<boolean>, limitMs: number): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    for (const i of running) if (i.child.exitCode !== null) throw new Error(`${i.name} died: ${i.stderr()}`);
    await sleep(100);
  }
}

async function acceptMany(store: HandoffStore, n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = prepared({ handoffId: `ho-rel-${tag}-${String(i).padStart(5, '0')}` });
    const r = await store.accept(p, Date.now());
    expect(r.kind).toBe('accepted');
    ids.push(p.handoffId);
  }
  return ids;
}

const botToken = () =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(BOT_ISSUER)
    .setAudience(BOT_AUDIENCE)
    .setSubject('reliability-bot')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(BOT_SECRET));

/**
 * POSTs one handoff like a bot would: to a live instance, and on a network error or a 5xx again (same
 * handoffId, same body) to the next one. Resolves with the final status (200/201/202).
 */
async function submitLikeABot(body: unknown, token: string, turn: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const live = [...running].filter((i) => i.child.exitCode === null && i.child.signalCode === null);
    const target = live[(turn + attempt) % Math.max(1, live.length)];
    if (target) {
      try {
        const res = await fetch(`${target.url}/v1/handoffs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        await res.arrayBuffer();
        if (res.status < 500) return res.status;
      } catch {
        // the instance died under us: try another
      }
    }
    await sleep(100);
  }
  throw new Error('no instance accepted the handoff');
}

/** Submits n handoffs over HTTP, `parallel` at a time; returns the ids and how they were answered. */
async function submitMany(
  n: number,
  tag: string,
  parallel = 16,
): Promise<{ ids: string[]; statuses: number[] }> {
  const token = await botToken();
  const ids = Array.from({ length: n }, (_, i) => `ho-rel-${tag}-${String(i).padStart(5, '0')}`);
  const statuses: number[] = new Array<number>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        const i = next++;
        statuses[i] = await submitLikeABot(handoff({ handoffId: ids[i]! }), token, i);
      }
    }),
  );
  return { ids, statuses };
}

/** How many times each value occurs. */
function tally(values: unknown[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(String(v), (m.get(String(v)) ?? 0) + 1);
  return m;
}

/** Every id in the org exactly once: Case, Bot_Handoff__c and one PSR per case. */
async function expectExactlyOnce(emu: Emulator, store: HandoffStore, ids: string[]): Promise<void> {
  const cases = tally(emu.records('Case').map((r) => r.Handoff_Id__c));
  const handoffs = tally(emu.records('Bot_Handoff__c').map((r) => r.Handoff_Id__c));
  const psrs = tally(emu.records('PendingServiceRouting').map((r) => String(r.WorkItemId).slice(0, 15)));
  const wrong: string[] = [];
  for (const id of ids) {
    const rec = await store.get(id);
    if (rec?.state !== 'routed') wrong.push(`${id}: state ${rec?.state}`);
    if (cases.get(id) !== 1) wrong.push(`${id}: ${cases.get(id) ?? 0} cases`);
    if (handoffs.get(id) !== 1) wrong.push(`${id}: ${handoffs.get(id) ?? 0} handoff records`);
    const caseId = rec?.caseId?.slice(0, 15) ?? '';
    const expectedPsrs = rec?.routing.mode === 'skills_based' ? 1 : 0;
    if ((psrs.get(caseId) ?? 0) !== expectedPsrs)
      wrong.push(`${id}: ${psrs.get(caseId) ?? 0} routing requests`);
  }
  expect(wrong.slice(0, 20)).toEqual([]);
  expect(cases.size).toBe(ids.length);
}

export type StoreFactory = () => { config: StoreConfig; drop: () => Promise<void> };

/**
 * SQLite on a thread of its own (the default), or with `thread: false` on the test's own thread;
 * owned by one instance at a time (the default: handoffs are sent while their accept commits), or
 * `shared` by two at once.
 */
export const sqliteStoreOn =
  (thread: boolean, shared = false): StoreFactory =>
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsc-reliability-'));
    return {
      config: { kind: 'sqlite', path: path.join(dir, 'handoffs.db'), thread, shared },
      drop: () => Promise.resolve(fs.rmSync(dir, { recursive: true, force: true })),
    };
  };

export const sqliteStore: StoreFactory = sqliteStoreOn(true);

export const postgresStore: StoreFactory = () => {
  const schema = `t_rel_${process.pid}_${randomBytes(4).toString('hex')}`;
  const config: StoreConfig = { kind: 'postgres', connectionString: DATABASE_URL, schema, poolSize: 5 };
  return {
    config,
    drop: async () => {
      const s = new PostgresHandoffStore({ connectionString: DATABASE_URL, schema });
      await s.dropSchema();
      await s.close();
    },
  };
};

export function describeReliability(name: string, makeStore: StoreFactory): void {
  describe(`reliability on ${name}`, () => {
    let emu: Emulator;
    let store: HandoffStore;
    let storeCfg: ReturnType<typeof makeStore>;

    beforeEach(async () => {
      emu = createEmulator({ randomSeed: 7, omni: { autoRoute: false, tickIntervalMs: 0 } });
      await emu.start(0);
      storeCfg = makeStore();
      store = await openHandoffStore(storeCfg.config);
    });

    afterEach(async () => {
      await stopAll();
      await store.close();
      await storeCfg.drop();
      await emu.stop();
    });

    /** Two instances at once, unless the store is a SQLite file one instance owns alone. */
    const together = () => storeCfg.config.kind === 'postgres' || storeCfg.config.shared;

    it(`delivers ${N} handoffs exactly once through error storms, an outage, session expiry and a SIGKILL`, async () => {
      const third = Math.ceil(N / 3);
      const a = await startInstance('A', storeCfg.config, emu);
      const b = together() ? await startInstance('B', storeCfg.config, emu) : null;
      const routed = async () => (await store.stats(Date.now())).counts.routed;

      // 1. an error storm: lock contention, 503s, the API limit, and writes whose answer is lost
      emu.setFaults({
        errorRates: { unableToLockRow: 0.15, serviceUnavailable: 0.1, requestLimitExceeded: 0.03 },
        commitThenFail: { rate: 0.08, mode: '503' },
      });
      const statuses: number[] = [];
      const submit = async (n: number, tag: string) => {
        const r = await submitMany(n, tag);
        statuses.push(...r.statuses);
        return r.ids;
      };
      const ids = await submit(third, 'storm');
      await until('progress through the storm', async () => (await routed()) >= third / 3, 60_000);

      // 2. a full outage window
      emu.setFaults({ outage: 1_500 });
      ids.push(...(await submit(third, 'outage')));
      await sleep(1_600);

      // 3. sessions expire, connections drop after commit, calls are slow — and instance A is killed
      emu.setFaults({
        expireSessions: true,
        latencyMs: 40,
        jitterMs: 80,
        errorRates: { unableToLockRow: 0.1, serviceUnavailable: 0.05, requestLimitExceeded: 0 },
        commitThenFail: { rate: 0.05, mode: 'drop' },
      });
      const lastWave = submit(N - 2 * third, 'kill');
      await until(
        'A to hold claims mid-delivery',
        async () =>
          (await store.listByState('delivering', { limit: 1000 })).some((r) => r.claimedBy === a.workerId),
        60_000,
      );
      a.child.kill('SIGKILL');
      expect((await a.exit).signal).toBe('SIGKILL');
      const c = await startInstance('C', storeCfg.config, emu); // the restart
      ids.push(...(await lastWave));
      // every handoff was answered 201 (delivered in the budget), 202 (pending) or 200 (a retried POST)
      expect(statuses.filter((st) => ![200, 201, 202].includes(st))).toEqual([]);
      expect(statuses).toHaveLength(N);

      // 4. the storm passes; everything must arrive
      await until('half delivered', async () => (await routed()) >= N / 2, FULL ? 600_000 : 90_000);
      emu.clearFaults();
      await until('all delivered', async () => (await routed()) === N, FULL ? 900_000 : 90_000);

      const stats = await store.stats(Date.now());
      expect(stats.counts).toMatchObject({
        routed: N,
        dead_lettered: 0,
        failed: 0,
        delivering: 0,
        accepted: 0,
      });
      await expectExactlyOnce(emu, store, ids);
      // the faults really happened: many handoffs needed more than one attempt
      let retried = 0;
      for (const id of ids) if (((await store.get(id))?.attempts ?? 0) > 1) retried += 1;
      expect(retried).toBeGreaterThan(N / 10);
      expect(running.has(c) && (b === null || running.has(b))).toBe(true);
    });

    it('the instances drain a backlog without a single duplicate', async () => {
      const ids = await acceptMany(store, FULL ? Math.min(N, 1_000) : 150, 'backlog');
      await startInstance('P', storeCfg.config, emu);
      if (together()) await startInstance('Q', storeCfg.config, emu);
      await until(
        'backlog delivered',
        async () => (await store.stats(Date.now())).counts.routed === ids.length,
        FULL ? 900_000 : 90_000,
      );
      await expectExactlyOnce(emu, store, ids);
    });
  });
}
