import { evaluateEscalation } from '../../../src/policy';
import type { ConversationStateInput } from '../../../src/policy';
import { calmState, defaultPolicy, NOW } from './helpers';

const policy = defaultPolicy();

function firedFor(overrides: Partial<ConversationStateInput>): string[] {
  return evaluateEscalation(calmState(overrides), policy, NOW).fired.map((f) => f.rule);
}

function reasonOf(overrides: Partial<ConversationStateInput>, rule: string): string | undefined {
  return evaluateEscalation(calmState(overrides), policy, NOW).fired.find((f) => f.rule === rule)?.reason;
}

const at = (s: number) => new Date(Date.parse('2026-11-21T10:00:00Z') + s * 1000).toISOString();

describe('evaluateEscalation with the default policy', () => {
  it('when nothing is wrong, then no rule fires and the bot keeps the customer', () => {
    const ev = evaluateEscalation(calmState(), policy, NOW);
    expect(ev).toEqual({
      handoff: false,
      fired: [],
      policyVersion: '2026-11-21.1',
      evaluatedAt: NOW.toISOString(),
    });
  });

  describe('low-confidence-twice', () => {
    it('fires on two intents in a row below 0.60, with both named in the reason', () => {
      const intents = [
        { name: 'card.status', confidence: 0.55, at: at(5) },
        { name: 'card.limit', confidence: 0.41, at: at(8) },
      ];
      expect(firedFor({ intents })).toEqual(['low-confidence-twice']);
      expect(reasonOf({ intents }, 'low-confidence-twice')).toContain('card.status 0.55, card.limit 0.41');
    });
    it('does not fire when a confident intent sits between two low ones', () => {
      const intents = [
        { name: 'card.status', confidence: 0.55, at: at(5) },
        { name: 'card.status', confidence: 0.6, at: at(6) },
        { name: 'card.limit', confidence: 0.41, at: at(8) },
      ];
      expect(firedFor({ intents })).toEqual([]);
    });
    it('ignores fallbacks that carry no confidence (the fallback rule counts those)', () => {
      const intents = [
        { name: 'card.status', confidence: 0.5, at: at(5) },
        { name: 'FallbackIntent', outcome: 'fallback' as const, at: at(6) },
        { name: 'card.limit', confidence: 0.9, at: at(8) },
      ];
      expect(firedFor({ intents })).toEqual([]);
    });
  });

  describe('fallback-loop', () => {
    const fallback = (s: number) => ({ name: 'nlu_fallback', outcome: 'fallback' as const, at: at(s) });
    it('fires on the third fallback', () => {
      const intents = [fallback(1), fallback(2), { name: 'FallbackIntent', at: at(3) }];
      expect(firedFor({ intents })).toEqual(['fallback-loop']);
    });
    it('does not fire on two', () => {
      expect(
        firedFor({
          intents: [fallback(1), fallback(2), { name: 'account.balance', confidence: 0.9, at: at(3) }],
        }),
      ).toEqual([]);
    });
  });

  describe('critical-entity-missing', () => {
    it('fires when the bot asked for the payee once and it is still missing', () => {
      const intents = [
        { name: 'payment.send', confidence: 0.92, entities: { payee: null, iban_last4: '1234' }, at: at(5) },
      ];
      expect(reasonOf({ intents }, 'critical-entity-missing')).toBe(
        'critical information still missing after the bot asked for it: payee (asked 1×)',
      );
    });
    it('does not fire once the customer gave it later', () => {
      const intents = [
        { name: 'payment.send', confidence: 0.92, entities: { payee: null }, at: at(5) },
        { name: 'payment.send', confidence: 0.92, entities: { payee: 'J Smith' }, at: at(9) },
      ];
      expect(firedFor({ intents })).toEqual([]);
    });
    it('does not fire for an entity that is not critical', () => {
      expect(
        firedFor({
          intents: [{ name: 'payment.send', confidence: 0.9, entities: { memo: null }, at: at(5) }],
        }),
      ).toEqual([]);
    });
  });

  describe('negative-sentiment', () => {
    it('fires at a score of exactly the threshold', () => {
      expect(reasonOf({ sentiment: { label: 'negative', score: -0.5 } }, 'negative-sentiment')).toBe(
        'sentiment score -0.5 is at or below -0.5',
      );
    });
    it('does not fire just above it', () => {
      expect(firedFor({ sentiment: { label: 'negative', score: -0.49 } })).toEqual([]);
    });
    it('fires on a frustration phrase in any configured language, accents and case ignored', () => {
      for (const text of [
        'This is USELESS',
        'esto es una perdida de tiempo',
        "J'en ai marre",
        'Das ist Zeitverschwendung',
      ]) {
        expect(firedFor({ customerMessages: [{ text }] })).toEqual(['negative-sentiment']);
      }
    });
    it('does not fire on a phrase inside another word', () => {
      expect(firedFor({ customerMessages: [{ text: 'the ridiculousness index is a statistic' }] })).toEqual(
        [],
      );
    });
  });

  describe('asks-for-a-person', () => {
    it.each([
      ['en', 'Can I talk to a human please'],
      ['es', 'Quiero hablar con una persona'],
      ['fr', 'Je veux parler à quelqu’un'],
      ['de', 'Ich möchte mit einem Menschen sprechen'],
    ])('fires on a request in %s', (language, text) => {
      const reason = reasonOf({ customerMessages: [{ text }] }, 'asks-for-a-person');
      expect(reason).toContain(`(${language}: `);
    });
    it('fires on an agent-request intent', () => {
      expect(firedFor({ intents: [{ name: 'agent.request', confidence: 0.95, at: at(5) }] })).toEqual([
        'asks-for-a-person',
      ]);
    });
    it('does not fire on a message that only mentions people or service', () => {
      expect(firedFor({ customerMessages: [{ text: 'my personal account please' }] })).toEqual([]);
      expect(firedFor({ customerMessages: [{ text: 'what are your customer service hours?' }] })).toEqual([]);
      expect(firedFor({ customerMessages: [{ text: 'my travel agent booked it' }] })).toEqual([]);
    });
  });

  describe('regulated-intent', () => {
    it.each([
      ['credit decision', 'credit.decision_appeal'],
      ['dispute', 'transaction.dispute'],
      ['fraud', 'report_fraud'],
      ['card block', 'block_card'],
      ['hardship', 'hardship.request'],
      ['lending disclosure', 'mortgage.apr_question'],
      ['bank details change', 'change_bank_details'],
    ])('fires for %s', (category, name) => {
      expect(reasonOf({ intents: [{ name, confidence: 0.9, at: at(5) }] }, 'regulated-intent')).toContain(
        category,
      );
    });
    it('does not fire for a balance enquiry', () => {
      expect(firedFor({ intents: [{ name: 'account.balance', confidence: 0.9, at: at(5) }] })).toEqual([]);
    });
  });

  describe('high-value', () => {
    it('fires above 10,000, also for a formatted string amount', () => {
      const intents = [
        { name: 'payment.send', confidence: 0.9, entities: { amount: '€10,000.01' }, at: at(5) },
      ];
      expect(reasonOf({ intents }, 'high-value')).toBe('amount 10000.01 is above 10000');
    });
    it('does not fire at exactly 10,000', () => {
      expect(
        firedFor({
          intents: [{ name: 'payment.send', confidence: 0.9, entities: { amount: 10000 }, at: at(5) }],
        }),
      ).toEqual([]);
    });
    it('fires for a VIP segment or the VIP flag, not for retail', () => {
      expect(firedFor({ segment: 'Private' })).toEqual(['high-value']);
      expect(firedFor({ vip: true })).toEqual(['high-value']);
      expect(firedFor({ segment: 'premier' })).toEqual([]);
    });
  });

  describe('no-progress-90s', () => {
    it('fires after 91 s since the last progress', () => {
      const r = reasonOf({ startedAt: at(0), lastActivityAt: at(101) }, 'no-progress-90s');
      expect(r).toMatch(/^91 s in the bot without progress/);
    });
    it('does not fire at exactly 90 s', () => {
      expect(firedFor({ startedAt: at(0), lastActivityAt: at(100) })).toEqual([]);
    });
    it('counts a newly captured entity as progress', () => {
      const intents = [
        { name: 'account.balance', confidence: 0.9, entities: { account_type: 'current' }, at: at(10) },
        { name: 'account.balance', confidence: 0.9, entities: { account_type: 'savings' }, at: at(60) },
      ];
      expect(firedFor({ intents, startedAt: at(0), lastActivityAt: at(101) })).toEqual(['no-progress-90s']);
      const progressed = [
        ...intents,
        { name: 'account.balance', confidence: 0.9, entities: { period: 'may' }, at: at(60) },
      ];
      expect(firedFor({ intents: progressed, startedAt: at(0), lastActivityAt: at(101) })).toEqual([]);
    });
  });

  describe('third-failed-authentication', () => {
    it('fires at three failed attempts', () => {
      expect(firedFor({ verification: { verified: false, method: 'none', failedAttempts: 3 } })).toEqual([
        'third-failed-authentication',
      ]);
    });
    it('does not fire at two', () => {
      expect(firedFor({ verification: { verified: false, method: 'none', failedAttempts: 2 } })).toEqual([]);
    });
  });

  describe('second-transfer', () => {
    it('fires on the second transfer', () => {
      expect(firedFor({ transfers: 2 })).toEqual(['second-transfer']);
    });
    it('does not fire on the first', () => {
      expect(firedFor({ transfers: 1 })).toEqual([]);
    });
  });

  it('lists every rule that fired, in policy order, each with its escalation reason', () => {
    const ev = evaluateEscalation(
      calmState({
        intents: [{ name: 'fraud.report', confidence: 0.9, at: at(5) }],
        customerMessages: [{ text: 'this is useless, I want a real person' }],
        verification: { verified: false, method: 'none', failedAttempts: 3 },
      }),
      policy,
      NOW,
    );
    expect(ev.handoff).toBe(true);
    expect(ev.fired.map((f) => [f.rule, f.escalationReason])).toEqual([
      ['negative-sentiment', 'negative_sentiment'],
      ['asks-for-a-person', 'customer_requested_agent'],
      ['regulated-intent', 'regulated_intent'],
      ['third-failed-authentication', 'failed_authentication'],
    ]);
  });

  it('skips a disabled rule', () => {
    const off = {
      ...policy,
      rules: policy.rules.map((r) => (r.type === 'repeated_transfer' ? { ...r, enabled: false } : r)),
    };
    expect(evaluateEscalation(calmState({ transfers: 5 }), off, NOW).fired).toEqual([]);
  });
});
