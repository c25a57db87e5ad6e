import { deliveryConfigSchema, retryDelayMs, scrubErrorText } from '../../../src/delivery';

const retry = deliveryConfigSchema.parse({}).retry;

describe('retryDelayMs (full jitter)', () => {
  it('draws uniformly below an exponentially growing ceiling', () => {
    const cfg = { ...retry, baseDelayMs: 1_000, maxDelayMs: 60_000 };
    expect(retryDelayMs('transient', 1, cfg, () => 0.999999)).toBe(1_000);
    expect(retryDelayMs('transient', 2, cfg, () => 0.999999)).toBe(2_000);
    expect(retryDelayMs('transient', 5, cfg, () => 0.5)).toBe(8_000);
    expect(retryDelayMs('transient', 3, cfg, () => 0)).toBe(0);
  });

  it('never exceeds maxDelayMs, however many failures', () => {
    const cfg = { ...retry, baseDelayMs: 1_000, maxDelayMs: 60_000 };
    expect(retryDelayMs('unknown_outcome', 50, cfg, () => 1)).toBe(60_000);
    expect(retryDelayMs('transient', 10_000, cfg, () => 1)).toBe(60_000);
  });

  it('waits at least rateLimitedDelayMs after REQUEST_LIMIT_EXCEEDED', () => {
    const cfg = { ...retry, rateLimitedDelayMs: 300_000 };
    expect(retryDelayMs('rate_limited', 1, cfg, () => 0)).toBe(300_000);
    expect(retryDelayMs('rate_limited', 1, cfg, () => 1)).toBe(600_000);
  });
});

describe('deliveryConfigSchema', () => {
  it('has working defaults and refuses a batch above 75 or inverted bounds', () => {
    const c = deliveryConfigSchema.parse({});
    expect(c).toMatchObject({ store: { kind: 'sqlite' }, maxBatchSize: 75, latencyBudgetMs: 2500 });
    expect(deliveryConfigSchema.safeParse({ maxBatchSize: 76 }).success).toBe(false);
    const bad = deliveryConfigSchema.safeParse({ retry: { baseDelayMs: 10_000, maxDelayMs: 1_000 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['retry', 'maxDelayMs']);
    expect(
      deliveryConfigSchema.safeParse({
        store: { kind: 'postgres', connectionString: 'postgres://x', schema: 'Bad-Name' },
      }).success,
    ).toBe(false);
  });
});

describe('scrubErrorText', () => {
  it('removes echoed values, long numbers and e-mail addresses, and bounds the length', () => {
    expect(scrubErrorText('Status: bad value for restricted picklist field: Jane Doe')).toBe(
      'Status: bad value for restricted picklist field: [redacted]',
    );
    expect(scrubErrorText('card 4111 1111 1111 1111 of jane@example.com')).toBe('card [number] of [email]');
    expect(scrubErrorText('x'.repeat(2000))).toHaveLength(500);
  });
});
