import { distribution, percentile } from '../../../../bench/lib/stats';
import { parseServerTiming } from '../../../../bench/lib/progress';
import { areaOf } from '../../../../bench/lib/profile';
import { deltaCell, fmt, renderCompare } from '../../../../bench/lib/table';
import type { BenchResults, ScenarioRow } from '../../../../bench/lib/results';
import { checkTargets } from '../../../../bench/lib/targets';

describe('percentile (nearest rank)', () => {
  it('picks an observed sample, never an interpolation', () => {
    const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(s, 50)).toBe(5);
    expect(percentile(s, 95)).toBe(10);
    expect(percentile(s, 99)).toBe(10);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarises unsorted samples', () => {
    const d = distribution([30, 10, 20]);
    expect(d).toMatchObject({ count: 3, p50: 20, max: 30, mean: 20 });
  });
});

describe('parseServerTiming', () => {
  it('reads named durations', () => {
    const t = parseServerTiming('total;dur=12.5, salesforce;desc="SF";dur=10,cache');
    expect(t.get('total')).toBe(12.5);
    expect(t.get('salesforce')).toBe(10);
    expect(t.has('cache')).toBe(false);
    expect(parseServerTiming(undefined).size).toBe(0);
  });
});

describe('areaOf', () => {
  it('groups frames by package, src module and pseudo-frame', () => {
    expect(areaOf('file:///tmp/b/node_modules/zod/v4/core/schemas.js', 'parse')).toBe('zod');
    expect(areaOf('file:///tmp/b/node_modules/@swc/core/index.js', 'x')).toBe('@swc/core');
    expect(areaOf('/tmp/build/src/delivery/store/sqlite-store.js', 'accept')).toBe('src/delivery');
    expect(areaOf('/tmp/build/src/errors.js', 'x')).toBe('src/errors');
    expect(areaOf('node:internal/streams/readable', 'read')).toBe('node:internal');
    expect(areaOf('', '(garbage collector)')).toBe('(garbage collector)');
  });
});

function row(over: Partial<ScenarioRow>): ScenarioRow {
  const lat = { p50: 1, p95: 2, p99: 3, max: 4, mean: 1.5, count: 10 };
  return {
    scenario: 'burst',
    mode: 'coalesced',
    label: 'burst',
    sent: 10,
    accepted: 10,
    statuses: { '201': 10 },
    delivered: 10,
    durationS: 1,
    acceptedPerS: 100,
    drainS: 1,
    latencyMs: lat,
    serviceAddedMs: lat,
    serviceAddedSource: 'x',
    sfCalls: 1,
    sfCallsByFamily: { 'composite/graph': 1 },
    sfCallsPerHandoff: 0.1,
    sfWriteCalls: 1,
    sfWriteCallsPerHandoff: 0.1,
    peakRssMB: 100,
    notes: [],
    ...over,
  };
}

function results(rows: ScenarioRow[]): BenchResults {
  return {
    schema: 1,
    startedAt: '2026-11-21T12:00:00.000Z',
    finishedAt: '2026-11-21T12:01:00.000Z',
    commit: 'abcdef0123456789',
    dirty: false,
    machine: { cpus: 2, cpuModel: 'x', totalMemMB: 1, node: 'v20', platform: 'linux', loadavg1m: 0 },
    options: {},
    rows,
    targets: [],
  };
}

describe('compare', () => {
  it('says whether a change is better or worse by the metric', () => {
    const m = { name: 'calls/handoff', get: () => null, higherIsBetter: false, digits: 3 };
    expect(deltaCell(0.1, 0.05, m)).toBe('0.100 → 0.050 (-50.0%) better');
    expect(deltaCell(0.1, 0.2, m)).toBe('0.100 → 0.200 (+100.0%) worse');
    expect(deltaCell(0.1, 0.101, m)).toBe('0.100 → 0.101 (+1.0%)');
    expect(deltaCell(null, 1, m)).toBe('— → 1.000');
    expect(fmt(Number.NaN)).toBe('—');
  });

  it('matches rows by scenario and mode and lists the unmatched', () => {
    const base = results([row({}), row({ scenario: 'lone', label: 'lone' })]);
    const cur = results([row({ acceptedPerS: 200 }), row({ scenario: 'max', label: 'max' })]);
    const text = renderCompare(base, cur);
    expect(text).toContain('100.0 → 200.0 (+100.0%) better');
    expect(text).toContain('max (new)');
    expect(text).toContain('lone (only in base)');
  });
});

describe('checkTargets: the issue targets, judged on the worst of the runs', () => {
  const o = { floor: false, burst: 500, r200Rate: 200 };
  const lat = (p99: number) => ({ p50: 1, p95: 2, p99, max: p99, mean: 1, count: 10 });
  const verdict = (rows: ScenarioRow[], target: RegExp) =>
    checkTargets(rows, o).find((t) => target.test(t.target));

  it('one run per scenario: judged and shown as before', () => {
    const burst = verdict(
      [row({ scenario: 'burst', sfWriteCalls: 20, sfWriteCallsPerHandoff: 0.04, sfCallsPerHandoff: 0.04 })],
      /burst/,
    );
    expect(burst).toMatchObject({ met: true });
    expect(burst?.measured).toBe('0.04 write calls/handoff (20 calls); 0.04 with the AgentWork polls');
  });

  it('a burst that misses in one of three runs misses, and every run is shown', () => {
    const runs = [0.04, 0.058, 0.036].map((v, i) =>
      row({
        scenario: 'burst',
        label: `burst · run ${i + 1}/3`,
        sfWriteCallsPerHandoff: v,
        sfWriteCalls: v * 500,
      }),
    );
    const burst = verdict(runs, /burst/);
    expect(burst?.met).toBe(false);
    expect(burst?.measured).toContain('0.04, 0.058, 0.036 write calls/handoff');
    expect(burst?.measured).toContain('highest of 3 runs');
  });

  it('latency is judged on the highest p99, throughput on the lowest rate', () => {
    const rows = [
      row({ scenario: 'r200', serviceAddedMs: lat(8) }),
      row({ scenario: 'r200', serviceAddedMs: lat(12) }),
      row({ scenario: 'max', acceptedPerS: 1200 }),
      row({ scenario: 'max', acceptedPerS: 950 }),
    ];
    expect(verdict(rows, /latency/)).toMatchObject({ met: false });
    expect(verdict(rows, /latency/)?.measured).toContain('8, 12 ms');
    expect(verdict(rows, /durably/)).toMatchObject({ met: false });
    expect(verdict(rows, /durably/)?.measured).toContain('lowest of 2 runs');
    const good = [
      row({ scenario: 'r200', serviceAddedMs: lat(8) }),
      row({ scenario: 'max', acceptedPerS: 1200 }),
    ];
    expect(verdict(good, /latency/)).toMatchObject({ met: true });
    expect(verdict(good, /durably/)).toMatchObject({ met: true });
  });

  it('a run that did not measure leaves the target undecided; the floor is never judged', () => {
    const rows = [
      row({ scenario: 'lone', sfWriteCallsPerHandoff: 1 }),
      row({ scenario: 'lone', sfWriteCallsPerHandoff: null }),
    ];
    expect(verdict(rows, /lone/)).toMatchObject({ met: null });
    const floor = checkTargets([row({ scenario: 'burst', mode: 'floor' })], { ...o, floor: true });
    expect(floor.every((t) => t.met === null)).toBe(true);
    expect(floor[0]?.measured).toMatch(/floor reference/);
  });
});
