/**
 * npm run bench: what coalescing buys against Salesforce's API budget, and what the service adds.
 *
 * For each scenario a fresh org emulator (child process, per-call latency standing for a real org's
 * round trip) and a fresh service (child process, compiled, embedded SQLite store in a temp dir) are
 * started; autocannon drives the service over HTTP with valid bot tokens and distinct handoffIds; the
 * scenario ends when every accepted handoff is in the org. A naive reference, writing the same graph
 * one REST call per node, runs against the same emulator and appears in the same table.
 *
 * Run `npm run bench -- --help` for the flags.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_CONCURRENCY } from '../src/delivery/config';
import { buildService } from './lib/build';
import { calibrate, describeCalibration } from './lib/calibrate';
import { runMicro } from './micro';
import { dataCalls, diffCalls, startEmulator, writeCalls, type EmulatorHandle } from './lib/emulator';
import { runLoad, type LoadResult, type LoadShape, type ResponseRecord } from './lib/load';
import { fetchTransport, writeGraphNaively, type GraphLike } from './lib/naive';
import { BodyFactory } from './lib/payload';
import { renderProfile, summariseProfile, type ProfileSummary } from './lib/profile';
import { describePhases, type PhaseStamps } from './lib/phases';
import { parseServerTiming, Progress } from './lib/progress';
import {
  describeRunQueue,
  killAllNow,
  onExit,
  readCpuMs,
  readSchedTimes,
  resetPeakRss,
  RssSampler,
  sleep,
} from './lib/procs';
import {
  num,
  readResults,
  RESULTS_SCHEMA_VERSION,
  writeResults,
  type BenchResults,
  type LatencySummary,
  type ScenarioRow,
} from './lib/results';
import { serviceEntry, startService, type RunningService } from './lib/service';
import { checkTargets } from './lib/targets';
import { describeGc, describeSeries, describeWaits, histogramDelta, parseHistogram } from './lib/histograms';
import { distribution, round } from './lib/stats';
import { fmt, renderCompare, renderTable } from './lib/table';
import { createBotAuth, type BotAuth } from './lib/tokens';

const REPO = resolve(__dirname, '..');
const FLOOR_ENTRY = 'bench/floor-service.js';
const SCENARIOS = ['lone', 'steady', 'burst', 'r200', 'max'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const HELP = `npm run bench [-- flags]

Scenarios (default all, in this order): lone, steady, burst, r200, max
  --scenarios lone,burst       run only these
  --lone-count N               lone handoffs, one at a time (default 10)
  --steady-rate R              steady arrival rate per second (default 50)
  --steady-seconds S           (default 20)
  --burst N                    handoffs sent at once (default 500)
  --r200-rate R --r200-seconds S   the latency-target scenario (default 200/s for 10 s)
  --r200-budget-ms MS          its latency budget (default: the service's; 0 = answer 202 once stored,
                               so the bot's latency is the service's own accept path)
  --max-seconds S --max-connections C   the throughput scenario (default 10 s, 200 connections)
  --max-budget-ms MS           its latency budget (default 0: the answer is a 202 right after the
                               durable write, so what is measured is durable acceptance, not delivery)
  --max-org-answers            keep the org answering during the max load (default: the emulator is
                               paused, SIGSTOP, for the load phase, as in an org outage, so the two
                               cores serve the service alone; the backlog is then delivered and counted)
  --long                       3x the durations (steady 60 s, r200 30 s, max 30 s)
  --repeat N                   run each scenario N times (1-20, default 1), each with a fresh emulator and
                               service; every run is a row, and each target is judged on its worst run
  --warmup N                   handoffs sent (closed loop, 50 connections above 30) and delivered before each
                               scenario is measured, neither counted nor timed (default 30)

Salesforce (the emulator):
  --latency-ms MS              per-call latency, standing for a real org's round trip (default 150)
  --jitter-ms MS               plus uniform random 0..MS (default 0)

Service:
  --gather-window-ms MS        delivery.gatherWindowMs (default: the service's own default)
  --autocannon-rates           steady and r200 with autocannon's overallRate (each connection's budget sent
                               back to back at the start of every second: bursts) instead of the paced
                               open-loop generator (one request every 1/rate s)
  --delivery JSON              any other delivery settings, e.g. '{"saturatedLoad":1,"maxHoldMs":10}'
  --concurrency N              delivery.concurrency (default: the service's own default)
  --max-batch N                delivery.maxBatchSize (default: the service's own default)
  --log-level LEVEL            the service's LOG_LEVEL (default info, as in production)
  --customers A,B|none         bank customer numbers to cycle through (default: the emulator seed's
                               Person Accounts; none: anonymous customers)
  --cpu-prof SCENARIO          run the service with --cpu-prof in that scenario and print the top frames

Floor reference:
  --floor                      run the scenarios against bench/floor-service.ts instead of the service:
                               one pre-planned graph per handoff, sent as it arrives, answered when the
                               org answers (no auth, store, policy or coalescing). Its svc is what this
                               machine's rig adds by itself; the targets are not checked against it

Naive reference:
  --no-naive                   skip it
  --naive-lone-count N         (default 3)
  --naive-steady-seconds S     at the steady rate (default 1)
  --naive-burst N              at once (default 100)
  --naive-timeout-s S          stop a naive scenario after this long (default 40)
  (the naive rows are smaller than the service's: their calls per handoff do not depend on volume,
   and the emulator answers single REST calls slowly once it holds many records)

Results:
  --out DIR                    where <timestamp>.json and latest.json go (default bench/results)
  --compare FILE               print the deltas against an earlier result file
  --no-run                     with --compare: compare FILE with latest.json without running
  --drain-timeout-s S          how long to wait for delivery after the load (default 120)
  --verbose                    echo the children's output
  --trace                      time the service's store calls and event-loop delay (a --require'd
                               preload, no change to the service) and print them

  --micro                      instead: the CPU cost of each step of the request path, in-process
`;

interface Options {
  scenarios: ScenarioName[];
  latencyMs: number;
  jitterMs: number;
  loneCount: number;
  warmup: number;
  repeat: number;
  steadyRate: number;
  steadySeconds: number;
  burst: number;
  r200Rate: number;
  r200Seconds: number;
  maxSeconds: number;
  maxConnections: number;
  maxBudgetMs: number;
  maxPauseOrg: boolean;
  r200BudgetMs: number | undefined;
  naive: boolean;
  naiveLoneCount: number;
  naiveSteadySeconds: number;
  naiveBurst: number;
  naiveTimeoutS: number;
  gatherWindowMs: number | undefined;
  delivery: Record<string, unknown>;
  autocannonRates: boolean;
  concurrency: number | undefined;
  maxBatch: number | undefined;
  logLevel: string;
  customers: string[] | null;
  cpuProf: ScenarioName | undefined;
  out: string;
  compare: string | undefined;
  noRun: boolean;
  drainTimeoutS: number;
  verbose: boolean;
  trace: boolean;
  /** Run the scenarios against the floor reference (bench/floor-service.ts) instead of the service. */
  floor: boolean;
}

/**
 * Bank customer numbers the handoffs name: --customers A,B; "none" for anonymous customers; by default
 * the Person Accounts seeded in the emulator (config/emulator-seed.json), cycled through.
 */
function customersFrom(flag: string | undefined): string[] | null {
  if (flag === 'none') return null;
  if (flag) return flag.split(',').map((s) => s.trim());
  const seedFile = join(REPO, 'config', 'emulator-seed.json');
  if (!existsSync(seedFile)) return null;
  const seed = JSON.parse(readFileSync(seedFile, 'utf8')) as {
    records?: { fields?: Record<string, unknown> }[];
  };
  const ids = (seed.records ?? [])
    .map((r) => r.fields?.Bank_Customer_Id__c)
    .filter((v): v is string => typeof v === 'string');
  return ids.length > 0 ? ids : null;
}

function parseOptions(argv: string[]): Options | 'micro' | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenarios: { type: 'string' },
      'latency-ms': { type: 'string' },
      'jitter-ms': { type: 'string' },
      'lone-count': { type: 'string' },
      warmup: { type: 'string' },
      repeat: { type: 'string' },
      'steady-rate': { type: 'string' },
      'steady-seconds': { type: 'string' },
      burst: { type: 'string' },
      'r200-rate': { type: 'string' },
      'r200-seconds': { type: 'string' },
      'max-seconds': { type: 'string' },
      'max-connections': { type: 'string' },
      'max-budget-ms': { type: 'string' },
      'max-org-answers': { type: 'boolean', default: false },
      'r200-budget-ms': { type: 'string' },
      long: { type: 'boolean', default: false },
      'no-naive': { type: 'boolean', default: false },
      'naive-lone-count': { type: 'string' },
      'naive-steady-seconds': { type: 'string' },
      'naive-burst': { type: 'string' },
      'naive-timeout-s': { type: 'string' },
      'gather-window-ms': { type: 'string' },
      delivery: { type: 'string' },
      'autocannon-rates': { type: 'boolean' },
      concurrency: { type: 'string' },
      'max-batch': { type: 'string' },
      'log-level': { type: 'string' },
      customers: { type: 'string' },
      'cpu-prof': { type: 'string' },
      out: { type: 'string' },
      compare: { type: 'string' },
      'no-run': { type: 'boolean', default: false },
      'drain-timeout-s': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      micro: { type: 'boolean', default: false },
      trace: { type: 'boolean', default: false },
      floor: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return null;
  }
  if (values.micro) return 'micro';
  const int = (name: string, v: string | undefined, def: number, min = 0, max = 1_000_000): number => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer ${min}..${max}, not ${v}`);
    return n;
  };
  const optInt = (name: string, v: string | undefined, min: number, max: number): number | undefined =>
    v === undefined ? undefined : int(name, v, 0, min, max);
  const long = values.long === true;
  const scenarios = (values.scenarios ?? SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(s))
      throw new Error(`unknown scenario ${s} (${SCENARIOS.join(', ')})`);
  }
  const cpuProf = values['cpu-prof'];
  if (cpuProf !== undefined && !(SCENARIOS as readonly string[]).includes(cpuProf)) {
    throw new Error(`--cpu-prof takes a scenario name (${SCENARIOS.join(', ')})`);
  }
  return {
    scenarios: SCENARIOS.filter((s) => scenarios.includes(s)),
    latencyMs: int('latency-ms', values['latency-ms'], 150, 0, 60_000),
    jitterMs: int('jitter-ms', values['jitter-ms'], 0, 0, 60_000),
    loneCount: int('lone-count', values['lone-count'], 10, 1, 1000),
    warmup: int('warmup', values.warmup, 30, 1, 100_000),
    repeat: int('repeat', values.repeat, 1, 1, 20),
    steadyRate: int('steady-rate', values['steady-rate'], 50, 1, 10_000),
    steadySeconds: int('steady-seconds', values['steady-seconds'], long ? 60 : 20, 1, 3600),
    burst: int('burst', values.burst, 500, 1, 10_000),
    r200Rate: int('r200-rate', values['r200-rate'], 200, 1, 10_000),
    r200Seconds: int('r200-seconds', values['r200-seconds'], long ? 30 : 10, 1, 3600),
    maxSeconds: int('max-seconds', values['max-seconds'], long ? 30 : 10, 1, 3600),
    maxConnections: int('max-connections', values['max-connections'], 200, 1, 2000),
    maxBudgetMs: int('max-budget-ms', values['max-budget-ms'], 0, 0, 60_000),
    maxPauseOrg: values['max-org-answers'] !== true,
    r200BudgetMs: optInt('r200-budget-ms', values['r200-budget-ms'], 0, 60_000),
    naive: values['no-naive'] !== true,
    naiveLoneCount: int('naive-lone-count', values['naive-lone-count'], 3, 1, 100),
    naiveSteadySeconds: int('naive-steady-seconds', values['naive-steady-seconds'], long ? 10 : 1, 1, 600),
    naiveBurst: int('naive-burst', values['naive-burst'], 100, 1, 10_000),
    naiveTimeoutS: int('naive-timeout-s', values['naive-timeout-s'], long ? 120 : 40, 1, 3600),
    gatherWindowMs: optInt('gather-window-ms', values['gather-window-ms'], 0, 50),
    delivery: deliveryOverrides(values.delivery),
    autocannonRates: values['autocannon-rates'] ?? false,
    concurrency: optInt('concurrency', values.concurrency, 1, MAX_CONCURRENCY),
    maxBatch: optInt('max-batch', values['max-batch'], 1, 75),
    logLevel: values['log-level'] ?? 'info',
    customers: customersFrom(values.customers),
    cpuProf: cpuProf as ScenarioName | undefined,
    out: resolve(values.out ?? join(REPO, 'bench', 'results')),
    compare: values.compare,
    noRun: values['no-run'] === true,
    drainTimeoutS: int('drain-timeout-s', values['drain-timeout-s'], 120, 1, 3600),
    verbose: values.verbose === true,
    trace: values.trace === true,
    floor: values.floor === true,
  };
}

interface Context {
  opts: Options;
  runId: string;
  tmp: string;
  buildRoot: string;
  entry: string;
  bot: BotAuth;
  progress: Progress;
  profiles: { scenario: string; file: string; summary: ProfileSummary }[];
  /** The service's node flags have been printed (once per run). */
  flagsShown?: boolean;
}

function label(name: ScenarioName, o: Options): string {
  return o.floor ? `${scenarioLabel(name, o)} · floor (reference)` : scenarioLabel(name, o);
}

function scenarioLabel(name: ScenarioName, o: Options): string {
  switch (name) {
    case 'lone':
      return `lone handoff (×${o.loneCount}, one at a time)`;
    case 'steady':
      return `steady ${o.steadyRate}/s for ${o.steadySeconds} s`;
    case 'burst':
      return `burst of ${o.burst} at once`;
    case 'r200':
      return `steady ${o.r200Rate}/s for ${o.r200Seconds} s${o.r200BudgetMs === undefined ? '' : `, budget ${o.r200BudgetMs} ms`}`;
    case 'max':
      return `max throughput, ${o.maxConnections} conn, ${o.maxSeconds} s, budget ${o.maxBudgetMs} ms`;
  }
}

/** --delivery: a JSON object of delivery settings (the service validates them when it starts). */
function deliveryOverrides(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`--delivery takes a JSON object, e.g. '{"maxHoldMs":10}'; got: ${text}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('--delivery takes a JSON object of delivery settings');
  return parsed as Record<string, unknown>;
}

function summary(samples: number[]): LatencySummary {
  const d = distribution(samples);
  return {
    p50: num(round(d.p50, 2)),
    p95: num(round(d.p95, 2)),
    p99: num(round(d.p99, 2)),
    max: num(round(d.max, 2)),
    mean: num(round(d.mean, 2)),
    count: d.count,
  };
}

/** The service's own time from its answer, when it says: Server-Timing total − salesforce, or an own entry. */
function serviceTimeFromHeaders(headers: Record<string, string | string[] | undefined>): number | undefined {
  const t = parseServerTiming(headers['server-timing']);
  for (const own of ['own', 'service', 'app', 'self']) {
    const v = t.get(own);
    if (v !== undefined) return v;
  }
  const total = t.get('total');
  const sf = t.get('salesforce') ?? t.get('sf');
  if (total !== undefined && sf !== undefined) return Math.max(0, total - sf);
  return undefined;
}

function connectionsFor(rate: number): number {
  // autocannon is closed-loop: a connection waits for its answer before the next request, and spends
  // its per-second budget (rate / connections) back to back. Two requests per connection per second
  // keeps the offered rate while answers take up to ~500 ms, and spreads arrivals over each second.
  return Math.max(1, Math.min(rate, Math.ceil(rate / 2)));
}
async function waitDelivered(
  emu: EmulatorHandle,
  prefix: string,
  expected: number,
  timeoutS: number,
  onTick: (n: number) => void,
): Promise<{ delivered: number; waitedS: number }> {
  const t0 = Date.now();
  let n = 0;
  for (;;) {
    n = await emu.delivered(prefix);
    onTick(n);
    if (n >= expected) break;
    if (Date.now() - t0 > timeoutS * 1000) break;
    await sleep(100);
  }
  return { delivered: n, waitedS: (Date.now() - t0) / 1000 };
}

function mergeLoads(results: LoadResult[]): LoadResult {
  const out: LoadResult = {
    responses: [],
    statuses: {},
    acceptedIds: [],
    sent: 0,
    durationS: 0,
    errorSamples: [],
  };
  for (const r of results) {
    out.responses.push(...r.responses);
    for (const [k, v] of Object.entries(r.statuses)) out.statuses[k] = (out.statuses[k] ?? 0) + v;
    out.acceptedIds.push(...r.acceptedIds);
    out.sent += r.sent;
    out.durationS += r.durationS;
    out.errorSamples.push(...r.errorSamples.slice(0, 5 - out.errorSamples.length));
  }
  return out;
}

function newestProfile(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}

async function coalescedScenario(
  name: ScenarioName,
  ctx: Context,
  emu: EmulatorHandle,
): Promise<{ row: ScenarioRow; template: { handoffId: string; graph: unknown } | null }> {
  const { opts, progress } = ctx;
  const lbl = label(name, opts);
  const workDir = join(ctx.tmp, `service-${name}-${ctx.runId}`);
  const profDir = join(opts.out, 'profiles');
  const profiling = opts.cpuProf === name;
  if (profiling) mkdirSync(profDir, { recursive: true });
  const delivery: Record<string, unknown> = { ...opts.delivery };
  if (opts.gatherWindowMs !== undefined) delivery.gatherWindowMs = opts.gatherWindowMs;
  if (opts.concurrency !== undefined) delivery.concurrency = opts.concurrency;
  if (opts.maxBatch !== undefined) delivery.maxBatchSize = opts.maxBatch;
  progress.update(`[${lbl}] starting the service…`);
  const svc: RunningService = await startService({
    buildRoot: ctx.buildRoot,
    entry: ctx.entry,
    repoRoot: REPO,
    workDir,
    emulatorUrl: emu.url,
    jwt: emu.jwt,
    bot: ctx.bot,
    configOverrides: Object.keys(delivery).length > 0 ? { delivery } : {},
    logLevel: opts.logLevel,
    ...(name === 'max' ? { env: { DELIVERY_LATENCY_BUDGET_MS: String(opts.maxBudgetMs) } } : {}),
    ...(name === 'r200' && opts.r200BudgetMs !== undefined
      ? { env: { DELIVERY_LATENCY_BUDGET_MS: String(opts.r200BudgetMs) } }
      : {}),
    ...(profiling ? { cpuProfDir: profDir } : {}),
    traceFile: join(workDir, 'trace.json'),
    tracePhases: opts.trace,
    echo: opts.verbose,
  });
  if (!ctx.flagsShown) {
    ctx.flagsShown = true;
    progress.log(
      `the service runs as npm start runs it (scripts/start.sh), node flags: ${svc.nodeFlags.join(' ') || '(none)'}`,
    );
  }
  let row: ScenarioRow | undefined;
  let responses: ResponseRecord[] = [];
  const notes: string[] = [];
  try {
    const base = {
      baseUrl: svc.url,
      path: '/v1/handoffs',
      authorization: () => ctx.bot.next(),
      timeoutS: 30,
      serviceTime: serviceTimeFromHeaders,
    };

    // Warm-up: login, id resolution, JIT; neither counted nor timed.
    progress.update(`[${lbl}] warming up the service…`);
    const warm = new BodyFactory(`bench-${ctx.runId}-w-${name}-`, opts.customers);
    const w = await runLoad({
      ...base,
      nextId: () => warm.nextId(),
      body: (id) => warm.body(id),
      shape: { kind: 'amount', amount: opts.warmup, connections: opts.warmup > 30 ? 50 : 5 },
      onTick: (p) => progress.update(`[${lbl}] warm-up: ${p.done}/${opts.warmup} answered`),
    });
    if (w.acceptedIds.length === 0) {
      throw new Error(
        `the service accepted none of the warm-up handoffs: ${JSON.stringify(w.statuses)}\n${w.errorSamples.join('\n')}\n${svc.child.tail()}`,
      );
    }
    await waitDelivered(emu, warm.prefix, w.acceptedIds.length, Math.max(30, opts.warmup / 20), (n) =>
      progress.update(`[${lbl}] warm-up: ${n}/${w.acceptedIds.length} delivered`),
    );
    await sleep(300);
    await emu.resetCalls();
    await emu.takeWaits();
    const peakReset = resetPeakRss(svc.child.pid);
    if (!peakReset) notes.push('peak RSS covers the whole process life (clear_refs unavailable)');
    const sampler = new RssSampler(svc.child.pid);
    sampler.start();
    const metricsAtStart = await scrapeMetrics(svc.url);
    const cpuAtStart = { svc: readCpuMs(svc.child.pid), emu: readCpuMs(emu.child.pid) };
    const schedAtStart = readSchedTimes(svc.child.pid);

    const factory = new BodyFactory(`bench-${ctx.runId}-s-${name}-`, opts.customers);
    const gen = { ...base, nextId: () => factory.nextId(), body: (id: string) => factory.body(id) };
    let load: LoadResult;
    const tick =
      (total: string) =>
      (p: { sent: number; done: number; elapsedS: number }): void =>
        progress.update(`[${lbl}] ${p.elapsedS.toFixed(0)}/${total} s, ${p.sent} sent, ${p.done} answered`);

    if (name === 'lone') {
      const parts: LoadResult[] = [];
      for (let i = 0; i < opts.loneCount; i++) {
        progress.update(`[${lbl}] handoff ${i + 1}/${opts.loneCount}`);
        parts.push(await runLoad({ ...gen, shape: { kind: 'amount', amount: 1, connections: 1 } }));
        const accepted = parts.reduce((a, p) => a + p.acceptedIds.length, 0);
        await waitDelivered(emu, factory.prefix, accepted, opts.drainTimeoutS, () => undefined);
        await sleep(250);
      }
      load = mergeLoads(parts);
    } else {
      let shape: LoadShape;
      let total: string;
      if (name === 'steady' || name === 'r200') {
        const rate = name === 'steady' ? opts.steadyRate : opts.r200Rate;
        const durationS = name === 'steady' ? opts.steadySeconds : opts.r200Seconds;
        shape = opts.autocannonRates
          ? { kind: 'rate', rate, durationS, connections: connectionsFor(rate) }
          : { kind: 'paced', rate, durationS };
        total = String(durationS);
      } else if (name === 'burst') {
        shape = { kind: 'amount', amount: opts.burst, connections: opts.burst };
        total = '?';
        progress.update(`[${lbl}] sending ${opts.burst} at once…`);
      } else {
        shape = { kind: 'max', durationS: opts.maxSeconds, connections: opts.maxConnections };
        total = String(opts.maxSeconds);
      }
      const pause = name === 'max' && opts.maxPauseOrg;
      if (pause) {
        process.kill(emu.child.pid, 'SIGSTOP');
        notes.push(
          'the org (emulator) was paused during the load, as in an outage: the backlog was delivered after',
        );
      }
      try {
        load = await runLoad({ ...gen, shape, onTick: tick(total) });
      } finally {
        if (pause) process.kill(emu.child.pid, 'SIGCONT');
      }
      const late = (load as { lateMs?: number[] }).lateMs;
      if (late && late.length > 0) {
        const p99 = distribution(late).p99;
        notes.push(
          `paced open-loop load: one request every ${round(1000 / (name === 'steady' ? opts.steadyRate : opts.r200Rate), 2)} ms; ` +
            `the generator sent p99 ${round(p99, 1)} ms behind its schedule`,
        );
      }
      const inFlight = load.sent - load.responses.length;
      if (inFlight > 0)
        notes.push(`${inFlight} requests were still in flight when the load stopped (not counted)`);
    }

    const loadEnded = Date.now();
    const accepted = load.acceptedIds.length;
    const drain = await waitDelivered(emu, factory.prefix, accepted, opts.drainTimeoutS, (n) =>
      progress.update(`[${lbl}] waiting for delivery: ${n}/${accepted} in Salesforce`),
    );
    const drainS = (Date.now() - loadEnded) / 1000;
    if (drain.delivered < accepted) {
      notes.push(
        `only ${drain.delivered} of ${accepted} accepted handoffs reached Salesforce within ${opts.drainTimeoutS} s`,
      );
    }
    await sleep(300);
    // CPU per handoff, from the load's start until everything was delivered (all threads).
    const cpuPer = (start: number | null, pid: number): number | null => {
      const end = readCpuMs(pid);
      return start === null || end === null || accepted === 0 ? null : round((end - start) / accepted, 3);
    };
    const serviceCpuMsPerHandoff = cpuPer(cpuAtStart.svc, svc.child.pid);
    const emulatorCpuMsPerHandoff = cpuPer(cpuAtStart.emu, emu.child.pid);
    if (serviceCpuMsPerHandoff !== null && emulatorCpuMsPerHandoff !== null) {
      notes.push(
        `CPU per handoff, load and drain, all threads: the service ${serviceCpuMsPerHandoff} ms, the emulator ${emulatorCpuMsPerHandoff} ms`,
      );
    }
    const sched = describeRunQueue(schedAtStart, readSchedTimes(svc.child.pid), accepted);
    if (sched) notes.push(sched);
    const metricsAtEnd = await scrapeMetrics(svc.url);
    if (metricsAtStart !== null && metricsAtEnd !== null)
      notes.push(...describeServiceHistograms(metricsAtStart, metricsAtEnd));
    const calls = await emu.calls();
    const timings = await emu.takeWaits();
    const waits = timings.waits;
    const emuCalls = distribution(timings.durations);
    if (timings.graphsPerCall.length > 0) {
      const g = distribution(timings.graphsPerCall);
      notes.push(
        `graphs per composite graph call: mean ${g.mean.toFixed(1)}, min ${Math.min(...timings.graphsPerCall)}, max ${g.max} ` +
          `(${timings.graphsPerCall.length} calls: ${timings.graphsPerCall.slice(0, 40).join(' ')}${timings.graphsPerCall.length > 40 ? ' …' : ''})`,
      );
    }
    if (emuCalls.count > 0) {
      notes.push(
        `the emulator took ${emuCalls.mean.toFixed(0)} ms per data call on average (p99 ${emuCalls.p99.toFixed(0)} ms, ` +
          `${timings.latencyMs} ms of it injected latency; the rest is its own processing on these shared cores)`,
      );
    }
    const peak = sampler.stop();
    const template = await emu.sampleGraph();

    responses = load.responses;
    const ok = load.responses.filter((r) => r.status === 201 || r.status === 202);
    const latencies = ok.map((r) => r.latencyMs);
    const headerTimes = ok.map((r) => r.serviceMs).filter((v): v is number => v !== undefined);
    let added: number[];
    let source: string;
    const budgetZero =
      (name === 'max' && opts.maxBudgetMs === 0) || (name === 'r200' && opts.r200BudgetMs === 0);
    if (headerTimes.length > 0) {
      added = headerTimes;
      source = 'service (Server-Timing header)';
    } else if (budgetZero) {
      // Answered once stored, without waiting on Salesforce: the whole latency is the service's own.
      added = ok.map((r) => r.latencyMs);
      source = 'budget 0: the whole latency (answered once stored, no Salesforce wait)';
      notes.push('latency budget 0: svc = the whole latency of the 202 answers (no Salesforce wait)');
    } else {
      // Bot-observed latency minus the time the emulator spent on the calls that carried the handoff.
      added = load.responses
        .filter((r): r is ResponseRecord & { id: string } => r.status === 201 && r.id !== null)
        .map((r) => r.latencyMs - (waits[r.id] ?? 0));
      source = 'bot latency − emulator time on the calls carrying the handoff (201 answers only)';
    }
    const before: number[] = [];
    const after: number[] = [];
    for (const r of load.responses) {
      if (r.status !== 201 || r.id === null) continue;
      const span = timings.spans[r.id];
      if (!span) continue;
      const sentAt = r.endedAt - r.latencyMs;
      before.push(Math.max(0, span[0] - sentAt));
      after.push(Math.max(0, r.endedAt - span[1]));
    }
    const n202 = load.statuses['202'] ?? 0;
    if (n202 > 0 && !budgetZero) notes.push(`${n202} answered 202 (delivery outran the latency budget)`);
    const family = diffCalls(calls, {});
    const sf = dataCalls(family);
    row = {
      scenario: name,
      mode: opts.floor ? 'floor' : 'coalesced',
      label: lbl,
      sent: load.sent,
      accepted,
      statuses: load.statuses,
      delivered: drain.delivered,
      durationS: round(load.durationS, 2),
      acceptedPerS: name === 'lone' ? null : num(round(accepted / load.durationS, 1)),
      drainS: name === 'lone' ? null : round(drainS, 2),
      latencyMs: summary(latencies),
      serviceAddedMs: summary(added),
      serviceAddedSource: source,
      beforeCallMs: summary(before),
      afterCallMs: summary(after),
      sfCalls: sf,
      sfCallsByFamily: family,
      sfCallsPerHandoff: accepted > 0 ? round(sf / accepted, 4) : null,
      sfWriteCalls: writeCalls(family),
      sfWriteCallsPerHandoff: accepted > 0 ? round(writeCalls(family) / accepted, 4) : null,
      peakRssMB: peak === null ? null : round(peak, 1),
      serviceCpuMsPerHandoff,
      emulatorCpuMsPerHandoff,
      emulatorCallMs: emuCalls.count > 0 ? summary(timings.durations) : null,
      graphsPerCall: timings.graphsPerCall,
      notes: [...notes, ...load.errorSamples.map((e) => `error sample: ${e}`)],
    };
    return { row, template };
  } finally {
    progress.update(`[${lbl}] stopping the service…`);
    await svc.child.stop(profiling ? 60_000 : 5000);
    if (profiling) {
      const file = newestProfile(profDir);
      if (file) ctx.profiles.push({ scenario: name, file, summary: summariseProfile(file) });
      else progress.log(`[${lbl}] no CPU profile was written (did the service exit cleanly on SIGTERM?)`);
    }
    const traceFile = join(workDir, 'trace.json');
    const trace = existsSync(traceFile)
      ? (JSON.parse(readFileSync(traceFile, 'utf8')) as {
          summary?: Record<string, unknown>;
          memoryTimeline?: unknown;
          sfWait?: Record<string, number>;
          phases?: Record<string, PhaseStamps>;
        })
      : null;
    if (row) {
      if (opts.trace)
        row.trace = trace?.summary ? { ...trace.summary, memoryTimeline: trace.memoryTimeline } : null;
      if (opts.trace && trace?.phases) {
        const delivered = responses.flatMap((r) => (r.status === 201 && r.id !== null ? [r.id] : []));
        const byStep = describePhases(trace.phases, delivered);
        if (byStep) row.notes.push(byStep);
      }
      const sfWait = trace?.sfWait;
      if (sfWait && Object.keys(sfWait).length > 0 && row.serviceAddedSource.startsWith('bot latency')) {
        // The service's own wait on its Salesforce calls, timed inside it: includes the emulator's
        // queueing, which the emulator-side timing cannot see.
        const added = responses
          .filter(
            (r): r is ResponseRecord & { id: string } =>
              r.status === 201 && r.id !== null && sfWait[r.id] !== undefined,
          )
          .map((r) => r.latencyMs - (sfWait[r.id] ?? 0));
        row.serviceAddedEmulatorMs = row.serviceAddedMs;
        row.serviceAddedMs = summary(added);
        row.serviceAddedSource =
          "bot latency − the service's own wait on the Salesforce calls carrying the handoff " +
          '(timed around http.request in the service by a preload; 201 answers only)';
      }
    }
  }
}

/** The service's GET /metrics text, or null (the floor reference has none; a failed scrape is not fatal). */
async function scrapeMetrics(baseUrl: string): Promise<string | null> {
  try {
    const res = await fetch(`${baseUrl}/metrics`);
    return res.ok ? await res.text() : null;
  } catch {
    return null;
  }
}

/**
 * Notes from the service's own histograms over the scenario: how long handoffs waited for their call
 * and which coalescing rule held them, how long the durable accept took (bucket bounds), and the
 * garbage collector's pauses by kind.
 */
function describeServiceHistograms(start: string, end: string): string[] {
  const notes: string[] = [];
  const during = (name: string, label?: string) =>
    histogramDelta(parseHistogram(end, name, label), parseHistogram(start, name, label));
  const waitName = 'fsc_handoff_coalescing_wait_seconds';
  const waits = during(waitName, 'held_by');
  if (waits.size > 0) {
    notes.push(
      `waits for a call, by the rule that held it (the service's ${waitName}): ${describeWaits(waits)}`,
    );
  }
  const acceptName = 'fsc_handoff_accept_duration_seconds';
  const accepts = during(acceptName).get('');
  if (accepts) {
    notes.push(`durable accept (the service's ${acceptName}): ${describeSeries(accepts)}`);
  }
  const gcName = 'nodejs_gc_duration_seconds';
  const pauses = during(gcName, 'kind');
  if (pauses.size > 0) {
    notes.push(
      `garbage collection pauses of the request thread (the service's ${gcName}): ${describeGc(pauses)}`,
    );
  }
  return notes;
}

/** The naive reference on the same emulator: the service's own graph for one handoff, replayed node by node. */
async function naiveScenario(
  name: ScenarioName,
  ctx: Context,
  emu: EmulatorHandle,
  template: { handoffId: string; graph: unknown },
): Promise<ScenarioRow> {
  const { opts, progress } = ctx;
  const transport = fetchTransport(emu.url, emu.accessToken);
  const templateText = JSON.stringify(template.graph);
  const prefix = `bench-${ctx.runId}-n-${name}-`;
  let n = 0;
  const graphFor = (): { id: string; graph: GraphLike } => {
    n++;
    const id = `${prefix}${n.toString(36).padStart(5, '0')}`;
    return { id, graph: JSON.parse(templateText.split(template.handoffId).join(id)) as GraphLike };
  };
  const latencies: number[] = [];
  const failures: string[] = [];
  let done = 0;
  let aborted = 0;
  let callsOfWritten = 0;
  const deadline = Date.now() + opts.naiveTimeoutS * 1000;
  const timeUp = (): boolean => Date.now() > deadline;
  const one = async (): Promise<void> => {
    const { graph } = graphFor();
    const t0 = performance.now();
    const r = await writeGraphNaively(graph, transport, timeUp);
    if (r.ok) {
      latencies.push(performance.now() - t0);
      callsOfWritten += r.calls;
    } else if (r.aborted) {
      aborted++;
    } else if (failures.length < 3) {
      failures.push(
        `${r.failure?.referenceId}: ${r.failure?.status} ${JSON.stringify(r.failure?.body).slice(0, 300)}`,
      );
    }
    done++;
  };
  let lbl: string;
  await emu.resetCalls();
  const t0 = Date.now();
  let sent = 0;
  if (name === 'lone') {
    lbl = `lone handoff (×${opts.naiveLoneCount}, one at a time)`;
    for (let i = 0; i < opts.naiveLoneCount && !timeUp(); i++) {
      progress.update(`[${lbl} · naive] handoff ${i + 1}/${opts.naiveLoneCount}`);
      sent++;
      await one();
    }
  } else if (name === 'steady') {
    lbl = `steady ${opts.steadyRate}/s for ${opts.naiveSteadySeconds} s`;
    const total = opts.steadyRate * opts.naiveSteadySeconds;
    const running: Promise<void>[] = [];
    for (let i = 0; i < total && !timeUp(); i++) {
      const due = t0 + (i * 1000) / opts.steadyRate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      sent++;
      running.push(one());
      progress.update(`[${lbl} · naive] ${sent}/${total} started, ${done} written`);
    }
    while (done < sent) {
      progress.update(`[${lbl} · naive] ${sent}/${total} started, ${done} finished`);
      await Promise.race([Promise.all(running), sleep(500)]);
    }
  } else {
    lbl = `burst of ${opts.naiveBurst} at once`;
    const total = opts.naiveBurst;
    progress.update(`[${lbl} · naive] starting ${total} at once…`);
    const running: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      sent++;
      running.push(one());
    }
    while (done < total) {
      progress.update(`[${lbl} · naive] ${done}/${total} finished`);
      await Promise.race([Promise.all(running), sleep(500)]);
    }
  }
  const durationS = (Date.now() - t0) / 1000;
  const family = diffCalls(await emu.calls(), {});
  const sf = dataCalls(family);
  const written = latencies.length;
  return {
    scenario: name,
    mode: 'naive',
    label: `${lbl} · naive (reference)`,
    sent,
    accepted: written,
    statuses: { written, failed: sent - written },
    delivered: written,
    durationS: round(durationS, 2),
    acceptedPerS: name === 'lone' ? null : num(round(written / durationS, 1)),
    drainS: null,
    latencyMs: summary(latencies),
    serviceAddedMs: summary([]),
    serviceAddedSource: 'n/a: the bench writes directly, one REST call per graph node, in order',
    sfCalls: sf,
    sfCallsByFamily: family,
    // Per handoff fully written (its own count of requests; the emulator's total includes the unfinished).
    sfCallsPerHandoff: written > 0 ? round(callsOfWritten / written, 4) : null,
    sfWriteCalls: writeCalls(family),
    sfWriteCallsPerHandoff: written > 0 ? round(callsOfWritten / written, 4) : null,
    peakRssMB: null,
    emulatorCallMs: null,
    notes: [
      ...(aborted > 0 ? [`${aborted} unfinished after ${opts.naiveTimeoutS} s (--naive-timeout-s)`] : []),
      ...failures.map((f) => `failed node: ${f}`),
    ],
  };
}

function gitInfo(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (!opts) return;
  if (opts === 'micro') {
    await runMicro();
    return;
  }
  if (opts.noRun) {
    if (!opts.compare) throw new Error('--no-run needs --compare FILE');
    console.log(renderCompare(readResults(opts.compare), readResults(join(opts.out, 'latest.json'))));
    return;
  }
  const progress = new Progress();
  const cpus = os.cpus();
  const machine = {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemMB: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadavg1m: round(os.loadavg()[0] ?? 0, 2),
  };
  const startedAt = new Date().toISOString();
  const git = gitInfo();
  console.log(
    `FSC Handoff benchmark — ${machine.cpus} CPU cores (${machine.cpuModel}), ${machine.totalMemMB} MB, Node ${machine.node}; ` +
      `load average ${machine.loadavg1m} at start.\n` +
      `The load generator, the emulator and the service share these ${machine.cpus} cores. ` +
      `Emulated Salesforce round trip: ${opts.latencyMs} ms per call${opts.jitterMs ? ` + 0..${opts.jitterMs} ms` : ''}.`,
  );

  const tmp = mkdtempSync(join(os.tmpdir(), 'fsc-bench-'));
  onExit(() => rmSync(tmp, { recursive: true, force: true }));
  progress.update('calibrating: how fast is this machine right now…');
  const calibration = await calibrate(tmp);
  Object.assign(machine, { calibration });
  progress.log(
    `Machine speed now: ${describeCalibration(calibration)} (compare runs only at similar speed; a shared VM drifts).`,
  );
  const runId = Date.now().toString(36);
  const rows: ScenarioRow[] = [];
  const ctx: Context = {
    opts,
    runId,
    tmp,
    buildRoot: join(tmp, 'build'),
    entry: '',
    bot: await createBotAuth(),
    progress,
    profiles: [],
  };
  try {
    progress.update('compiling the service (swc)…');
    const b = await buildService(REPO, ctx.buildRoot);
    ctx.entry = opts.floor ? FLOOR_ENTRY : serviceEntry(ctx.buildRoot);
    progress.log(`compiled ${b.files} files in ${b.ms} ms; service entry ${ctx.entry}`);
    for (const name of opts.scenarios) {
      for (let run = 1; run <= opts.repeat; run++) {
        // Each run its own handoff ids and store file: a run must not replay the one before it.
        ctx.runId = opts.repeat > 1 ? `${runId}r${run}` : runId;
        const lbl = opts.repeat > 1 ? `${label(name, opts)} · run ${run}/${opts.repeat}` : label(name, opts);
        progress.update(`[${lbl}] starting the emulator…`);
        const emu = await startEmulator(REPO, {
          latencyMs: opts.latencyMs,
          jitterMs: opts.jitterMs,
          echo: opts.verbose,
        });
        try {
          const t0 = Date.now();
          const { row, template } = await coalescedScenario(name, ctx, emu);
          if (opts.repeat > 1) row.label = lbl;
          rows.push(row);
          progress.log(
            `[${lbl}] ${row.accepted}/${row.sent} accepted, p99 ${row.latencyMs.p99 ?? '—'} ms, ` +
              `${row.sfCalls} SF calls (${row.sfCallsPerHandoff ?? '—'}/handoff) — ${((Date.now() - t0) / 1000).toFixed(0)} s`,
          );
          const naiveWanted = opts.naive && !opts.floor && run === 1;
          if (naiveWanted && (name === 'lone' || name === 'steady' || name === 'burst')) {
            if (!template) {
              progress.log(`[${lbl}] naive reference skipped: no composite graph was captured to replay`);
            } else {
              const t1 = Date.now();
              const nrow = await naiveScenario(name, ctx, emu, template);
              rows.push(nrow);
              progress.log(
                `[${nrow.label}] ${nrow.accepted}/${nrow.sent} written, ${nrow.sfCalls} SF calls ` +
                  `(${nrow.sfCallsPerHandoff ?? '—'}/handoff) — ${((Date.now() - t1) / 1000).toFixed(0)} s`,
              );
            }
          }
        } catch (e) {
          progress.log(`[${lbl}] FAILED: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          await emu.stop();
        }
      }
    }
  } finally {
    killAllNow();
    rmSync(tmp, { recursive: true, force: true });
  }

  const targets = checkTargets(rows, opts);
  const results: BenchResults = {
    schema: RESULTS_SCHEMA_VERSION,
    startedAt,
    finishedAt: new Date().toISOString(),
    commit: git.commit,
    dirty: git.dirty,
    machine,
    options: { ...opts },
    rows,
    targets,
  };
  console.log('');
  console.log(renderTable(rows));
  console.log(
    `\n${machine.cpus} cores shared by load generator, emulator and service. svc = the service's own added time (ms): ` +
      `${[...new Set(rows.filter((r) => r.mode === 'coalesced').map((r) => r.serviceAddedSource))].join('; or, where noted, ')}.` +
      `\nSF calls = Salesforce data API calls counted by the emulator during the scenario (OAuth excluded), ` +
      `the service's AgentWork polling queries included; writes/handoff = the composite and sObject calls alone; ` +
      `drain = seconds after the last answer until every accepted handoff was in Salesforce.`,
  );
  for (const r of rows) {
    if (r.beforeCallMs && r.afterCallMs && r.beforeCallMs.count > 0) {
      console.log(
        `  svc split [${r.label}]: before its Salesforce call p50 ${fmt(r.beforeCallMs.p50)} / p99 ${fmt(r.beforeCallMs.p99)} ms, ` +
          `after it p50 ${fmt(r.afterCallMs.p50)} / p99 ${fmt(r.afterCallMs.p99)} ms (as the emulator saw the call: its queueing counts as before/after)` +
          (r.serviceAddedEmulatorMs
            ? `; svc from the emulator's side p50 ${fmt(r.serviceAddedEmulatorMs.p50)} / p99 ${fmt(r.serviceAddedEmulatorMs.p99)} ms`
            : ''),
      );
    }
    for (const note of r.notes) console.log(`  note [${r.label}]: ${note}`);
    if (r.trace) {
      const parts = Object.entries(r.trace).map(([k, v]) => {
        const t = v as { calls?: number; meanMs?: number; p99Ms?: number; maxMs?: number };
        if (k === 'memoryTimeline') return null;
        if (k === 'memoryPeak') {
          const m = v as Record<string, number>;
          return `memory peaks (MB) ${Object.entries(m)
            .map(([part, mb]) => `${part.replace(/Mb$/, '')} ${mb}`)
            .join(', ')}`;
        }
        return t.calls !== undefined
          ? `${k} ×${t.calls} mean ${fmt(t.meanMs ?? null, 2)} p99 ${fmt(t.p99Ms ?? null, 2)} ms`
          : `${k} mean ${fmt(t.meanMs ?? null, 2)} p99 ${fmt(t.p99Ms ?? null, 2)} max ${fmt(t.maxMs ?? null, 1)} ms`;
      });
      console.log(`  trace [${r.label}] (whole process life): ${parts.filter(Boolean).join('; ')}`);
    }
  }
  console.log('\nTargets:');
  for (const t of targets) {
    console.log(`  ${t.met === null ? '  n/a' : t.met ? '  met' : ' MISS'}  ${t.target}: ${t.measured}`);
  }
  for (const p of ctx.profiles) console.log(`\n${renderProfile(p.summary, p.file)}`);
  const written = writeResults(opts.out, results);
  console.log(`\nResults: ${written.file} (and ${written.latest})`);
  if (opts.compare) console.log(`\n${renderCompare(readResults(opts.compare), results)}`);
}

main().catch((e: unknown) => {
  killAllNow();
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
