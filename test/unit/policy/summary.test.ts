import { handoffRequestSchema, summarySchema } from '../../../src/contract/handoff';
import { buildSummary, summaryFor, summaryText, SUMMARY_TEXT_MAX } from '../../../src/policy';
import { handoff } from '../../support/handoff-factory';

describe('buildSummary', () => {
  it('builds the issue, what was tried and what is unresolved from the intent history', () => {
    const h = handoffRequestSchema.parse(handoff({ conversation: { summary: undefined } }));
    const s = buildSummary(h);
    expect(summarySchema.parse(s)).toEqual(s);
    expect(s).toEqual({
      issue: 'Card declined (merchant country PT, amount 184.5, currency EUR)',
      attempted: ['Card declined: not resolved', 'Bot did not understand 1×'],
      unresolved: ['Card declined'],
      nextBestAction: 'Resolve: Card declined',
      urgency: 'high',
    });
  });

  it('lists information the bot asked for and never got, and asks the agent to verify an unverified customer', () => {
    const h = handoffRequestSchema.parse(
      handoff({
        intent: {
          history: [
            {
              name: 'payment.send',
              confidence: 0.8,
              outcome: 'in_progress',
              entities: { amount: 250, payee: null },
            },
          ],
        },
        identity: { verification: { verified: false, method: 'none' } },
        operational: { priorityHint: undefined },
        conversation: { summary: undefined, sentiment: undefined },
      }),
    );
    const s = buildSummary(h);
    expect(s.unresolved).toEqual(['Payment send', 'Missing: payee']);
    expect(s.nextBestAction).toBe('Verify the customer before acting');
    expect(s.urgency).toBe('low');
  });

  it('prefers the bot summary when there is one', () => {
    const h = handoffRequestSchema.parse(handoff());
    expect(summaryFor(h).issue).toBe('Debit card declined at a hotel in Lisbon');
  });
});

describe('summaryText', () => {
  it('reads in ten seconds: issue, verification, tried, unresolved, urgency', () => {
    const h = handoffRequestSchema.parse(handoff());
    expect(summaryText(summaryFor(h), h)).toBe(
      'Issue: Debit card declined at a hotel in Lisbon. Verified (otp). Tried: Asked whether it was a payment or a withdrawal. ' +
        'Unresolved: Why the card was declined; Whether travel flag is set. Urgency: high.',
    );
  });

  it('stays within 400 characters however long the parts are', () => {
    const long = 'x'.repeat(250);
    const h = handoffRequestSchema.parse(
      handoff({
        conversation: {
          summary: {
            issue: long,
            attempted: [long, long],
            unresolved: [long, long, long],
            urgency: 'medium',
          },
        },
      }),
    );
    const text = summaryText(summaryFor(h), h);
    expect(text.length).toBeLessThanOrEqual(SUMMARY_TEXT_MAX);
    expect(text).toMatch(/Urgency: medium\.$/);
  });
});
