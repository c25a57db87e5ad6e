import { Worker } from 'node:worker_threads';
import {
  cpuMsFromStat,
  describeRunQueue,
  readCpuMs,
  readSchedTimes,
  schedTimesFromText,
} from '../../../../bench/lib/procs';

describe('bench CPU time from /proc/<pid>/stat', () => {
  it('adds utime and stime (clock ticks of 10 ms), also when the command name holds spaces and ")"', () => {
    const tail = 'S 1 1 0 0 -1 4194560 900 0 3 0 1234 56 0 0 20 0 11 0 100 1000000 5000';
    expect(cpuMsFromStat(`42 (node) ${tail}`)).toBe(12_900);
    expect(cpuMsFromStat(`42 (a (b) c) ${tail}`)).toBe(12_900);
  });

  it('says null for a line it cannot read', () => {
    expect(cpuMsFromStat('42 (node) S 1 1')).toBeNull();
  });

  it('reads a live process, and its CPU time grows with work', () => {
    const before = readCpuMs(process.pid);
    if (before === null) return; // not Linux: nothing to read
    const until = process.cpuUsage().user + 60_000; // 60 ms of user CPU
    let x = 0;
    while (process.cpuUsage().user < until) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(readCpuMs(process.pid)).toBeGreaterThanOrEqual(before + 30);
  });
});

describe('bench run-queue times from /proc/<pid>/task/<tid>/schedstat', () => {
  it('reads ns on a CPU and ns waiting for one as ms', () => {
    expect(schedTimesFromText('2500000000 750000 1234\n')).toEqual({ runMs: 2500, waitMs: 0.75 });
    expect(schedTimesFromText('')).toBeNull();
    expect(schedTimesFromText('12 x 3')).toBeNull();
  });

  it('reads the request thread and all threads of a live process: another thread’s CPU counts in all only', async () => {
    const before = readSchedTimes(process.pid);
    if (before === null) return; // not Linux (or no schedstats): nothing to read
    // ~60 ms of CPU on another thread of this process, which then stays alive until it is read.
    const busy = new Worker(
      "const { parentPort } = require('node:worker_threads'); const t = Date.now(); " +
        "while (Date.now() - t < 60) {} parentPort.postMessage('done'); setInterval(() => {}, 1000);",
      { eval: true },
    );
    try {
      await new Promise((resolve) => busy.once('message', resolve));
      const after = readSchedTimes(process.pid);
      expect(after).not.toBeNull();
      const main = after!.main.runMs - before.main.runMs;
      const all = after!.all.runMs - before.all.runMs;
      expect(all - main).toBeGreaterThanOrEqual(40);
    } finally {
      await busy.terminate();
    }
  });

  it('describes the difference per handoff, and says nothing without both readings', () => {
    const start = { main: { runMs: 100, waitMs: 10 }, all: { runMs: 150, waitMs: 30 } };
    const end = { main: { runMs: 320, waitMs: 70 }, all: { runMs: 480, waitMs: 220 } };
    expect(describeRunQueue(start, end, 100)).toBe(
      "run queue per handoff, load and drain: the service's request thread ran 2.2 ms and waited 0.6 ms for a CPU; " +
        'all its threads ran 3.3 ms and waited 1.9 ms',
    );
    expect(describeRunQueue(null, end, 100)).toBeNull();
    expect(describeRunQueue(start, null, 100)).toBeNull();
    expect(describeRunQueue(start, end, 0)).toBeNull();
  });
});
