/**
 * PreparedHandoffs for plan, salesforce and contract tests: the factory's card-declined-abroad journey,
 * validated, with a routing decision and an evaluation as the decide step would produce them.
 */
import { handoffRequestSchema, type HandoffRequestInput } from '../../../src/contract/handoff';
import type { PreparedHandoff } from '../../../src/contract/prepared';
import type { RoutingDecision } from '../../../src/contract/routing';
import type { ResolvedIds } from '../../../src/plan';
import { handoff } from '../../support/handoff-factory';

export const IDS: ResolvedIds = {
  serviceChannelId: '0N9000000000001AAA',
  skills: {
    Cards: '0C5000000000001AAA',
    English: '0C5000000000002AAA',
    Fraud: '0C5000000000003AAA',
    Vulnerable_Support: '0C5000000000004AAA',
    Disputes: '0C5000000000005AAA',
    Senior_Support: '0C5000000000006AAA',
  },
  queues: { Handoff_General: '00G000000000001AAA', Handoff_Fraud: '00G000000000002AAA' },
};

export const SKILLS_DECISION: RoutingDecision = {
  mode: 'skills_based',
  skills: [
    { developerName: 'Cards', level: 5, additional: false },
    { developerName: 'English', level: 3, additional: true },
  ],
  priority: 2,
  casePriority: 'High',
  urgency: 'high',
  queue: null,
  dropAdditionalSkillsTimeout: 90,
  reasons: ['intent card.* → Cards', 'language en → English'],
};

export const QUEUE_DECISION: RoutingDecision = {
  mode: 'queue_based',
  skills: [],
  priority: 5,
  casePriority: 'Medium',
  urgency: 'medium',
  queue: 'Handoff_General',
  reasons: ['no skill applies'],
};

export function prepared(
  input: HandoffRequestInput = handoff(),
  decision: RoutingDecision = SKILLS_DECISION,
): PreparedHandoff {
  const h = handoffRequestSchema.parse(input);
  return {
    handoffId: h.handoffId,
    bodyHash: 'a'.repeat(64),
    receivedAt: '2026-11-21T10:00:06Z',
    handoff: h,
    decision,
    evaluation: {
      handoff: true,
      fired: [
        {
          rule: 'customer_asked',
          reason: 'The customer asked for a person',
          escalationReason: 'customer_requested_agent',
        },
      ],
      policyVersion: '2026-11-01',
      evaluatedAt: '2026-11-21T10:00:06Z',
    },
    redactions: [
      { kind: 'card_number', count: 2 },
      { kind: 'national_id', count: 1 },
    ],
  };
}
