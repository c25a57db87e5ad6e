import { handoffRequestSchema } from '../../../src/contract/handoff';
import {
  conversationStateFromHandoff,
  conversationStateSchema,
  evaluateEscalation,
} from '../../../src/policy';
import { handoff } from '../../support/handoff-factory';
import { defaultPolicy } from './helpers';

describe('conversationStateFromHandoff', () => {
  const h = handoffRequestSchema.parse(handoff());
  const state = conversationStateFromHandoff(h);

  it('produces a state the evaluate endpoint would accept as is', () => {
    expect(conversationStateSchema.parse(state)).toEqual(state);
  });

  it('reads the customer turns, timing, verification and this transfer', () => {
    expect(state.customerMessages.map((m) => m.text)).toEqual([
      'My card got declined in Lisbon',
      'it just says declined, I am stuck at the hotel',
      'I want to talk to a person',
    ]);
    expect(state).toMatchObject({
      startedAt: '2026-11-21T09:58:00Z',
      lastActivityAt: '2026-11-21T10:00:05Z',
      transfers: 1,
      verification: { verified: true, method: 'otp', failedAttempts: 0 },
      segment: 'premier',
      botEscalationReason: 'customer_requested_agent',
    });
  });

  it('counts a bot-reported transfer_count and a repeated_transfer reason as transfers', () => {
    const counted = handoffRequestSchema.parse(
      handoff({ operational: { collectedFields: { transfer_count: 3 } } }),
    );
    expect(conversationStateFromHandoff(counted).transfers).toBe(3);
    const repeated = handoffRequestSchema.parse(
      handoff({ intent: { escalation: { reason: 'repeated_transfer' } } }),
    );
    expect(conversationStateFromHandoff(repeated).transfers).toBe(2);
  });

  it('gives the same evaluation of the card journey whoever built the state', () => {
    const now = new Date('2026-11-21T10:00:06Z');
    const ev = evaluateEscalation(state, defaultPolicy(), now);
    expect(ev.fired.map((f) => f.rule)).toEqual(['negative-sentiment', 'asks-for-a-person']);
  });
});
