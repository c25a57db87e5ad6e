/** Retry timing: exponential backoff with full jitter, and a longer wait when the org is over its limit. */
import type { DeliveryConfig } from './config';

export type RetryKind = 'transient' | 'rate_limited' | 'unknown_outcome';

/**
 * Delay before the next attempt after `failures` failed attempts (≥ 1).
 * transient / unknown_outcome: random(0, min(max, base · 2^(failures−1))) — "full jitter", so a
 * crowd of retries spreads out instead of hitting Salesforce in waves.
 * rate_limited: rateLimitedDelayMs + random(0, rateLimitedDelayMs).
 */
export function retryDelayMs(
  kind: RetryKind,
  failures: number,
  retry: DeliveryConfig['retry'],
  random: () => number = Math.random,
): number {
  const r = Math.min(Math.max(random(), 0), 1);
  if (kind === 'rate_limited') return Math.round(retry.rateLimitedDelayMs * (1 + r));
  const exp = Math.min(Math.max(failures - 1, 0), 40);
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** exp);
  return Math.round(ceiling * r);
}
