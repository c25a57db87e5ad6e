/** PreparedHandoffs for delivery tests, built from the canonical test journey. */
import { createHash } from 'node:crypto';
import { handoffRequestSchema } from '../../../src/contract/handoff';
import type { HandoffRequestInput } from '../../../src/contract/handoff';
import type { DeliveryOutcome, PreparedHandoff } from '../../../src/contract/prepared';
import { handoff } from '../../support/handoff-factory';

let seq = 0;

export function prepared(
  options: { handoffId?: string; callbackUrl?: string; detail?: string } = {},
): PreparedHandoff {
  seq += 1;
  const input: HandoffRequestInput = handoff({
    handoffId: options.handoffId ?? `ho-dlv-${process.pid}-${Date.now().toString(36)}-${seq}`,
    operational: options.callbackUrl ? { callbackUrl: options.callbackUrl } : {},
    intent: options.detail
      ? { escalation: { reason: 'customer_requested_agent', detail: options.detail } }
      : undefined,
  });
  const h = handoffRequestSchema.parse(input);
  return {
    handoffId: h.handoffId,
    bodyHash: createHash('sha256').update(JSON.stringify(input)).digest('hex'),
    receivedAt: '2026-11-21T10:00:06.000Z',
    handoff: h,
    decision: {
      mode: 'skills_based',
      skills: [{ developerName: 'Cards', level: 5, additional: false }],
      priority: 2,
      casePriority: 'High',
      urgency: 'high',
      queue: null,
      reasons: ['requested skill Cards'],
    },
    evaluation: null,
    redactions: [{ kind: 'card_number', count: 1 }],
  };
}

export function delivered(handoffId: string, n = 1): Extract<DeliveryOutcome, { kind: 'delivered' }> {
  return {
    kind: 'delivered',
    handoffId,
    caseId: `500${String(n).padStart(12, '0')}AAA`,
    caseNumber: String(n).padStart(8, '0'),
    handoffRecordId: `a01${String(n).padStart(12, '0')}AAA`,
    enrichedExistingCase: false,
    salesforceApiCalls: 1,
  };
}

export function failed(
  handoffId: string,
  retry: 'transient' | 'rate_limited' | 'permanent' | 'unknown_outcome',
  code = 'SERVER_ERROR',
): DeliveryOutcome {
  return { kind: 'failed', handoffId, retry, code, message: `${code} happened`, salesforceApiCalls: 1 };
}
