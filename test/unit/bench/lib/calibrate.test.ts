import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { calibrate, describeCalibration, fsyncSamples, wakeSamples } from '../../../../bench/lib/calibrate';

describe('bench calibration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(os.tmpdir(), 'fsc-calibrate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('measures the CPU workload, memory latency, fsync latency and thread wake-up, and leaves nothing behind', async () => {
    const c = await calibrate(dir, { cpuRounds: 50, fsyncs: 10, memoryMb: 1, wakes: 5 });
    expect(c.cpuMs).toBeGreaterThan(0);
    // (an fsync on tmpfs can round to 0 ms)
    expect(Number.isFinite(c.fsyncP50Ms) && Number.isFinite(c.fsyncP99Ms)).toBe(true);
    expect(c.memoryNs).toBeGreaterThan(0);
    expect(c.wakeP50Ms).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('times each fsync’d write', () => {
    expect(fsyncSamples(dir, 5)).toHaveLength(5);
  });

  it('does not time the thread’s start as a wake-up', async () => {
    // A thread that takes 400 ms to start listening: only the untimed first round trip waits for it.
    const slowStart =
      'const t = Date.now(); while (Date.now() - t < 400) {} ' +
      "require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m));";
    const samples = await wakeSamples(3, slowStart);
    expect(samples).toHaveLength(3);
    expect(Math.max(...samples)).toBeLessThan(400);
  });

  it('says how far a run’s machine was from the base’s', () => {
    const base = { cpuMs: 100, memoryNs: 100, fsyncP50Ms: 0.4, fsyncP99Ms: 5, wakeP50Ms: 0.1, wakeP99Ms: 1 };
    const now = { cpuMs: 150, memoryNs: 245, fsyncP50Ms: 0.5, fsyncP99Ms: 6, wakeP50Ms: 0.55, wakeP99Ms: 45 };
    expect(describeCalibration(now, base)).toBe(
      'CPU workload 150 ms, memory 245 ns per random read, fsync p50 0.5 / p99 6 ms, thread wake p50 0.55 / p99 45 ms ' +
        '(base: 100 ms, 100 ns, 0.4 / 5 ms, 0.1 / 1 ms; CPU +50 %, memory +145 %, wake p50 +450 %)',
    );
    expect(describeCalibration(base)).toBe(
      'CPU workload 100 ms, memory 100 ns per random read, fsync p50 0.4 / p99 5 ms, thread wake p50 0.1 / p99 1 ms',
    );
  });
});
