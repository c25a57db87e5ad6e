/**
 * `npm run bench -- --trace`: loaded into the service with `node --require` (compiled beside it), it
 * times the store's methods and the event loop's delay without touching the service's code, and
 * writes the totals to BENCH_TRACE_FILE when the process exits. Timing wrappers only: every call is
 * passed through unchanged.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

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

function wrap(proto: Record<string, unknown>, name: string, label: string): void {
  const orig = proto[name];
  if (typeof orig !== 'function') return;
  const fn = orig as AnyFn;
  proto[name] = function (this: unknown, ...args: unknown[]): unknown {
    // The SQLite store works synchronously inside the call; the promise it returns is already settled.
    const t0 = performance.now();
    try {
      return fn.apply(this, args);
    } finally {
      record(label, performance.now() - t0);
    }
  };
}

const root = join(__dirname, '..');
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(join(root, 'src', 'delivery', 'store', 'sqlite-store.js')) as {
    SqliteHandoffStore?: { prototype: Record<string, unknown> };
  };
  const proto = mod.SqliteHandoffStore?.prototype;
  if (proto) {
    for (const m of [
      'accept',
      'get',
      'claimBatch',
      'markDelivered',
      'markRetry',
      'markDeadLetter',
      'renewLease',
      'listAwaitingAgent',
      'stats',
    ]) {
      wrap(proto, m, `store.${m}`);
    }
  }
} catch {
  // no SQLite store in this tree: nothing to time
}

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

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
  writeFileSync(file, JSON.stringify(out));
});
