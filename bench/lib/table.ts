/** Plain-text rendering of the one result table and of a comparison between two result files. */
import { describeCalibration } from './calibrate';
import type { BenchResults, ScenarioRow } from './results';

type Align = 'left' | 'right';

export function renderGrid(header: string[], rows: string[][], align: Align[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (s: string, i: number): string =>
    align[i] === 'left' ? s.padEnd(widths[i] ?? 0) : s.padStart(widths[i] ?? 0);
  const line = (r: string[]): string => `| ${r.map((s, i) => cell(s, i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (align[i] === 'left' ? `${'-'.repeat(w + 1)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function fmt(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return n.toFixed(digits);
}

const HEADER = [
  'scenario',
  'sent',
  'accepted/s',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'svc p50',
  'svc p95',
  'svc p99',
  'SF calls',
  'calls/handoff',
  'writes/handoff',
  'drain s',
  'peak RSS MB',
];
const ALIGN: Align[] = ['left', ...HEADER.slice(1).map((): Align => 'right')];

export function rowCells(r: ScenarioRow): string[] {
  const acceptedPct = r.sent > 0 && r.accepted < r.sent ? ` (${r.accepted}/${r.sent})` : '';
  return [
    r.label,
    `${r.sent}${acceptedPct}`,
    fmt(r.acceptedPerS, 1),
    fmt(r.latencyMs.p50),
    fmt(r.latencyMs.p95),
    fmt(r.latencyMs.p99),
    fmt(r.serviceAddedMs.p50, 2),
    fmt(r.serviceAddedMs.p95, 2),
    fmt(r.serviceAddedMs.p99, 2),
    String(r.sfCalls),
    fmt(r.sfCallsPerHandoff, 3),
    fmt(r.sfWriteCallsPerHandoff, 3),
    fmt(r.drainS, 1),
    fmt(r.peakRssMB, 0),
  ];
}

export function renderTable(rows: readonly ScenarioRow[]): string {
  return renderGrid(HEADER, rows.map(rowCells), ALIGN);
}

interface Metric {
  name: string;
  get: (r: ScenarioRow) => number | null;
  /** Whether a larger value is better (for the arrow). */
  higherIsBetter: boolean;
  digits: number;
}

const METRICS: Metric[] = [
  { name: 'accepted/s', get: (r) => r.acceptedPerS, higherIsBetter: true, digits: 1 },
  { name: 'p50 ms', get: (r) => r.latencyMs.p50, higherIsBetter: false, digits: 1 },
  { name: 'p99 ms', get: (r) => r.latencyMs.p99, higherIsBetter: false, digits: 1 },
  { name: 'svc p99 ms', get: (r) => r.serviceAddedMs.p99, higherIsBetter: false, digits: 2 },
  { name: 'calls/handoff', get: (r) => r.sfCallsPerHandoff, higherIsBetter: false, digits: 3 },
  { name: 'writes/handoff', get: (r) => r.sfWriteCallsPerHandoff ?? null, higherIsBetter: false, digits: 3 },
  { name: 'peak RSS MB', get: (r) => r.peakRssMB, higherIsBetter: false, digits: 0 },
];

/** A delta cell: "12.0 → 10.0 (-16.7%) better". */
export function deltaCell(before: number | null, after: number | null, m: Metric): string {
  if (before === null && after === null) return '—';
  if (before === null || after === null) return `${fmt(before, m.digits)} → ${fmt(after, m.digits)}`;
  const diff = after - before;
  const pct = before === 0 ? (diff === 0 ? 0 : Number.POSITIVE_INFINITY) : (diff / Math.abs(before)) * 100;
  const pctText = Number.isFinite(pct) ? `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%` : 'new';
  const verdict = Math.abs(pct) < 5 ? '' : diff > 0 === m.higherIsBetter ? ' better' : ' worse';
  return `${fmt(before, m.digits)} → ${fmt(after, m.digits)} (${pctText})${verdict}`;
}

/** Rows matched by scenario and mode; rows present on one side only are listed as such. */
export function renderCompare(base: BenchResults, current: BenchResults): string {
  const key = (r: ScenarioRow): string => `${r.scenario}/${r.mode}`;
  const baseRows = new Map(base.rows.map((r) => [key(r), r]));
  const header = ['scenario', ...METRICS.map((m) => m.name)];
  const out: string[][] = [];
  for (const r of current.rows) {
    const b = baseRows.get(key(r));
    if (!b) {
      out.push([`${r.label} (new)`, ...METRICS.map((m) => fmt(m.get(r), m.digits))]);
      continue;
    }
    baseRows.delete(key(r));
    out.push([r.label, ...METRICS.map((m) => deltaCell(m.get(b), m.get(r), m))]);
  }
  for (const b of baseRows.values()) out.push([`${b.label} (only in base)`, ...METRICS.map(() => '')]);
  const title = `Compared with ${base.commit.slice(0, 10)}${base.dirty ? '+dirty' : ''} (${base.startedAt}) → ${current.commit.slice(0, 10)}${current.dirty ? '+dirty' : ''} (${current.startedAt})`;
  const cal = current.machine.calibration;
  const speed = cal
    ? `\nMachine speed: ${describeCalibration(cal, base.machine.calibration)}${base.machine.calibration ? '' : ' (the base has no calibration)'}`
    : '';
  return `${title}${speed}\n${renderGrid(header, out, ['left', ...METRICS.map((): Align => 'right')])}`;
}
