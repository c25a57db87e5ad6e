/**
 * An in-memory Deliverer for unit tests only (production uses src/delivery's durable one). It keeps
 * what it was given, answers replay/conflict by handoffId + bodyHash like the durable store, and
 * "delivers" through a function the test chooses.
 */
import type { PreparedHandoff } from '../../src/contract/prepared';
import type {
  DeliveredOutcome,
  Deliverer,
  HandoffRecord,
  ReadinessCheck,
  SubmitResult,
} from '../../src/service/deliverer';

/** What delivering one handoff does: a delivered outcome, or 'pending' (the budget ran out). */
export type DeliverFn = (prepared: PreparedHandoff) => Promise<DeliveredOutcome | 'pending'>;

let caseCounter = 0;

export const deliverAtOnce: DeliverFn = (prepared) => {
  caseCounter += 1;
  const n = String(caseCounter).padStart(6, '0');
  return Promise.resolve({
    kind: 'delivered',
    handoffId: prepared.handoffId,
    caseId: `500000000${n}AAA`,
    caseNumber: `00${n}`,
    handoffRecordId: `a0B000000${n}AAA`,
    enrichedExistingCase: Boolean(prepared.handoff.operational.existingCaseId),
    salesforceApiCalls: 1,
  });
};

export const neverInBudget: DeliverFn = () => Promise.resolve('pending');

export interface MemoryDeliverer extends Deliverer {
  /** Everything submitted (accepted or not), in order. */
  readonly submitted: PreparedHandoff[];
  /** What is stored, by handoffId. */
  readonly records: Map<string, { prepared: PreparedHandoff; record: HandoffRecord }>;
  ready: boolean;
  closed: boolean;
}

export function createMemoryDeliverer(deliver: DeliverFn = deliverAtOnce): MemoryDeliverer {
  const records = new Map<string, { prepared: PreparedHandoff; record: HandoffRecord }>();
  const submitted: PreparedHandoff[] = [];
  const self: MemoryDeliverer = {
    submitted,
    records,
    ready: true,
    closed: false,
    async submit(prepared): Promise<SubmitResult> {
      submitted.push(prepared);
      const existing = records.get(prepared.handoffId);
      if (existing) {
        return {
          state: existing.record.bodyHash === prepared.bodyHash ? 'replay' : 'conflict',
          record: structuredClone(existing.record),
        };
      }
      const record: HandoffRecord = {
        handoffId: prepared.handoffId,
        bodyHash: prepared.bodyHash,
        state: 'accepted',
        receivedAt: prepared.receivedAt,
        decision: prepared.decision,
        redactions: prepared.redactions,
        outcome: null,
        lastError: null,
        salesforceApiCalls: 0,
        agent: null,
      };
      records.set(prepared.handoffId, { prepared, record });
      const result = await deliver(prepared);
      if (result === 'pending') {
        record.state = 'delivering';
        return { state: 'pending', record: structuredClone(record) };
      }
      record.state = 'routed';
      record.outcome = result;
      record.salesforceApiCalls += result.salesforceApiCalls;
      return { state: 'delivered', record: structuredClone(record) };
    },
    status(handoffId) {
      const found = records.get(handoffId);
      return Promise.resolve(found ? structuredClone(found.record) : null);
    },
    readiness(): Promise<ReadinessCheck[]> {
      return Promise.resolve([{ name: 'memory store', ok: self.ready }]);
    },
    close() {
      self.closed = true;
      return Promise.resolve();
    },
  };
  return self;
}
