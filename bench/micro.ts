/**
 * `npm run bench -- --micro`: the CPU cost of each step of the request path, in-process, one at a
 * time (µs per operation), so a slow step can be named with a number. Runs the service's own modules
 * on the bench's handoff; the store steps use a temporary SQLite file on the same disk as the real one.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { createBotAuthenticator } from '../src/auth';
import { botAuthConfigSchema } from '../src/config/schema';
import type { Handoff } from '../src/contract/handoff';
import type { PreparedHandoff } from '../src/contract/prepared';
import { SqliteHandoffStore } from '../src/delivery/store/sqlite-store';
import { defaultMapping, planHandoffGraph, type ResolvedIds } from '../src/plan';
import {
  buildSummary,
  conversationStateFromHandoff,
  decideRouting,
  evaluateEscalation,
  policyConfigSchema,
  routingConfigSchema,
} from '../src/policy';
import { redactHandoff } from '../src/redact';
import { bodyHash, canonicalJson, validateHandoff } from '../src/service/validate';
import { BodyFactory } from './lib/payload';
import { distribution } from './lib/stats';
import { renderGrid } from './lib/table';
import { createBotAuth } from './lib/tokens';

const REPO = resolve(__dirname, '..');

interface StepResult {
  step: string;
  n: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  note: string;
}

async function measure(
  step: string,
  n: number,
  fn: (i: number) => unknown,
  note = '',
  warm = Math.min(200, n),
): Promise<StepResult> {
  for (let i = 0; i < warm; i++) await fn(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push((performance.now() - t0) * 1000);
  }
  const d = distribution(samples);
  return { step, n, meanUs: d.mean, p50Us: d.p50, p99Us: d.p99, note };
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(join(REPO, 'config', file), 'utf8')) as unknown;
}

function fakeId(prefix: string, i: number): string {
  return `${prefix}${String(i).padStart(12, '0')}AAA`;
}

export async function runMicro(): Promise<void> {
  const results: StepResult[] = [];
  const factory = new BodyFactory('micro-', ['CUST-100001']);
  const body = factory.body(factory.nextId());
  const raw = JSON.parse(body) as unknown;
  console.log(
    `Micro-benchmark of the request path on ${os.cpus().length} cores; handoff body ${body.length} bytes.`,
  );

  results.push(await measure('JSON.parse of the body', 5000, () => JSON.parse(body)));
  results.push(await measure('validateHandoff (raw checks + zod)', 3000, () => validateHandoff(raw)));
  const h: Handoff = validateHandoff(raw);

  const policy = policyConfigSchema.parse(readJson('policy.json'));
  const routing = routingConfigSchema.parse(readJson('routing.json'));
  const at = new Date();
  results.push(
    await measure('evaluateEscalation + decideRouting', 3000, () => {
      const e = evaluateEscalation(conversationStateFromHandoff(h), policy, at);
      return decideRouting(h, e, routing);
    }),
  );
  results.push(await measure('buildSummary', 3000, () => buildSummary(h)));
  results.push(await measure('redactHandoff', 3000, () => redactHandoff(h)));
  results.push(await measure('canonicalJson', 3000, () => canonicalJson(h)));
  results.push(await measure('bodyHash (canonicalJson + SHA-256)', 3000, () => bodyHash(h)));
  results.push(
    await measure('JSON.stringify + SHA-256 (for comparison)', 3000, () =>
      createHash('sha256').update(JSON.stringify(h)).digest('hex'),
    ),
  );

  const evaluation = evaluateEscalation(conversationStateFromHandoff(h), policy, at);
  const decision = decideRouting(h, evaluation, routing);
  const prepared = (id: string): PreparedHandoff => ({
    handoffId: id,
    bodyHash: bodyHash(h),
    receivedAt: at.toISOString(),
    handoff: { ...redactHandoff(h).handoff, handoffId: id },
    decision,
    evaluation,
    redactions: [],
  });

  // JWT: RS256, verified by the service's authenticator with the bench's public key.
  const bot = await createBotAuth(1);
  const auth = createBotAuthenticator(
    botAuthConfigSchema.parse({
      issuer: bot.issuer,
      audience: bot.audience,
      publicKeys: [{ pem: bot.publicKeyPem }],
    }),
  );
  const header = bot.next();
  results.push(await measure('bot JWT verify (RS256, jose)', 2000, () => auth.authenticate(header)));

  // Plan and serialise: one graph, and a full composite payload.
  const seed = readJson('emulator-seed.json') as {
    skills?: { developerName: string }[];
    queues?: { developerName: string }[];
  };
  const ids: ResolvedIds = {
    serviceChannelId: fakeId('0N9', 1),
    skills: Object.fromEntries((seed.skills ?? []).map((s, i) => [s.developerName, fakeId('0C5', i)])),
    queues: Object.fromEntries((seed.queues ?? []).map((q, i) => [q.developerName, fakeId('00G', i)])),
  };
  const mapping = defaultMapping();
  const p0 = prepared('micro-plan-000001');
  results.push(
    await measure('planHandoffGraph (one handoff)', 3000, () =>
      planHandoffGraph({ prepared: p0, ids, mapping, apiVersion: '63.0', graphId: 'g1' }),
    ),
  );
  const graph = planHandoffGraph({ prepared: p0, ids, mapping, apiVersion: '63.0', graphId: 'g1' });
  const perCall = Math.max(1, Math.min(75, Math.floor(500 / graph.compositeRequest.length)));
  const graphs = Array.from({ length: perCall }, (_v, i) => ({ ...graph, graphId: `g${i}` }));
  results.push(
    await measure(
      `JSON.stringify of a ${perCall}-graph composite body`,
      500,
      () => JSON.stringify({ graphs }),
      `${graph.compositeRequest.length} nodes per graph`,
    ),
  );

  // The store, as the service uses it (synchronous = FULL), on a temp file on this disk.
  const dir = mkdtempSync(join(os.tmpdir(), 'fsc-bench-micro-'));
  try {
    const store = new SqliteHandoffStore({ path: join(dir, 'store.db') });
    await store.migrate();
    let k = 0;
    results.push(
      await measure(
        'store.accept (SqliteHandoffStore, FULL)',
        400,
        () => store.accept(prepared(`micro-acc-${k++}`), Date.now()),
        'blocks the event loop',
        20,
      ),
    );
    const claimed = await store.claimBatch('micro', 75, 60_000, Date.now());
    let c = 0;
    results.push(
      await measure(
        'store.markDelivered (per handoff)',
        Math.min(60, claimed.length),
        () => {
          const r = claimed[c++];
          if (!r) return undefined;
          return store.markDelivered(
            r.handoffId,
            'micro',
            {
              kind: 'delivered',
              handoffId: r.handoffId,
              caseId: fakeId('500', c),
              caseNumber: '00001000',
              handoffRecordId: fakeId('a01', c),
              enrichedExistingCase: false,
              salesforceApiCalls: 1,
            },
            Date.now(),
          );
        },
        'one commit each',
        0,
      ),
    );
    results.push(
      await measure(
        'store.claimBatch (up to 75)',
        20,
        () => store.claimBatch('micro2', 75, 60_000, Date.now()),
        '',
        0,
      ),
    );

    // The same row written the ways the store could write it.
    const db = new Database(join(dir, 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT NOT NULL)');
    const row = JSON.stringify(prepared('micro-raw'));
    let r = 0;
    db.pragma('synchronous = FULL');
    results.push(
      await measure(
        'raw INSERT, own commit, FULL, prepare() each time',
        300,
        () => db.prepare('INSERT INTO t VALUES (?, ?)').run(`a${r++}`, row),
        '',
        10,
      ),
    );
    const ins = db.prepare('INSERT INTO t VALUES (?, ?)');
    const group = db.transaction((n: number) => {
      for (let i = 0; i < n; i++) ins.run(`g${r++}`, row);
    });
    results.push(
      await measure('raw INSERT ×20 in one commit, FULL (per batch)', 50, () => group(20), 'group commit', 5),
    );
    db.pragma('synchronous = NORMAL');
    results.push(
      await measure(
        'raw INSERT, own commit, NORMAL',
        300,
        () => ins.run(`n${r++}`, row),
        'not durable on power loss',
        10,
      ),
    );
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(
    renderGrid(
      ['step', 'n', 'mean µs', 'p50 µs', 'p99 µs', 'note'],
      results.map((s) => [
        s.step,
        String(s.n),
        s.meanUs.toFixed(1),
        s.p50Us.toFixed(1),
        s.p99Us.toFixed(1),
        s.note,
      ]),
      ['left', 'right', 'right', 'right', 'right', 'left'],
    ),
  );
}
