/**
 * The targets, judged on the scenario rows of one bench run. With `--repeat N` a scenario has
 * N rows (one per run, each with a fresh emulator and service), and each target is judged on its
 * worst run: on a shared VM one good run proves little, and the spread is printed beside the verdict.
 */
import type { ScenarioRow, TargetCheck } from './results';

export interface TargetOptions {
  /** --floor: the rows are the floor reference's, not the service's; nothing is judged. */
  floor: boolean;
  burst: number;
  r200Rate: number;
}

/** The runs' values in run order, and which one is judged ("worst of N" when there are several). */
function spread(values: (number | null)[], unit: string, worst: 'max' | 'min'): string {
  const shown = values.map((v) => (v === null ? '—' : String(v))).join(', ');
  if (values.length < 2) return `${shown}${unit}`;
  return `${shown}${unit} (the ${worst === 'max' ? 'highest' : 'lowest'} of ${values.length} runs is judged)`;
}

/** The judged value: the highest (or lowest) of the runs; null if none ran or any did not measure it. */
function judged(values: (number | null)[], worst: 'max' | 'min'): number | null {
  if (values.length === 0 || values.some((v) => v === null)) return null;
  const nums = values as number[];
  return worst === 'max' ? Math.max(...nums) : Math.min(...nums);
}

export function checkTargets(rows: ScenarioRow[], o: TargetOptions): TargetCheck[] {
  const runs = (s: string): ScenarioRow[] => rows.filter((r) => r.scenario === s && r.mode === 'coalesced');
  const out: TargetCheck[] = [];
  // The floor reference is not the service: its rows are never checked against the targets.
  const notRun = o.floor ? 'not checked (--floor ran the floor reference, not the service)' : 'not run';

  const lone = runs('lone');
  const loneCalls = lone.map((r) => r.sfWriteCallsPerHandoff);
  const loneWorst = judged(loneCalls, 'max');
  out.push({
    target: 'one Salesforce API call for a lone handoff',
    measured:
      lone.length === 0
        ? notRun
        : lone.length === 1
          ? `${lone[0]?.sfWriteCallsPerHandoff ?? '—'} write calls/handoff; ${lone[0]?.sfCallsPerHandoff ?? '—'} with the AgentWork polls (${JSON.stringify(lone[0]?.sfCallsByFamily)})`
          : `${spread(loneCalls, ' write calls/handoff', 'max')}`,
    met: loneWorst === null ? null : loneWorst <= 1,
  });

  const burst = runs('burst');
  const burstCalls = burst.map((r) => r.sfWriteCallsPerHandoff);
  const burstWorst = judged(burstCalls, 'max');
  out.push({
    target: `at most 0.05 calls per handoff in a burst of ${o.burst}`,
    measured:
      burst.length === 0
        ? notRun
        : burst.length === 1
          ? `${burst[0]?.sfWriteCallsPerHandoff ?? '—'} write calls/handoff (${burst[0]?.sfWriteCalls} calls); ${burst[0]?.sfCallsPerHandoff ?? '—'} with the AgentWork polls`
          : `${spread(burstCalls, ' write calls/handoff', 'max')}; calls ${burst.map((r) => r.sfWriteCalls).join(', ')}`,
    met: burstWorst === null ? null : burstWorst <= 0.05,
  });

  const r200 = runs('r200');
  const p99s = r200.map((r) => r.serviceAddedMs.p99);
  const p99Worst = judged(p99s, 'max');
  out.push({
    target: `service's own added latency p99 < 10 ms at ${o.r200Rate}/s`,
    measured:
      r200.length === 0
        ? notRun
        : `p99 ${spread(p99s, ' ms', 'max')} (${r200.map((r) => r.acceptedPerS ?? '—').join(', ')}/s accepted)`,
    met: p99Worst === null ? null : p99Worst < 10,
  });

  const max = runs('max');
  const rates = max.map((r) => r.acceptedPerS);
  const rateWorst = judged(rates, 'min');
  out.push({
    target: '≥ 1,000 handoffs/s accepted durably (embedded store)',
    measured: max.length === 0 ? notRun : spread(rates, '/s', 'min'),
    met: rateWorst === null ? null : rateWorst >= 1000,
  });

  const peaks = rows
    .filter((r) => r.mode === 'coalesced' && r.peakRssMB !== null)
    .map((r) => r.peakRssMB as number);
  const peak = peaks.length > 0 ? Math.max(...peaks) : null;
  out.push({
    target: 'peak RSS of the service < 250 MB',
    measured: peak === null ? (o.floor ? notRun : 'not measured') : `${peak} MB (highest of the scenarios)`,
    met: peak === null ? null : peak < 250,
  });
  return out;
}
