/**
 * Loaded into the service with `node --require` (compiled beside it): times the store's methods, the
 * event loop's delay and the service's own wait on each Salesforce call, and stamps each handoff's
 * steps (request, accept, call, answer: bench/lib/phases.ts), without touching the service's code,
 * and writes them to BENCH_TRACE_FILE when the process exits. Timing wrappers only: every call is
 * passed through unchanged.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { HandoffIdScanner } from './lib/handoff-ids';
import type { PhaseStamps } from './lib/phases';

/**
 * Each handoff's steps, by handoffId (the first of each: a retry does not move them). Only with
 * BENCH_TRACE_PHASES (`--trace`): the entries stay in memory until exit, ~3 MB in `max`, whose peak
 * RSS is a target.
 */
const PHASES_ON = process.env.BENCH_TRACE_PHASES === '1';
const stamps = new Map<string, PhaseStamps>();
const stamp = (id: string, step: keyof PhaseStamps, at: number): void => {
  if (!PHASES_ON) return;
  let s = stamps.get(id);
  if (!s) {
    s = {};
    stamps.set(id, s);
  }
  s[step] ??= at;
};

interface Acc {
  calls: number;
  totalMs: number;
  maxMs: number;
  samples: number[];
}

const acc = new Map<string, Acc>();
const record = (name: string, ms: number): void => {
  const a = acc.get(name) ?? { calls: 0, totalMs: 0, maxMs: 0, samples: [] };
  a.calls++;
  a.totalMs += ms;
  a.maxMs = Math.max(a.maxMs, ms);
  if (a.samples.length < 20_000) a.samples.push(ms);
  acc.set(name, a);
};

type AnyFn = (...args: unknown[]) => unknown;

/**
 * Wraps a method: `before` runs as it is called and returns what runs once its result settles (at
 * once for a value that is not a promise). The call itself is passed through unchanged.
 */
function aroundSettled(
  proto: Record<string, unknown>,
  name: string,
  before: (args: unknown[]) => () => void,
): void {
  const fn = proto[name];
  if (typeof fn !== 'function') return;
  proto[name] = function (this: unknown, ...args: unknown[]): unknown {
    const after = before(args);
    const result = (fn as AnyFn).apply(this, args);
    if (result instanceof Promise) result.then(after, after);
    else after();
    return result;
  };
}

/**
 * The store's calls as the request thread sees them, from the call until the promise settles. On its
 * thread: the message there, the group commit and its fsync, the reply, and the turn of this event
 * loop that takes it (the engine runs on that thread, where this preload is not loaded). On this
 * thread: the wait for the group commit, which runs in a later turn, and the commit itself.
 */
function timeUntilSettled(proto: Record<string, unknown>, name: string, label: string): void {
  aroundSettled(proto, name, () => {
    const t0 = performance.now();
    return () => record(label, performance.now() - t0);
  });
}

/** Stamps the accept's begin and settling for the handoff it stores (wrapped before its timing). */
function stampAccepts(proto: Record<string, unknown>): void {
  aroundSettled(proto, 'accept', (args) => {
    const id = (args[0] as { handoffId?: unknown } | undefined)?.handoffId;
    if (typeof id !== 'string') return () => undefined;
    stamp(id, 'acceptBegin', performance.now());
    return () => stamp(id, 'acceptEnd', performance.now());
  });
}

// The SQLite store on its thread (the default) or, with delivery.store.thread false, on this one.
for (const [file, name] of [
  ['sqlite-thread.js', 'ThreadedSqliteStore'],
  ['sqlite-store.js', 'SqliteHandoffStore'],
] as const) {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(__dirname, '..', 'src', 'delivery', 'store', file)) as Record<
      string,
      { prototype: Record<string, unknown> } | undefined
    >;
    const store = mod[name];
    if (!store) continue;
    if (PHASES_ON) stampAccepts(store.prototype);
    for (const m of [
      'accept',
      'get',
      'claimBatch',
      'markDeliveredMany',
      'markRetry',
      'renewLease',
      'stats',
    ]) {
      timeUntilSettled(store.prototype, m, `store.${m}`);
    }
  } catch {
    // a tree without this store: nothing to time
  }
}

/**
 * Time spent waiting on Salesforce, per handoff, as the service sees it: every outgoing http.request
 * (jsforce goes through node-fetch, which uses it) is timed from the call to the end of its answer,
 * and charged to the handoffIds its URL and body name (composite graph nodes upsert by Handoff_Id__c).
 */
const sfWait = new Map<string, number>();
type RequestFn = typeof http.request;
const origRequest: RequestFn = http.request;
const timedRequest = function (this: unknown, ...args: unknown[]): http.ClientRequest {
  const req = (origRequest as (...a: unknown[]) => http.ClientRequest).apply(this, args);
  const t0 = performance.now();
  const scanner = new HandoffIdScanner();
  const capture = (chunk: unknown): void => {
    if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) scanner.chunk(chunk);
  };
  const origWrite = req.write.bind(req) as (...a: unknown[]) => boolean;
  const origEnd = req.end.bind(req) as (...a: unknown[]) => http.ClientRequest;
  (req as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]): boolean => {
    capture(chunk);
    return origWrite(chunk, ...rest);
  };
  (req as { end: unknown }).end = (chunk?: unknown, ...rest: unknown[]): http.ClientRequest => {
    if (chunk !== undefined && typeof chunk !== 'function') capture(chunk);
    return origEnd(chunk, ...rest);
  };
  let finished = false;
  const done = (): void => {
    if (finished) return;
    finished = true;
    const ms = performance.now() - t0;
    scanner.url(req.path);
    for (const id of scanner.ids) {
      sfWait.set(id, (sfWait.get(id) ?? 0) + ms);
      // The first call carrying it (a stamp once set stays): a retry's call does not move them.
      stamp(id, 'callStart', t0);
      stamp(id, 'callEnd', t0 + ms);
    }
  };
  req.once('response', (res: http.IncomingMessage) => {
    res.once('end', done);
    res.once('close', done);
  });
  req.once('error', done);
  req.once('close', done);
  return req;
};
(http as { request: unknown }).request = timedRequest;

/**
 * The request's arrival at the server and the end of the answer to it, stamped for the handoffId the
 * answer names (the service's answers carry it; other requests name none and are not stamped).
 */
const ANSWER_ID = /"handoffId"\s*:\s*"([^"\\]{1,200})"/;
// Called below with .call(this): the server it was read from.
// eslint-disable-next-line @typescript-eslint/unbound-method
const origEmit = http.Server.prototype.emit;
const stampedEmit = function (this: http.Server, event: string, ...args: unknown[]): boolean {
  if (event === 'request') {
    const arrived = performance.now();
    const res = args[1] as http.ServerResponse;
    const origEnd = res.end.bind(res) as (...a: unknown[]) => http.ServerResponse;
    (res as { end: unknown }).end = (chunk?: unknown, ...rest: unknown[]): http.ServerResponse => {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
      const id = ANSWER_ID.exec(text)?.[1];
      const result = origEnd(chunk, ...rest);
      if (id !== undefined) {
        stamp(id, 'request', arrived);
        stamp(id, 'answered', performance.now());
      }
      return result;
    };
  }
  return (origEmit as (this: http.Server, e: string, ...a: unknown[]) => boolean).call(this, event, ...args);
} as typeof http.Server.prototype.emit;
if (PHASES_ON) http.Server.prototype.emit = stampedEmit;

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

/** The highest of each part of the process's memory, sampled every 50 ms: what the peak RSS is made of. */
const memoryPeak = { rssMb: 0, heapTotalMb: 0, heapUsedMb: 0, externalMb: 0, arrayBuffersMb: 0 };
const sampleMemory = (): void => {
  const m = process.memoryUsage();
  const mb = (n: number): number => Math.round((n / 1048576) * 10) / 10;
  memoryPeak.rssMb = Math.max(memoryPeak.rssMb, mb(m.rss));
  memoryPeak.heapTotalMb = Math.max(memoryPeak.heapTotalMb, mb(m.heapTotal));
  memoryPeak.heapUsedMb = Math.max(memoryPeak.heapUsedMb, mb(m.heapUsed));
  memoryPeak.externalMb = Math.max(memoryPeak.externalMb, mb(m.external));
  memoryPeak.arrayBuffersMb = Math.max(memoryPeak.arrayBuffersMb, mb(m.arrayBuffers));
};
setInterval(sampleMemory, 50).unref();
/** Every 500 ms: [seconds since start, RSS MB, heap used MB] (kept in the trace file, not printed). */
const memoryTimeline: [number, number, number][] = [];
const started = performance.now();
setInterval(() => {
  const m = process.memoryUsage();
  memoryTimeline.push([
    Math.round((performance.now() - started) / 100) / 10,
    Math.round(m.rss / 1048576),
    Math.round(m.heapUsed / 1048576),
  ]);
}, 500).unref();

process.on('exit', () => {
  const file = process.env.BENCH_TRACE_FILE;
  if (!file) return;
  const out: Record<string, unknown> = {};
  for (const [name, a] of acc) {
    const sorted = [...a.samples].sort((x, y) => x - y);
    const q = (p: number): number =>
      sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
    out[name] = {
      calls: a.calls,
      totalMs: a.totalMs,
      meanMs: a.totalMs / a.calls,
      p50Ms: q(50),
      p99Ms: q(99),
      maxMs: a.maxMs,
    };
  }
  out.eventLoopDelay = {
    meanMs: loop.mean / 1e6,
    p50Ms: loop.percentile(50) / 1e6,
    p99Ms: loop.percentile(99) / 1e6,
    maxMs: loop.max / 1e6,
  };
  sampleMemory();
  out.memoryPeak = memoryPeak;
  writeFileSync(
    file,
    JSON.stringify({
      summary: out,
      memoryTimeline,
      sfWait: Object.fromEntries(sfWait),
      phases: Object.fromEntries(stamps),
    }),
  );
});
