import { cpuMsFromStat, readCpuMs } from '../../../../bench/lib/procs';

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
