/**
 * The service's own Prometheus histograms, read from GET /metrics before and after a scenario: how
 * long handoffs waited to leave in a call and which coalescing rule held them
 * (fsc_handoff_coalescing_wait_seconds{held_by}), how long the durable accept took
 * (fsc_handoff_accept_duration_seconds), and the garbage collector's pauses
 * (nodejs_gc_duration_seconds{kind}). The difference of two scrapes is the scenario's own.
 */

/** One labelled series of a histogram: cumulative bucket counts by upper bound (seconds). */
export interface HistogramSeries {
  buckets: { le: number; count: number }[];
  count: number;
  sum: number;
}

/** Series of one histogram by the value of `label` ('' when it has none). */
export type Histogram = Map<string, HistogramSeries>;

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Reads one histogram (`name`) out of Prometheus text, its series keyed by `label`'s value. */
export function parseHistogram(text: string, name: string, label?: string): Histogram {
  const out: Histogram = new Map();
  const series = (key: string): HistogramSeries => {
    let s = out.get(key);
    if (!s) {
      s = { buckets: [], count: 0, sum: 0 };
      out.set(key, s);
    }
    return s;
  };
  for (const line of text.split('\n')) {
    const m = LINE.exec(line.trim());
    if (!m || !m[1]?.startsWith(name)) continue;
    const suffix = m[1].slice(name.length);
    if (suffix !== '_bucket' && suffix !== '_count' && suffix !== '_sum') continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = l[2] as string;
    const value = Number(m[3]);
    const s = series(label ? (labels[label] ?? '') : '');
    if (suffix === '_bucket')
      s.buckets.push({ le: labels.le === '+Inf' ? Infinity : Number(labels.le), count: value });
    else if (suffix === '_count') s.count = value;
    else s.sum = value;
  }
  for (const s of out.values()) s.buckets.sort((a, b) => a.le - b.le);
  return out;
}

/** What happened between two scrapes (after − before), series that saw nothing left out. */
export function histogramDelta(after: Histogram, before: Histogram): Histogram {
  const out: Histogram = new Map();
  for (const [key, a] of after) {
    const b = before.get(key);
    const count = a.count - (b?.count ?? 0);
    if (count <= 0) continue;
    out.set(key, {
      count,
      sum: a.sum - (b?.sum ?? 0),
      buckets: a.buckets.map((x) => ({
        le: x.le,
        count: x.count - (b?.buckets.find((y) => y.le === x.le)?.count ?? 0),
      })),
    });
  }
  return out;
}

/** The upper bound (seconds) of the bucket holding quantile q: "p99 ≤ this". Infinity past the last. */
export function bucketQuantile(s: HistogramSeries, q: number): number {
  const rank = Math.ceil(q * s.count);
  for (const b of s.buckets) if (b.count >= rank) return b.le;
  return Infinity;
}

const ms = (seconds: number): string =>
  seconds === Infinity ? '∞' : `${Math.round(seconds * 1000 * 10) / 10} ms`;

/** The order rules are listed in: what left at once first, then the coalescing rules, then slots. */
const RULES = ['none', 'filling', 'accepts', 'saturated', 'no_slot'];

/** A series in a few words: "1500 (p50 ≤ 1 ms, p99 ≤ 2.5 ms, mean 0.4 ms)". */
export function describeSeries(s: HistogramSeries): string {
  return (
    `${s.count} (p50 ≤ ${ms(bucketQuantile(s, 0.5))}, p99 ≤ ${ms(bucketQuantile(s, 0.99))}, ` +
    `mean ${ms(s.sum / s.count)})`
  );
}

/**
 * One line: for each rule, how many handoffs left in calls it held, their p50 and p99 bucket bounds
 * and mean wait; e.g. "none 1500 (p50 ≤ 1 ms, p99 ≤ 2.5 ms, mean 0.4 ms), accepts 300 (…)".
 */
export function describeWaits(waits: Histogram): string {
  const keys = [...waits.keys()].sort((a, b) => {
    const ia = RULES.indexOf(a);
    const ib = RULES.indexOf(b);
    return (ia < 0 ? RULES.length : ia) - (ib < 0 ? RULES.length : ib) || a.localeCompare(b);
  });
  return keys.map((k) => `${k} ${describeSeries(waits.get(k) as HistogramSeries)}`).join(', ');
}

/** Full collections first: they are the long pauses. */
const GC_KINDS = ['major', 'incremental', 'minor', 'weakcb'];

/**
 * One line of garbage collection pauses by kind: how many, their total, and the bucket bound of the
 * longest; e.g. "major 4 (31 ms in all, each ≤ 25 ms), minor 50 (180 ms in all, each ≤ 10 ms)".
 */
export function describeGc(pauses: Histogram): string {
  const rank = (k: string): number => (GC_KINDS.includes(k) ? GC_KINDS.indexOf(k) : GC_KINDS.length);
  return [...pauses.keys()]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((k) => {
      const s = pauses.get(k) as HistogramSeries;
      return `${k} ${s.count} (${ms(s.sum)} in all, each ≤ ${ms(bucketQuantile(s, 1))})`;
    })
    .join(', ');
}
