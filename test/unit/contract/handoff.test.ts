import { handoffRequestSchema } from '../../../src/contract/handoff';
import { cardDeclinedAbroad, handoff } from '../../support/handoff-factory';

function issuePaths(input: unknown): string[] {
  const result = handoffRequestSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => i.path.join('.'));
}

describe('canonical handoff contract', () => {
  it('accepts the card-declined-abroad journey and applies defaults', () => {
    const input = cardDeclinedAbroad();
    delete input.operational;
    const parsed = handoffRequestSchema.parse(input);
    expect(parsed.operational.vip).toBe(false);
    expect(parsed.operational.requestedSkills).toEqual([]);
    expect(parsed.identity.verification.failedAttempts).toBe(0);
  });

  it('names every offending field at once', () => {
    const bad = handoff({
      intent: { escalation: { reason: 'bored' as never } },
      identity: { language: 'english!', channel: 'pigeon' as never },
    });
    const paths = issuePaths(bad);
    expect(paths).toEqual(
      expect.arrayContaining(['intent.escalation.reason', 'identity.language', 'identity.channel']),
    );
  });

  it('refuses unknown fields rather than silently dropping them', () => {
    const bad = { ...cardDeclinedAbroad(), surprise: 1 };
    expect(issuePaths(bad)).toEqual(['']);
  });

  it('requires verifiedAt and a method when the customer is verified', () => {
    const bad = handoff({
      identity: { verification: { verified: true, method: 'none', reverifyRequired: false } },
    });
    expect(issuePaths(bad)).toEqual(
      expect.arrayContaining(['identity.verification.method', 'identity.verification.verifiedAt']),
    );
  });

  it('refuses a named customer that cannot be linked', () => {
    const bad = handoff({ identity: { customer: { name: 'Someone', linkedProducts: [] } } });
    expect(issuePaths(bad)).toEqual(['identity.customer.externalId']);
  });

  it('refuses control characters and over-long text', () => {
    const bad = handoff({
      intent: { escalation: { reason: 'other', detail: 'x'.repeat(4001) } },
      source: { conversationId: 'a\u0000b' },
    });
    expect(issuePaths(bad)).toEqual(
      expect.arrayContaining(['intent.escalation.detail', 'source.conversationId']),
    );
  });
});
