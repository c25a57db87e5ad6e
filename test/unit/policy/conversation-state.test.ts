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

  it('takes the earliest and latest times of the transcript and intents, in any order and notation', () => {
    const h2 = handoffRequestSchema.parse(
      handoff({
        conversation: {
          transcript: [
            { at: '2026-11-21T10:00:05Z', from: 'customer', text: 'third' },
            { at: '2026-11-21T09:59:00Z', from: 'bot', text: 'second' },
            { at: '2026-11-21T09:58:00+00:00', from: 'customer', text: 'first' },
          ],
        },
        intent: {
          history: [
            { name: 'greeting', outcome: 'resolved', at: '2026-11-21T09:58:00Z' },
            { name: 'agent.request', outcome: 'escalated', at: '2026-11-21T11:00:05+01:00' },
            { name: 'fallback', outcome: 'fallback' },
          ],
        },
      }),
    );
    // Equal instants: the first one written is the start, the last one written the latest activity
    // (what a stable sort by time gave).
    expect(conversationStateFromHandoff(h2)).toMatchObject({
      startedAt: '2026-11-21T09:58:00+00:00',
      lastActivityAt: '2026-11-21T11:00:05+01:00',
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
