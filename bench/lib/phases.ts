/**
 * A handoff's own time inside the service, split into the steps it waits on, from the stamps the
 * trace preload takes (bench/trace-preload.ts): the request reaches the server, its durable accept
 * begins and settles, the first call carrying it leaves and is answered, the answer to the bot is
 * written. Every session that chased the 200/s tail rebuilt this split by hand; `--trace` prints it.
 */
import { distribution, round } from './stats';

/** Stamps of one handoff (ms on the service's performance clock); a step not seen is absent. */
export interface PhaseStamps {
  request?: number;
  acceptBegin?: number;
  acceptEnd?: number;
  callStart?: number;
  callEnd?: number;
  answered?: number;
}

/** The steps of a handoff's own time, in the order they happen. */
export const PHASES = ['before the accept', 'the accept', 'waiting for its call', 'after its call'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * The four steps of one handoff (ms), and its own time (their sum: the time from request to answer
 * less the call); null unless every stamp is there in order.
 */
export function phasesOf(s: PhaseStamps): { own: number; parts: Record<Phase, number> } | null {
  const { request, acceptBegin, acceptEnd, callStart, callEnd, answered } = s;
  if (
    request === undefined ||
    acceptBegin === undefined ||
    acceptEnd === undefined ||
    callStart === undefined ||
    callEnd === undefined ||
    answered === undefined
  )
    return null;
  if (!(request <= acceptBegin && acceptBegin <= acceptEnd && acceptBegin <= callStart)) return null;
  if (!(callStart <= callEnd && callEnd <= answered)) return null;
  // A call that leaves while its accept commits (an early send) hides the rest of the accept: only
  // the part before the call left is the accept's own; one that outlasts the call shows after it.
  const parts: Record<Phase, number> = {
    'before the accept': acceptBegin - request,
    'the accept': Math.min(acceptEnd, callStart) - acceptBegin,
    'waiting for its call': Math.max(0, callStart - acceptEnd),
    'after its call': answered - callEnd,
  };
  return { own: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}

/**
 * The note: p50/p99 of each step over the handoffs given, and, of those whose own time exceeds
 * `slowMs`, how many had each step as their largest part. Null when no handoff has every stamp.
 */
export function describePhases(
  stamps: Readonly<Record<string, PhaseStamps>>,
  ids: readonly string[],
  slowMs = 10,
): string | null {
  const rows = ids.map((id) => stamps[id]).flatMap((s) => (s ? [phasesOf(s)] : []));
  const complete = rows.filter((r): r is NonNullable<typeof r> => r !== null);
  if (complete.length === 0) return null;
  const own = distribution(complete.map((r) => r.own));
  const steps = PHASES.map((p) => {
    const d = distribution(complete.map((r) => r.parts[p]));
    return `${p} p50 ${round(d.p50, 2)} / p99 ${round(d.p99, 2)} ms`;
  });
  const slow = complete.filter((r) => r.own > slowMs);
  const largest = new Map<Phase, number>();
  for (const r of slow) {
    let top: Phase = PHASES[0];
    for (const p of PHASES) if (r.parts[p] > r.parts[top]) top = p;
    largest.set(top, (largest.get(top) ?? 0) + 1);
  }
  const split =
    slow.length === 0
      ? `none over ${slowMs} ms`
      : `of the ${slow.length} over ${slowMs} ms, the largest part was ` +
        PHASES.filter((p) => largest.has(p))
          .map((p) => `${p} in ${largest.get(p)}`)
          .join(', ');
  return (
    `own time inside the service by step (${complete.length} handoffs; request to answer, less the call): ` +
    `p50 ${round(own.p50, 2)} / p99 ${round(own.p99, 2)} ms; ${steps.join('; ')}; ${split}`
  );
}
