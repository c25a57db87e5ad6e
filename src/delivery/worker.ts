/**
 * The delivery worker: claims due handoffs from the store in batches (coalescing what is waiting,
 * up to maxBatchSize), hands each batch to the injected `deliver` function (src/salesforce's
 * deliverHandoffs: one composite graph call per batch), and records the outcome of each handoff:
 *
 * - delivered        → routed (the Case, handoff record, PSR exist)
 * - permanent        → dead_lettered with the scrubbed reason (validation: retrying cannot help)
 * - transient        → failed, retried after exponential backoff with full jitter
 * - rate_limited     → failed, retried after the longer rate-limit wait
 * - unknown_outcome  → failed with verifyFirst: Salesforce may have committed, so the next attempt
 *                      calls `findDelivered` (one query) and only re-sends what is not there
 * - too many attempts or too old → dead_lettered
 *
 * A lapsed lease (an instance died mid-delivery) is reclaimed with verifyFirst too, and while a
 * batch is in flight its lease is renewed, so a slow but live instance never loses its claim.
 * A circuit breaker stops claiming while Salesforce keeps failing.
 *
 * Coalescing is Nagle-style (`maxHoldMs`): with nothing in flight, what is due leaves at once (after
 * the short gathering window), so a lone handoff costs one call and no wait. While batches are in
 * flight, a partial batch (fewer than maxBatchSize announced by kick()) is held until it fills, until
 * a slot frees up (a batch answered: what waits then is the fullest there will be), or for at most
 * maxHoldMs while only full batches are in flight; at most one partial batch is in flight at a time
 * (a held batch waits for the one in flight at most maxHoldBehindCallMs).
 * So a burst that arrives slowly still goes out in few, full calls instead of one per free slot.
 */
import { randomUUID } from 'node:crypto';
import type { DeliveryOutcome, PreparedHandoff } from '../contract/prepared';
import { retryDelayMs } from './backoff';
import type { RetryKind } from './backoff';
import { CircuitBreaker } from './circuit-breaker';
import type { BreakerState } from './circuit-breaker';
import type { DeliveryConfig } from './config';
import type { DeliveryLogger } from './logger';
import { errorMessage, silentLogger } from './logger';
import type { DeliveryMetrics } from './metrics';
import { scrubError } from './scrub';
import type { DeliveredOutcome, HandoffStore, StoredHandoff } from './store/types';

/** Sends a batch to Salesforce; one outcome per handoff (src/salesforce deliverHandoffs). */
export type DeliverFn = (batch: PreparedHandoff[]) => Promise<DeliveryOutcome[]>;
/** Looks up which of these handoffs Salesforce already has (one SOQL query); absent ids are not there. */
export type FindDeliveredFn = (handoffIds: string[]) => Promise<DeliveredOutcome[]>;

export interface DeliveryWorkerOptions {
  store: HandoffStore;
  config: DeliveryConfig;
  deliver: DeliverFn;
  findDelivered: FindDeliveredFn;
  logger?: DeliveryLogger;
  metrics?: DeliveryMetrics;
  /** Epoch ms; injected in tests. */
  now?: () => number;
  /** 0..1; injected in tests for deterministic jitter. */
  random?: () => number;
}

/** What the worker reports after it changed a record (routed, failed, dead_lettered). */
export type StateListener = (record: StoredHandoff) => void;

interface InFlight {
  ids: string[];
  /** Fewer than maxBatchSize: while it is in flight, other partial batches wait (Nagle). */
  partial: boolean;
  done: Promise<void>;
}

export class DeliveryWorker {
  readonly workerId: string;
  private readonly store: HandoffStore;
  private readonly config: DeliveryConfig;
  private readonly deliverFn: DeliverFn;
  private readonly findDelivered: FindDeliveredFn;
  private readonly log: DeliveryLogger;
  private readonly metrics: DeliveryMetrics | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  readonly breaker: CircuitBreaker;

  private running = false;
  private pumping = false;
  private pumpAgain = false;
  private pumpRun: Promise<void> | null = null;
  /** Handoffs announced by kick() and not claimed since (this instance's arrivals). */
  private waiting = 0;
  /** Epoch ms of the oldest announced handoff not claimed since; null when none. */
  private heldSince: number | null = null;
  /** A batch answered since the last claim: a partial batch may take its slot. */
  private slotFreed = false;
  private timer: NodeJS.Timeout | null = null;
  private timerDueAt = Infinity;
  private readonly inFlight = new Set<InFlight>();
  private readonly listeners = new Set<StateListener>();

  constructor(options: DeliveryWorkerOptions) {
    this.store = options.store;
    this.config = options.config;
    this.deliverFn = options.deliver;
    this.findDelivered = options.findDelivered;
    this.log = options.logger ?? silentLogger;
    this.metrics = options.metrics;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.workerId = options.config.workerId
      ? `${options.config.workerId}-${randomUUID().slice(0, 8)}`
      : `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.breaker = new CircuitBreaker(options.config.breaker, this.now, (s: BreakerState) => {
      this.metrics?.setBreakerState(s);
      if (s === 'open')
        this.log.warn('delivery circuit open: Salesforce keeps failing', { until: this.breaker.reopensAt });
      else this.log.info('delivery circuit closed');
    });
  }

  onStateChange(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Batches in flight right now. */
  get inFlightBatches(): number {
    return this.inFlight.size;
  }

  /** Starts the claim loop (timers are unref'd: the worker never keeps the process alive by itself). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** A handoff was accepted: claim soon, after the short gathering window that lets a batch form. */
  kick(): void {
    if (!this.running) return;
    this.waiting += 1;
    this.heldSince ??= this.now();
    this.schedule(this.config.gatherWindowMs);
  }

  /**
   * Runs the claim loop now (as its timer would) and resolves when it has decided what to send or
   * hold; if a loop is running, it runs once more and this waits for it. Tests drive it directly.
   */
  pumpNow(): Promise<void> {
    return this.pump();
  }

  /**
   * Claims and processes at most one batch, waiting for it; returns how many handoffs it handled.
   * The claim loop is built on it; tests drive the worker with it step by step.
   */
  async runOnce(): Promise<number> {
    if (!this.breaker.canClaim()) return 0;
    const batch = await this.claim();
    if (batch.length === 0) return 0;
    const probe = this.breaker.onClaim();
    await this.track(batch, probe).done;
    return batch.length;
  }

  /**
   * Graceful shutdown: stop claiming, give in-flight batches `shutdownTimeoutMs` to finish, then
   * release what is still claimed (lease cleared, verifyFirst set) so another instance takes it at once.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.clearTimer();
    const pending = [...this.inFlight];
    if (pending.length === 0) return;
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timeout = setTimeout(() => resolve('timeout'), this.config.shutdownTimeoutMs);
      timeout.unref();
    });
    const result = await Promise.race([
      Promise.all(pending.map((p) => p.done)).then(() => 'done' as const),
      timedOut,
    ]);
    clearTimeout(timeout);
    if (result === 'timeout') {
      const ids = [...this.inFlight].flatMap((p) => p.ids);
      const released = await this.store.release(ids, this.workerId, this.now(), true);
      this.log.warn('shutdown: released handoffs still in flight', { released });
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerDueAt = Infinity;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    const dueAt = this.now() + delayMs;
    if (this.timer && this.timerDueAt <= dueAt) return;
    this.clearTimer();
    this.timerDueAt = dueAt;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerDueAt = Infinity;
      void this.pump();
    }, delayMs);
    this.timer.unref();
  }

  /** What a claim of `got` (asked for `asked`) leaves announced and waiting. */
  private noteClaimed(got: number, asked: number): void {
    this.slotFreed = false;
    // Fewer than asked: nothing else is due right now.
    this.waiting = got < asked ? 0 : Math.max(0, this.waiting - got);
    if (this.waiting === 0) this.heldSince = null;
  }

  /**
   * Whether a free slot may claim now (0), or how long to hold what is waiting (ms; Infinity: until a
   * batch answers or more arrives). See the coalescing note at the top.
   */
  private holdFor(): number {
    const { maxHoldMs, maxHoldBehindCallMs, maxBatchSize } = this.config;
    if (maxHoldMs === 0 || this.inFlight.size === 0) return 0;
    if (this.waiting >= maxBatchSize) return 0; // a full batch waits
    const since = this.heldSince;
    if ([...this.inFlight].some((f) => f.partial)) {
      // Its answer frees the slot; but a slow call does not stall new handoffs for its whole timeout.
      return since === null ? Infinity : Math.max(0, since + maxHoldBehindCallMs - this.now());
    }
    if (this.slotFreed) return 0;
    if (since === null) return Infinity; // nothing announced: a retry waits for a free slot
    return Math.max(0, since + maxHoldMs - this.now());
  }

  private pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return this.pumpRun ?? Promise.resolve();
    }
    this.pumping = true;
    this.pumpRun = this.claimLoop();
    return this.pumpRun;
  }

  private async claimLoop(): Promise<void> {
    let holdMs = Infinity;
    try {
      do {
        this.pumpAgain = false;
        holdMs = Infinity;
        while (this.running && this.inFlight.size < this.config.concurrency && this.breaker.canClaim()) {
          const hold = this.holdFor();
          if (hold > 0) {
            holdMs = hold;
            break;
          }
          const batch = await this.claim();
          if (batch.length === 0) break;
          const probe = this.breaker.onClaim();
          this.track(batch, probe);
          if (probe || batch.length < this.config.maxBatchSize) break;
        }
      } while (this.pumpAgain && this.running);
    } catch (err) {
      this.log.error('delivery: claiming from the store failed', { error: errorMessage(err) });
    } finally {
      this.pumping = false;
      this.pumpRun = null;
      if (this.running) {
        const reopensAt = this.breaker.reopensAt;
        const untilProbe = reopensAt === null ? Infinity : Math.max(0, reopensAt - this.now());
        this.schedule(Math.min(this.config.pollIntervalMs, untilProbe, holdMs));
      }
    }
  }

  private track(batch: StoredHandoff[], probe: boolean): InFlight {
    const entry: InFlight = {
      ids: batch.map((r) => r.handoffId),
      partial: batch.length < this.config.maxBatchSize,
      done: Promise.resolve(),
    };
    entry.done = this.processBatch(batch, probe)
      .catch((err: unknown) => {
        this.log.error('delivery: batch processing failed', {
          error: errorMessage(err),
          handoffs: entry.ids.length,
        });
      })
      .finally(() => {
        this.inFlight.delete(entry);
        // A slot is free: claim again at once (more may be waiting; a held partial batch may go now).
        this.slotFreed = true;
        this.schedule(0);
      });
    this.inFlight.add(entry);
    return entry;
  }

  private async processBatch(batch: StoredHandoff[], probe: boolean): Promise<void> {
    const renew = setInterval(
      () => {
        const ids = batch.map((r) => r.handoffId);
        this.store
          .renewLease(ids, this.workerId, this.now() + this.config.leaseMs, this.now())
          .catch((err: unknown) =>
            this.log.warn('delivery: lease renewal failed', { error: errorMessage(err) }),
          );
      },
      Math.max(100, Math.floor(this.config.leaseMs / 3)),
    );
    renew.unref();
    try {
      await this.deliverBatch(batch, probe);
    } finally {
      clearInterval(renew);
    }
  }

  /** Claims up to a batch of due handoffs and notes how full the claim was. */
  private async claim(): Promise<StoredHandoff[]> {
    const batch = await this.store.claimBatch(
      this.workerId,
      this.config.maxBatchSize,
      this.config.leaseMs,
      this.now(),
    );
    this.noteClaimed(batch.length, this.config.maxBatchSize);
    return batch;
  }

  private async deliverBatch(batch: StoredHandoff[], probe: boolean): Promise<void> {
    let salesforceAnswered = false;
    let failedTransiently = 0;
    let toSend = batch;

    // 1. Whatever an earlier attempt may have written is looked up, never written again.
    const mustVerify = batch.filter((r) => r.verifyFirst);
    if (mustVerify.length > 0) {
      const ids = mustVerify.map((r) => r.handoffId);
      try {
        const found = await this.findDelivered(ids);
        salesforceAnswered = true;
        this.metrics?.salesforceCalls.inc(1);
        const byId = new Map(found.map((o) => [o.handoffId, o]));
        const foundDelivered: [StoredHandoff, DeliveredOutcome][] = [];
        for (const r of mustVerify) {
          const outcome = byId.get(r.handoffId);
          if (outcome) foundDelivered.push([r, { ...outcome, salesforceApiCalls: 0 }]);
        }
        await this.settleDelivered(foundDelivered, true);
        toSend = batch.filter((r) => !byId.has(r.handoffId));
      } catch (err) {
        // Cannot tell what Salesforce has: send nothing that needs verifying, try again later.
        failedTransiently += mustVerify.length;
        const verifyIds = new Set(ids);
        for (const r of mustVerify) {
          await this.settleFailure(r, {
            kind: 'failed',
            handoffId: r.handoffId,
            retry: 'unknown_outcome',
            code: 'VERIFY_FAILED',
            message: `could not check Salesforce for an earlier attempt: ${errorMessage(err)}`,
            salesforceApiCalls: 1,
          });
        }
        toSend = batch.filter((r) => !verifyIds.has(r.handoffId));
      }
    }

    // 2. Send the rest in one call.
    if (toSend.length > 0) {
      this.metrics?.batchSize.observe(toSend.length);
      let outcomes: DeliveryOutcome[];
      try {
        outcomes = await this.deliverFn(toSend.map((r) => r.prepared));
      } catch (err) {
        // The deliverer should not throw; if it does, Salesforce may or may not have the batch.
        outcomes = toSend.map((r) => ({
          kind: 'failed',
          handoffId: r.handoffId,
          retry: 'unknown_outcome',
          code: 'DELIVERY_ERROR',
          message: errorMessage(err),
          salesforceApiCalls: 0,
        }));
      }
      const byId = new Map(outcomes.map((o) => [o.handoffId, o]));
      // deliverHandoffs apportions the batch's calls over its handoffs: the sum is what was made.
      this.metrics?.salesforceCalls.inc(outcomes.reduce((n, o) => n + Math.max(0, o.salesforceApiCalls), 0));
      const delivered: [StoredHandoff, DeliveredOutcome][] = [];
      for (const r of toSend) {
        const outcome: DeliveryOutcome = byId.get(r.handoffId) ?? {
          kind: 'failed',
          handoffId: r.handoffId,
          retry: 'unknown_outcome',
          code: 'NO_OUTCOME',
          message: 'the deliverer returned no outcome for this handoff',
          salesforceApiCalls: 0,
        };
        if (outcome.kind === 'delivered') {
          salesforceAnswered = true;
          delivered.push([r, outcome]);
        } else {
          if (outcome.retry === 'permanent') salesforceAnswered = true;
          else failedTransiently += 1;
          await this.settleFailure(r, outcome);
        }
      }
      await this.settleDelivered(delivered, false);
    }

    // 3. The breaker learns whether Salesforce is answering.
    if (salesforceAnswered) this.breaker.recordSuccess();
    else if (failedTransiently > 0) this.breaker.recordFailure();
    else if (probe) this.breaker.recordSuccess();
  }

  /** Marks a batch's delivered handoffs routed in one store transaction, then reports each. */
  private async settleDelivered(
    delivered: readonly [StoredHandoff, DeliveredOutcome][],
    found: boolean,
  ): Promise<void> {
    if (delivered.length === 0) return;
    const now = this.now();
    const ok = await this.store.markDeliveredMany(
      delivered.map(([, outcome]) => outcome),
      this.workerId,
      now,
    );
    delivered.forEach(([r, outcome], i) => {
      if (ok[i]) this.reportDelivered(r, outcome, found, now);
      else this.log.warn('delivery: claim lost before marking delivered', { handoffId: r.handoffId });
    });
  }

  private reportDelivered(r: StoredHandoff, outcome: DeliveredOutcome, found: boolean, now: number): void {
    this.metrics?.delivered.inc();
    this.metrics?.deliveryLatency.observe(Math.max(0, now - r.acceptedAt) / 1000);
    this.log.info(found ? 'handoff found delivered by an earlier attempt' : 'handoff delivered', {
      handoffId: r.handoffId,
      caseId: outcome.caseId,
      attempts: r.attempts,
    });
    this.emit({
      ...r,
      state: 'routed',
      claimedBy: null,
      leaseUntil: null,
      verifyFirst: false,
      lastError: null,
      caseId: outcome.caseId,
      caseNumber: outcome.caseNumber,
      handoffRecordId: outcome.handoffRecordId,
      enrichedExistingCase: outcome.enrichedExistingCase,
      salesforceApiCalls: r.salesforceApiCalls + outcome.salesforceApiCalls,
      deliveredAt: now,
      updatedAt: now,
    });
  }

  private async settleFailure(
    r: StoredHandoff,
    outcome: Extract<DeliveryOutcome, { kind: 'failed' }>,
  ): Promise<void> {
    const now = this.now();
    const error = scrubError({ code: outcome.code, message: outcome.message });
    // Might Salesforce hold what this attempt wrote? Then the next one looks before it writes.
    const verifyFirst =
      outcome.retry === 'unknown_outcome' ||
      (outcome.retry !== 'permanent' && this.config.retry.verifyBeforeEveryRetry);
    const retry = this.config.retry;
    const exhausted =
      outcome.retry !== 'permanent' &&
      (r.attempts >= retry.maxAttempts || now - r.acceptedAt >= retry.maxAgeMs);
    if (outcome.retry === 'permanent' || exhausted) {
      const stored = {
        code: error.code,
        message: exhausted ? `gave up after ${r.attempts} attempts: ${error.message}` : error.message,
      };
      const ok = await this.store.markDeadLetter(
        r.handoffId,
        this.workerId,
        { ...stored, verifyFirst, salesforceApiCalls: outcome.salesforceApiCalls },
        now,
      );
      if (!ok) return;
      this.metrics?.deadLettered.inc({ reason: exhausted ? 'exhausted' : 'permanent' });
      this.log.error('handoff dead-lettered', {
        handoffId: r.handoffId,
        code: stored.code,
        attempts: r.attempts,
      });
      this.emit({
        ...r,
        state: 'dead_lettered',
        claimedBy: null,
        leaseUntil: null,
        verifyFirst: r.verifyFirst || verifyFirst,
        lastError: stored,
        salesforceApiCalls: r.salesforceApiCalls + outcome.salesforceApiCalls,
        deadLetteredAt: now,
        updatedAt: now,
      });
      return;
    }
    const kind: RetryKind = outcome.retry;
    const nextAttemptAt = now + retryDelayMs(kind, r.attempts, retry, this.random);
    const ok = await this.store.markRetry(
      r.handoffId,
      this.workerId,
      { ...error, verifyFirst, salesforceApiCalls: outcome.salesforceApiCalls },
      nextAttemptAt,
      now,
    );
    if (!ok) return;
    this.metrics?.retried.inc({ reason: kind });
    this.log.warn('handoff delivery failed; will retry', {
      handoffId: r.handoffId,
      code: error.code,
      retry: kind,
      attempts: r.attempts,
      nextAttemptAt: new Date(nextAttemptAt).toISOString(),
    });
    this.emit({
      ...r,
      state: 'failed',
      claimedBy: null,
      leaseUntil: null,
      verifyFirst: r.verifyFirst || verifyFirst,
      lastError: error,
      nextAttemptAt,
      salesforceApiCalls: r.salesforceApiCalls + outcome.salesforceApiCalls,
      updatedAt: now,
    });
  }

  private emit(record: StoredHandoff): void {
    for (const l of this.listeners) {
      try {
        l(record);
      } catch (err) {
        this.log.warn('delivery: state listener failed', { error: errorMessage(err) });
      }
    }
  }
}
