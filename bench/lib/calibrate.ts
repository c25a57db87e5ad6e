/**
 * How fast this machine is right now, measured before the scenarios: a fixed CPU workload (the
 * bench's own handoff, serialised, parsed and hashed, as the request path does), memory latency
 * (a pointer chase through 32 MB), fsync'd 4 KB
 * writes in the bench's temp dir (the store's commits), and a message to a thread and back after a
 * few idle ms (waking a sleeping thread: every handoff crosses several, the store's thread, the
 * emulator, the load generator; on an oversubscribed host this is what slows first). On a shared VM the same commit can measure
 * 3x apart an hour later (observed on 2026-11-21: svc p99 at 200/s 53 ms, then 150-226 ms; accepted/s
 * in max 1,159, then 734); two results are comparable only at similar calibration.
 */
import { createHash } from 'node:crypto';
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { benchHandoff } from './payload';
import { percentile } from './stats';

export interface Calibration {
  /** The CPU workload, best of three (ms; lower is faster). */
  cpuMs: number;
  /** 4 KB write + fdatasync, p50 and p99 of 200 (ms). */
  fsyncP50Ms: number;
  fsyncP99Ms: number;
  /** Random reads through 32 MB (a pointer chase past the caches): ns per read, best of three. */
  memoryNs: number;
  /** A thread woken after 5 ms idle and answering, p50 and p99 of 60 (ms). */
  wakeP50Ms: number;
  wakeP99Ms: number;
}

const CPU_ROUNDS = 2_000;
const FSYNCS = 200;
const WAKES = 60;

/** The CPU workload once: ms. */
export function cpuWorkload(rounds = CPU_ROUNDS): number {
  const handoff = benchHandoff('bench-calibration-0001', 'CUST-0001');
  const t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < rounds; i++) {
    const text = JSON.stringify(handoff);
    const parsed = JSON.parse(text) as { handoffId: string };
    sink += createHash('sha256').update(text).digest()[0]! + parsed.handoffId.length;
  }
  if (sink < 0) throw new Error('unreachable');
  return performance.now() - t0;
}

/**
 * ns per dependent random read through a 32 MB cycle: memory latency, which a tight CPU loop does not
 * see and the service's pointer-heavy request path does (a noisy neighbour on the host shows here).
 */
export function memoryLatencyNs(reads = 2_000_000, megabytes = 32): number {
  const n = (megabytes * 1024 * 1024) / 4;
  const next = new Int32Array(n);
  for (let i = 0; i < n; i++) next[i] = i;
  // Sattolo's shuffle: one cycle through every slot, in an order no prefetcher can guess.
  let seed = 0x2545f491;
  for (let i = n - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const k = seed % i;
    const t = next[i] as number;
    next[i] = next[k] as number;
    next[k] = t;
  }
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let j = 0;
    const t0 = performance.now();
    for (let i = 0; i < reads; i++) j = next[j] as number;
    best = Math.min(best, ((performance.now() - t0) * 1e6) / reads);
    if (j < 0) throw new Error('unreachable');
  }
  return best;
}

/** fsync'd writes of 4 KB into a file in `dir` (removed after): each one's ms. */
export function fsyncSamples(dir: string, n = FSYNCS): number[] {
  const file = join(dir, 'calibration.bin');
  const block = Buffer.alloc(4096, 7);
  const fd = openSync(file, 'w');
  const samples: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      writeSync(fd, block);
      fdatasyncSync(fd);
      samples.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return samples;
}

const ECHO =
  "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m));";

/**
 * Round trips to a thread that has been idle ~5 ms: each one's ms. The thread first answers one
 * message untimed: the first round trip waits for the thread to start (25–50 ms here), and with 60
 * samples that one alone would be the p99 (it was, in every run before 2026-11-22 fourth session).
 */
export async function wakeSamples(n = WAKES, source = ECHO): Promise<number[]> {
  const echo = new Worker(source, { eval: true });
  const roundTrip = (i: number) =>
    new Promise((resolve) => {
      echo.once('message', resolve);
      echo.postMessage(i);
    });
  const samples: number[] = [];
  try {
    await roundTrip(-1);
    for (let i = 0; i < n; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const t0 = performance.now();
      await roundTrip(i);
      samples.push(performance.now() - t0);
    }
  } finally {
    await echo.terminate();
  }
  return samples;
}

/** How much of each measurement calibrate takes (tests take less). */
export const CALIBRATION_SIZES = { cpuRounds: CPU_ROUNDS, fsyncs: FSYNCS, memoryMb: 32, wakes: WAKES };

export async function calibrate(dir: string, sizes = CALIBRATION_SIZES): Promise<Calibration> {
  const cpu = Math.min(...[0, 1, 2].map(() => cpuWorkload(sizes.cpuRounds)));
  const fsyncs = fsyncSamples(dir, sizes.fsyncs).sort((a, b) => a - b);
  const memory = memoryLatencyNs(2_000_000, sizes.memoryMb);
  const wakes = (await wakeSamples(sizes.wakes)).sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    cpuMs: round(cpu),
    fsyncP50Ms: round(percentile(fsyncs, 50)),
    fsyncP99Ms: round(percentile(fsyncs, 99)),
    memoryNs: Math.round(memory),
    wakeP50Ms: round(percentile(wakes, 50)),
    wakeP99Ms: round(percentile(wakes, 99)),
  };
}

/** One line for the report, and for a comparison the change between two calibrations. */
export function describeCalibration(c: Calibration, base?: Calibration): string {
  const pct = (a: number, b: number): string => `${b >= a ? '+' : ''}${Math.round(((b - a) / a) * 100)} %`;
  const now =
    `CPU workload ${c.cpuMs} ms, memory ${c.memoryNs} ns per random read, ` +
    `fsync p50 ${c.fsyncP50Ms} / p99 ${c.fsyncP99Ms} ms, thread wake p50 ${c.wakeP50Ms} / p99 ${c.wakeP99Ms} ms`;
  if (!base) return now;
  return (
    `${now} (base: ${base.cpuMs} ms, ${base.memoryNs} ns, ${base.fsyncP50Ms} / ${base.fsyncP99Ms} ms, ` +
    `${base.wakeP50Ms} / ${base.wakeP99Ms} ms; CPU ${pct(base.cpuMs, c.cpuMs)}, ` +
    `memory ${pct(base.memoryNs, c.memoryNs)}, wake p50 ${pct(base.wakeP50Ms, c.wakeP50Ms)})`
  );
}
