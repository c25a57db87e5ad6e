import {
  bucketQuantile,
  describeGc,
  describeSeries,
  describeWaits,
  histogramDelta,
  parseHistogram,
} from '../../../../bench/lib/histograms';

/** Prometheus text as prom-client writes it, for a histogram with a held_by label. */
function scrape(
  counts: Record<string, [number, number, number, number]>,
  sums: Record<string, number>,
): string {
  const lines = [
    '# HELP fsc_handoff_coalescing_wait_seconds From acceptance to leaving in a Salesforce call',
    '# TYPE fsc_handoff_coalescing_wait_seconds histogram',
  ];
  for (const [rule, [b1, b2, b3, inf]] of Object.entries(counts)) {
    lines.push(`fsc_handoff_coalescing_wait_seconds_bucket{le="0.001",held_by="${rule}"} ${b1}`);
    lines.push(`fsc_handoff_coalescing_wait_seconds_bucket{le="0.01",held_by="${rule}"} ${b2}`);
    lines.push(`fsc_handoff_coalescing_wait_seconds_bucket{le="0.1",held_by="${rule}"} ${b3}`);
    lines.push(`fsc_handoff_coalescing_wait_seconds_bucket{le="+Inf",held_by="${rule}"} ${inf}`);
    lines.push(`fsc_handoff_coalescing_wait_seconds_sum{held_by="${rule}"} ${sums[rule]}`);
    lines.push(`fsc_handoff_coalescing_wait_seconds_count{held_by="${rule}"} ${inf}`);
  }
  lines.push('fsc_handoff_accepted_total 12');
  return lines.join('\n');
}

/** Parsed buckets with the bounds scrape() writes (0.001, 0.01, 0.1, +Inf), from their counts. */
function buckets(...counts: [number, number, number, number]): { le: number; count: number }[] {
  return [0.001, 0.01, 0.1, Infinity].map((le, i) => ({ le, count: counts[i] as number }));
}

describe('service histograms from GET /metrics', () => {
  const name = 'fsc_handoff_coalescing_wait_seconds';
  /** The coalescing-wait histogram, by held_by, out of a scrape of these counts and sums. */
  const waits = (...args: Parameters<typeof scrape>) => parseHistogram(scrape(...args), name, 'held_by');

  it('reads each labelled series with its cumulative buckets, count and sum, and nothing else', () => {
    const h = waits({ none: [8, 10, 10, 10], accepts: [0, 1, 3, 4] }, { none: 0.004, accepts: 0.2 });
    expect([...h.keys()].sort()).toEqual(['accepts', 'none']);
    expect(h.get('accepts')).toEqual({
      count: 4,
      sum: 0.2,
      buckets: buckets(0, 1, 3, 4),
    });
  });

  it('keeps what happened between two scrapes, leaving out series that saw nothing new', () => {
    const before = waits({ none: [5, 6, 6, 6], accepts: [0, 1, 3, 4] }, { none: 0.002, accepts: 0.2 });
    const after = waits(
      { none: [8, 10, 10, 10], accepts: [0, 1, 3, 4], saturated: [0, 0, 1, 2] },
      { none: 0.004, accepts: 0.2, saturated: 0.3 },
    );
    const d = histogramDelta(after, before);
    expect([...d.keys()].sort()).toEqual(['none', 'saturated']);
    expect(d.get('none')).toMatchObject({
      count: 4,
      buckets: buckets(3, 4, 4, 4),
    });
    expect(d.get('none')?.sum).toBeCloseTo(0.002, 9);
    expect(d.get('saturated')?.count).toBe(2);
  });

  it('places a quantile in the first bucket that holds its rank, and past the last bucket at infinity', () => {
    const s = {
      count: 100,
      sum: 1,
      buckets: buckets(50, 98, 99, 100),
    };
    expect(bucketQuantile(s, 0.5)).toBe(0.001);
    expect(bucketQuantile(s, 0.51)).toBe(0.01);
    expect(bucketQuantile(s, 0.99)).toBe(0.1);
    expect(bucketQuantile(s, 1)).toBe(Infinity);
  });

  it('describes the rules in a fixed order: at once first, then each rule that held calls', () => {
    const h = waits(
      { saturated: [0, 0, 1, 1], none: [9, 10, 10, 10], filling: [0, 2, 2, 2] },
      { saturated: 0.05, none: 0.001, filling: 0.01 },
    );
    expect(describeSeries(h.get('filling')!)).toBe('2 (p50 ≤ 10 ms, p99 ≤ 10 ms, mean 5 ms)');
    expect(describeWaits(h)).toBe(
      'none 10 (p50 ≤ 1 ms, p99 ≤ 10 ms, mean 0.1 ms), filling 2 (p50 ≤ 10 ms, p99 ≤ 10 ms, mean 5 ms), ' +
        'saturated 1 (p50 ≤ 100 ms, p99 ≤ 100 ms, mean 50 ms)',
    );
  });

  it('describes garbage collection pauses by kind, full collections first, with their total and longest bucket', () => {
    const text = [
      'nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} 3',
      'nodejs_gc_duration_seconds_bucket{le="0.01",kind="minor"} 5',
      'nodejs_gc_duration_seconds_bucket{le="+Inf",kind="minor"} 5',
      'nodejs_gc_duration_seconds_sum{kind="minor"} 0.012',
      'nodejs_gc_duration_seconds_count{kind="minor"} 5',
      'nodejs_gc_duration_seconds_bucket{le="0.001",kind="major"} 0',
      'nodejs_gc_duration_seconds_bucket{le="0.01",kind="major"} 1',
      'nodejs_gc_duration_seconds_bucket{le="+Inf",kind="major"} 2',
      'nodejs_gc_duration_seconds_sum{kind="major"} 0.031',
      'nodejs_gc_duration_seconds_count{kind="major"} 2',
    ].join('\n');
    expect(describeGc(parseHistogram(text, 'nodejs_gc_duration_seconds', 'kind'))).toBe(
      'major 2 (31 ms in all, each ≤ ∞), minor 5 (12 ms in all, each ≤ 10 ms)',
    );
  });
});
