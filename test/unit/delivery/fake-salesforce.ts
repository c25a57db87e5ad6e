/**
 * A scripted stand-in for src/salesforce's deliverHandoffs + findDelivered, with the one property
 * the worker relies on: what a call committed stays committed. It counts how many times each
 * handoff was written, so tests can assert "exactly once".
 */
import type { DeliveryOutcome, PreparedHandoff } from '../../../src/contract/prepared';
import type { DeliveredOutcome } from '../../../src/delivery';
import { delivered } from './fixtures';

export type Step =
  | 'ok'
  | 'throw'
  /** Salesforce commits, but the answer is lost (a timeout after commit). */
  | 'commit_then_unknown'
  | { retry: 'transient' | 'rate_limited' | 'permanent' | 'unknown_outcome'; code: string; message?: string }
  /** Outcome per handoff id; ids not listed get 'ok'. */
  | { perHandoff: Record<string, 'ok' | { retry: 'transient' | 'permanent'; code: string }> }
  /** Waits for `release()` before answering 'ok'. */
  | { block: Promise<void> };

export class FakeSalesforce {
  readonly writes = new Map<string, number>();
  readonly batches: string[][] = [];
  readonly verified: string[][] = [];
  readonly script: Step[] = [];
  findFails = false;
  private caseSeq = 0;
  private readonly cases = new Map<string, DeliveredOutcome>();

  deliver = async (batch: PreparedHandoff[]): Promise<DeliveryOutcome[]> => {
    this.batches.push(batch.map((p) => p.handoffId));
    const step = this.script.shift() ?? 'ok';
    if (step === 'throw') throw new Error('socket hang up');
    if (typeof step === 'object' && 'block' in step) await step.block;
    return batch.map((p): DeliveryOutcome => {
      let s: Step | 'ok' | { retry: string; code: string } = step;
      if (typeof step === 'object' && 'perHandoff' in step) s = step.perHandoff[p.handoffId] ?? 'ok';
      if (s === 'ok' || (typeof s === 'object' && 'block' in s)) return this.commit(p.handoffId);
      if (s === 'commit_then_unknown') {
        this.commit(p.handoffId);
        return this.fail(p.handoffId, 'unknown_outcome', 'TIMEOUT', 'no answer within 30 s');
      }
      const f = s as {
        retry: 'transient' | 'rate_limited' | 'permanent' | 'unknown_outcome';
        code: string;
        message?: string;
      };
      return this.fail(p.handoffId, f.retry, f.code, f.message ?? `${f.code} from Salesforce`);
    });
  };

  findDelivered = (ids: string[]): Promise<DeliveredOutcome[]> => {
    this.verified.push([...ids]);
    if (this.findFails) return Promise.reject(new Error('query failed: 503'));
    return Promise.resolve(ids.flatMap((id) => (this.cases.has(id) ? [this.cases.get(id)!] : [])));
  };

  private commit(id: string): DeliveredOutcome {
    this.writes.set(id, (this.writes.get(id) ?? 0) + 1);
    const existing = this.cases.get(id);
    if (existing) return existing;
    this.caseSeq += 1;
    const o = delivered(id, this.caseSeq);
    this.cases.set(id, o);
    return o;
  }

  private fail(
    handoffId: string,
    retry: 'transient' | 'rate_limited' | 'permanent' | 'unknown_outcome',
    code: string,
    message: string,
  ): DeliveryOutcome {
    return { kind: 'failed', handoffId, retry, code, message, salesforceApiCalls: 1 };
  }
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
