/**
 * Stops hammering Salesforce while it is down. Closed: batches flow; after `failureThreshold`
 * consecutive failed batches it opens. Open: nothing is claimed until the cool-down has passed.
 * Half-open: exactly one batch goes out as a probe; success closes the circuit, failure opens it again
 * with a doubled cool-down (up to maxCooldownMs).
 */
import type { DeliveryConfig } from './config';

export type BreakerState = 'closed' | 'open' | 'half_open';

export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openUntil: number | null = null;
  private cooldownMs: number;
  private probeInFlight = false;

  constructor(
    private readonly config: DeliveryConfig['breaker'],
    private readonly now: () => number,
    private readonly onChange: (state: BreakerState) => void = () => undefined,
  ) {
    this.cooldownMs = config.cooldownMs;
  }

  get state(): BreakerState {
    if (this.openUntil === null) return 'closed';
    return this.now() >= this.openUntil ? 'half_open' : 'open';
  }

  /** Epoch ms when an open circuit lets a probe through; null when closed. */
  get reopensAt(): number | null {
    return this.openUntil;
  }

  /** Whether a batch may be claimed now. */
  canClaim(): boolean {
    const s = this.state;
    return s === 'closed' || (s === 'half_open' && !this.probeInFlight);
  }

  /** Call when a batch was claimed; returns whether it is the half-open probe. */
  onClaim(): boolean {
    if (this.state !== 'half_open') return false;
    this.probeInFlight = true;
    return true;
  }

  recordSuccess(): void {
    const was = this.state;
    this.consecutiveFailures = 0;
    this.openUntil = null;
    this.probeInFlight = false;
    this.cooldownMs = this.config.cooldownMs;
    if (was !== 'closed') this.onChange('closed');
  }

  recordFailure(): void {
    const was = this.state;
    this.consecutiveFailures += 1;
    if (was === 'half_open' || (this.probeInFlight && was === 'open')) {
      this.probeInFlight = false;
      this.cooldownMs = Math.min(this.config.maxCooldownMs, this.cooldownMs * 2);
      this.open();
    } else if (was === 'closed' && this.consecutiveFailures >= this.config.failureThreshold) {
      this.open();
    }
  }

  private open(): void {
    this.openUntil = this.now() + this.cooldownMs;
    this.onChange('open');
  }
}
