/**
 * The delivery worker: takes due handoffs in batches, hands each batch to the injected `deliver`
 * function (src/salesforce's deliverHandoffs: one composite graph call per batch), and records the
 * outcome of each handoff:
 *
 * - delivered        → routed (the Case, handoff record, PSR exist)
 * - permanent        → dead_lettered with the scrubbed reason (validation: retrying cannot help)
 * - transient        → failed, retried after exponential backoff with full jitter
 * - rate_limited     → failed, retried after the longer rate-limit wait
 * - unknown_outcome  → failed with verifyFirst: Salesforce may have committed, so the next attempt
 *                      calls `findDelivered` (one query) and only re-sends what is not there
 * - too many attempts or too old → dead_lettered
 *
 * Where batches come from. What this instance accepts is claimed in the same commit that stores it
 * (accept-and-claim, `offerClaim` + `enqueue`) and waits in memory for a call, so the way from
 * accept to Salesforce has no store round trip; at most `maxQueued` wait like that, the rest are
 * stored unclaimed. Everything else (retries, what overflowed, what a dead instance left behind) is
 * claimed from the store, on a kick, when a slot frees with nothing queued, and every
 * `pollIntervalMs` (that claim runs beside the sending: what is queued does not wait for the
 * store's answer). A lapsed lease is reclaimed with verifyFirst; while this worker holds records
 * (queued or in flight) their leases are renewed, so a slow but live instance never loses a claim.
 * A circuit breaker stops sending while Salesforce keeps failing.
 *
 * Coalescing follows the arrival rate. A call leaves as soon as a slot is free with whatever is
 * queued (up to what fits one call: `maxBatchSize` handoffs and, with `cost`, `maxCallCost` graph
 * nodes), unless holding is worth it: when as many handoffs arrived in the last `maxHoldMs` (reached
 * the service: `enqueue`'s arrivedAt, so accepts that a stall released together are not taken for a
 * fast stream) as the call still has room for, the call would fill within about `maxHoldMs` at
 * that rate, so the queued handoffs are held until it fills or the oldest has waited `maxHoldMs`.
 * A lone handoff never waits, and a steady stream that cannot fill a call that fast (200/s fills a
 * 31-graph call in 150 ms) is not held to fill one; a burst goes out in full calls. With every slot
 * busy, what arrives queues and leaves in the fullest calls there are when slots free. While more handoffs
 * are on their way (another is being accepted: `beginAccept`), once `maxPartialCalls` calls with
 * room to spare are in flight, another waits for one of them to answer, at most `maxHoldMs` (a bound
 * on the wait, not a cap on calls: beyond them, at most one more partial call per `maxHoldMs`), or
 * until the last accept under way ends, with a handoff for the same call or without one. An accept
 * counts as on its way for twice as long as recent accepts took (median; at least 2 ms): one that
 * takes longer is stalled in the store, and what is ready does not wait out its stall. A
 * handoff that arrives while nothing else is being accepted is not held for a partial call: a
 * steady stream the org can take leaves as it arrives, about one call per handoff. While the
 * service is saturated (its event loop busy `saturatedLoad` of the time over the last ~250 ms and
 * over the last ~20 ms: requests are queueing, more handoffs are coming than have arrived) only one
 * partial call is in flight and another waits for it up to `maxPartialHoldMs`, so a burst that is
 * accepted slowly still leaves in full calls; a busy moment in a steady stream stops counting within
 * ~20 ms of clearing, and what it held leaves with the next arrival or free slot.
 *
 * Slots: `concurrency` calls in flight at once; while any call has been running longer than
 * `slowCallMs` (the org is slow), new calls start only while fewer than `slowConcurrency` are in
 * flight, so a stalled org does not collect this service's calls against its limit of 25
 * concurrent long-running (≥ 20 s) requests.
 *
 * The bot's answer does not wait for the store: a delivered handoff is reported (and its waiter
 * answered) as soon as Salesforce confirms it; the store records `routed` right after, for the whole
 * batch in one commit. If the process dies in between, the lease lapses and the next attempt finds the
 * handoff in Salesforce (verifyFirst) instead of writing it again.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
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
import type { AcceptClaim, DeliveredOutcome, HandoffStore, StoredHandoff } from './store/types';

/** Sends a batch to Salesforce; one outcome per handoff (src/salesforce deliverHandoffs). */
export type DeliverFn = (batch: PreparedHandoff[]) => Promise<DeliveryOutcome[]>;
/** Looks up which of these handoffs Salesforce already has (one SOQL query); absent ids are not there. */
export type FindDeliveredFn = (handoffIds: string[]) => Promise<DeliveredOutcome[]>;
/** What one handoff costs of a call's `maxCallCost` (src/salesforce: the nodes of its graph). */
export type CostFn = (prepared: PreparedHandoff) => number;

export interface DeliveryWorkerOptions {
  store: HandoffStore;
  config: DeliveryConfig;
  deliver: DeliverFn;
  findDelivered: FindDeliveredFn;
  /** With maxCallCost: a batch is cut where the next handoff would take it over maxCallCost. */
  cost?: CostFn;
  maxCallCost?: number;
  logger?: DeliveryLogger;
  metrics?: DeliveryMetrics;
  /** How busy this process's event loop is, 0..1 (default: eventLoopLoad()); tests inject it. */
  load?: () => number;
  /** Epoch ms; injected in tests. */
  now?: () => number;
  /** 0..1; injected in tests for deterministic jitter. */
  random?: () => number;
}

/**
 * Why queued handoffs waited for their call: a coalescing rule (see the note at the top: the call
 * would fill soon, accepts under way with partial calls in flight, a saturated service) or no free
 * slot (every slot busy, a slow org, the circuit not closed).
 */
export type HoldRule = 'filling' | 'accepts' | 'saturated' | 'no_slot';

/** What the worker reports after it changed a record (routed, failed, dead_lettered). */
export type StateListener = (record: StoredHandoff) => void;

interface InFlight {
  ids: string[];
  /** Sent with room to spare (fewer than a call holds). */
  partial: boolean;
  startedAt: number;
  done: Promise<void>;
}

interface Queued {
  record: StoredHandoff;
  cost: number;
  queuedAt: number;
}

/** How many recent arrival times the worker keeps for the rate it coalesces by. */
const ARRIVALS_KEPT = 256;
/** How many recent accept durations the worker keeps for how long an accept usually takes. */
const ACCEPTS_KEPT = 64;
/**
 * How long the event loop must have been saturated before the saturation rule holds a call (ms): a
 * burst being accepted keeps it busy for seconds, a busy moment in a steady stream (a collection, a
 * few requests at once, a wait for a CPU) for less. At 200/s the bench's holds at 100 ms (11–150
 * handoffs of 2,000, 17–48 ms each) were what kept its p99 over 10 ms; at 250 ms none, and a burst of
 * 500 took 19–22 calls instead of 18–19 (at 250 ms for the early-send gate too, up to 31).
 */
const SATURATED_HOLD_WINDOW_MS = 250;
/** The least an accept under way is waited for by the accepts rule, however fast accepts have been. */
const MIN_ACCEPT_WAIT_MS = 2;

export class DeliveryWorker {
  readonly workerId: string;
  private readonly store: HandoffStore;
  private readonly config: DeliveryConfig;
  private readonly deliverFn: DeliverFn;
  private readonly findDelivered: FindDeliveredFn;
  private readonly costOf: CostFn;
  private readonly maxCallCost: number;
  private readonly log: DeliveryLogger;
  private readonly metrics: DeliveryMetrics | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly load: () => number;
  private readonly holdLoad: () => number;
  readonly breaker: CircuitBreaker;

  private running = false;
  /** stop() was called (runOnce works on a worker that was never started; a stopped one claims nothing). */
  private stopped = false;
  private pumping = false;
  private pumpAgain = false;
  private pumpRun: Promise<void> | null = null;
  /** The claim from the store that is running, if one is. */
  private claiming: Promise<void> | null = null;
  /** Accepted and claimed here, waiting for a call, oldest first. */
  private queue: Queued[] = [];
  /** The rule that last held what is queued (null: nothing held it since the last call left). */
  private heldBy: HoldRule | null = null;
  /**
   * Accepts (store commits) under way, in the order they began (epoch ms): more handoffs are on their
   * way to the queue.
   */
  private readonly accepting = new Set<{ at: number }>();
  /** How long recent accepts took (ms), a ring of ACCEPTS_KEPT: what "about as long as an accept" means. */
  private readonly acceptTimes: number[] = [];
  private acceptTimesNext = 0;
  /** The median of acceptTimes (null: to be computed again, an accept has settled since). */
  private acceptMedianMs: number | null = null;
  /** Epoch ms of recent arrivals (enqueue and kick), a ring of ARRIVALS_KEPT. */
  private readonly arrivals: number[] = [];
  private arrivalsNext = 0;
  /** The store may hold due records (a kick, the poll interval, a retry scheduled). */
  private storeDue = true;
  private lastStoreClaimAt = -Infinity;
  /** Running mean of what a handoff costs (0: none seen yet): how many fit one call. */
  private meanCost = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private timerDueAt = Infinity;
  private renewTimer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<InFlight>();
  private readonly listeners = new Set<StateListener>();
  /** Reported routed, not yet committed to the store (a turn of the event loop, normally). */
  private readonly unsettled = new Map<string, StoredHandoff>();

  constructor(options: DeliveryWorkerOptions) {
    this.store = options.store;
    this.config = options.config;
    this.deliverFn = options.deliver;
    this.findDelivered = options.findDelivered;
    this.costOf = options.cost ?? (() => 1);
    this.maxCallCost = options.cost && options.maxCallCost ? options.maxCallCost : Infinity;
    this.log = options.logger ?? silentLogger;
    this.metrics = options.metrics;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    // The early-send gate (`saturated`) reacts within ~100 ms; a hold needs ~250 ms of it (see the note).
    this.load = options.load ?? eventLoopLoad();
    this.holdLoad = options.load ?? eventLoopLoad(SATURATED_HOLD_WINDOW_MS);
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

  /**
   * The record this worker reported for a handoff whose store write has not committed yet (routed a
   * moment ago); status reads use it so they never contradict the answer the bot just got.
   */
  reported(handoffId: string): StoredHandoff | undefined {
    return this.unsettled.get(handoffId);
  }

  /** Accepts under way (begun with beginAccept, not yet settled). */
  get acceptsUnderWay(): number {
    return this.accepting.size;
  }

  /**
   * Whether the service counts as saturated now: `saturatedLoad` over the last ~100 ms and ~20 ms
   * (sooner than the saturation rule's holds, which need ~250 ms). Early sends stop while it is.
   */
  get saturated(): boolean {
    return this.load() >= this.config.saturatedLoad;
  }

  /** Handoffs accepted-and-claimed here and waiting for a call. */
  get queued(): number {
    return this.queue.length;
  }

  /** Starts the claim loop (timers are unref'd: the worker never keeps the process alive by itself). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = false;
    this.storeDue = true;
    this.schedule(0);
  }

  /**
   * The claim a new handoff should be accepted with, so that this worker delivers it straight from
   * memory; undefined (accept it unclaimed, the store hands it out later) when the worker is not
   * running, the circuit is not closed, or `maxQueued` handoffs are already waiting.
   */
  offerClaim(): AcceptClaim | undefined {
    if (!this.running || this.breaker.state !== 'closed') return undefined;
    if (this.queue.length >= this.config.maxQueued) return undefined;
    return { workerId: this.workerId, leaseUntil: this.now() + this.config.leaseMs };
  }

  /**
   * A handoff's accept has begun (its store commit is under way); call the function returned once it
   * has settled, whatever the outcome, before the handoff is enqueued. While any accept is under way,
   * more handoffs are on their way, and partial calls are shared (see the coalescing note above).
   */
  beginAccept(): () => void {
    const begun = { at: this.now() };
    this.accepting.add(begun);
    return () => {
      if (!this.accepting.delete(begun)) return; // settled already
      this.acceptTimes[this.acceptTimesNext] = this.now() - begun.at;
      this.acceptTimesNext = (this.acceptTimesNext + 1) % ACCEPTS_KEPT;
      this.acceptMedianMs = null;
      // The last accept under way has ended: what waited for it may leave now. An accept that ends
      // without a handoff to enqueue (a replay, a conflict, a store failure) wakes nothing else.
      if (this.accepting.size === 0 && this.queue.length > 0) this.schedule(0);
    };
  }

  /**
   * A handoff accepted with this worker's claim (offerClaim): deliver it soon. `arrivedAt` (epoch
   * ms, default now): when its request reached the service, for the arrival rate coalescing goes by.
   */
  enqueue(record: StoredHandoff, arrivedAt?: number): void {
    if (record.claimedBy !== this.workerId || record.state !== 'delivering') {
      this.kick();
      return;
    }
    if (!this.running) {
      // Stopped meanwhile: give it back at once rather than leave it until the lease lapses.
      this.store
        .release([record.handoffId], this.workerId, this.now())
        .catch((err: unknown) => this.log.warn('delivery: release failed', { error: errorMessage(err) }));
      return;
    }
    const now = this.now();
    this.queue.push({ record, cost: this.measure(record), queuedAt: now });
    // The rate the filling rule goes by is the rate handoffs reach the service: accepts released
    // together after a stall are not a stream that will go on at that rate.
    this.noteArrival(Math.min(arrivedAt ?? now, now));
    this.ensureRenewal();
    this.schedule(this.config.gatherWindowMs);
  }

  /**
   * Takes a queued handoff back before its call leaves (its accept failed after it was enqueued:
   * see DurableDeliverer). False when it is not queued here (its call has left, or it never came).
   */
  withdraw(handoffId: string): boolean {
    const i = this.queue.findIndex((q) => q.record.handoffId === handoffId);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    return true;
  }

  /** Whether this worker has the handoff queued or in a call right now. */
  carries(handoffId: string): boolean {
    if (this.queue.some((q) => q.record.handoffId === handoffId)) return true;
    for (const f of this.inFlight) if (f.ids.includes(handoffId)) return true;
    return false;
  }

  /** A handoff was stored unclaimed (or is otherwise due in the store): claim soon. */
  kick(): void {
    if (!this.running) return;
    this.storeDue = true;
    this.noteArrival(this.now());
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
   * Takes and processes at most one batch (what is queued, else a claim from the store), waiting
   * for it; returns how many handoffs it handled. Tests drive the worker with it step by step.
   */
  async runOnce(): Promise<number> {
    if (!this.breaker.canClaim()) return 0;
    if (this.queue.length === 0) await this.claimShared();
    const batch = this.takeQueued();
    if (batch.length === 0) return 0;
    const probe = this.breaker.onClaim();
    await this.track(batch, probe).done;
    return batch.length;
  }

  /**
   * Graceful shutdown: stop claiming, give back what is queued, give in-flight batches
   * `shutdownTimeoutMs` to finish, then release what is still claimed (lease cleared, verifyFirst
   * set) so another instance takes it at once.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    this.clearTimer();
    // A claim still running gives back what it brings itself (it sees `stopped`); wait for it, so
    // nothing is written to the store after stop() returns.
    await this.claiming?.catch(() => undefined);
    const queued = this.queue.splice(0).map((q) => q.record.handoffId);
    if (queued.length > 0) {
      try {
        await this.store.release(queued, this.workerId, this.now());
      } catch (err) {
        this.log.warn('shutdown: could not release queued handoffs', { error: errorMessage(err) });
      }
    }
    const pending = [...this.inFlight];
    if (pending.length > 0) {
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
    this.stopRenewal();
  }

  private clearTimer(): void {
    if (this.timer) {
      if (this.timerDueAt === -1) clearImmediate(this.timer as NodeJS.Immediate);
      else clearTimeout(this.timer as NodeJS.Timeout);
    }
    this.timer = null;
    this.timerDueAt = Infinity;
  }

  /** Runs the loop after delayMs (0: on the next turn of the event loop), unless it runs sooner. */
  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (delayMs <= 0) {
      if (this.timer && this.timerDueAt === -1) return;
      this.clearTimer();
      this.timerDueAt = -1; // an immediate
      this.timer = setImmediate(() => {
        this.timer = null;
        this.timerDueAt = Infinity;
        void this.pump();
      });
      return;
    }
    const dueAt = this.now() + delayMs;
    if (this.timer && this.timerDueAt <= dueAt) return;
    this.clearTimer();
    this.timerDueAt = dueAt;
    const timer = setTimeout(() => {
      this.timer = null;
      this.timerDueAt = Infinity;
      void this.pump();
    }, delayMs);
    timer.unref();
    this.timer = timer;
  }

  private noteArrival(at: number): void {
    this.arrivals[this.arrivalsNext] = at;
    this.arrivalsNext = (this.arrivalsNext + 1) % ARRIVALS_KEPT;
  }

  /** Arrivals since `since` (at most ARRIVALS_KEPT are remembered). */
  private arrivedSince(since: number): number {
    let n = 0;
    for (const t of this.arrivals) if (t > since) n += 1;
    return n;
  }

  /** How many queued handoffs the next call takes (at least one when any is queued). */
  private fitsOneCall(): number {
    let n = 0;
    let cost = 0;
    for (const q of this.queue) {
      if (n >= this.config.maxBatchSize || (n > 0 && cost + q.cost > this.maxCallCost)) break;
      n += 1;
      cost += q.cost;
    }
    return n;
  }

  /** What a handoff costs of a call; the running mean follows it. */
  private measure(record: StoredHandoff): number {
    let cost: number;
    try {
      cost = Math.max(1, this.costOf(record.prepared));
    } catch {
      cost = 1; // cannot be sized (cannot be planned either): deliver says why, for it alone
    }
    this.meanCost = this.meanCost === 0 ? cost : this.meanCost * 0.9 + cost * 0.1;
    return cost;
  }

  /** Roughly how many handoffs one call holds, by what handoffs have cost lately. */
  private callCapacity(): number {
    if (this.maxCallCost === Infinity || this.meanCost === 0) return this.config.maxBatchSize;
    return Math.max(1, Math.min(this.config.maxBatchSize, Math.floor(this.maxCallCost / this.meanCost)));
  }

  /**
   * Until when the accepts under way count as handoffs on their way (epoch ms; -Infinity: none under
   * way): the latest one's begin plus twice the median of recent accepts (at least
   * MIN_ACCEPT_WAIT_MS; maxHoldMs before any accept has been timed). An accept that takes much longer
   * than accepts usually do is stalled (the store's thread or its disk is slow), not about to bring a
   * handoff: waiting for it would only add its stall to handoffs that are ready. In a burst, accepts
   * begin all the time and take long (they queue for the store), so this stays ahead of the hold.
   */
  private acceptsOnTheirWayUntil(): number {
    let latest: { at: number } | undefined;
    for (const begun of this.accepting) latest = begun; // a Set keeps the order they began in
    if (!latest) return -Infinity;
    if (this.acceptTimes.length === 0) return latest.at + this.config.maxHoldMs;
    if (this.acceptMedianMs === null) {
      const times = this.acceptTimes.slice().sort((a, b) => a - b);
      this.acceptMedianMs = times[Math.floor(times.length / 2)] ?? 0;
    }
    return latest.at + Math.max(MIN_ACCEPT_WAIT_MS, 2 * this.acceptMedianMs);
  }

  /**
   * 0: send what is queued now; otherwise how long to hold it (ms), by the arrival rate. See the
   * coalescing note at the top. A hold names its rule in `heldBy` (the coalescing-wait metric's label).
   */
  private holdFor(): number {
    const { maxHoldMs } = this.config;
    const first = this.queue[0];
    if (maxHoldMs === 0 || !first) return 0;
    const taken = this.fitsOneCall();
    if (taken < this.queue.length) return 0; // a full call is waiting
    const capacity = this.callCapacity();
    if (taken >= capacity) return 0;
    const now = this.now();
    // Once maxPartialCalls calls with room to spare are in flight, another waits for one of them to
    // answer, at most maxHoldMs (a steady stream's latency stays bounded). While saturated (the event
    // loop has a backlog: more handoffs are on their way than have arrived) one only, and the wait is
    // up to maxPartialHoldMs, so a trickle — a burst the service is still accepting — does not take a
    // call per free slot.
    //
    // Only while more are on their way: some accept is under way, or the service is saturated. A
    // handoff that arrives on its own (nothing else being accepted) goes out at once whatever is in
    // flight, within `concurrency`: holding it would only add the wait, with nothing to share it with.
    let partials = 0;
    for (const f of this.inFlight) if (f.partial) partials += 1;
    if (partials > 0) {
      const saturated = this.holdLoad() >= this.config.saturatedLoad;
      const acceptsUntil = saturated ? -Infinity : this.acceptsOnTheirWayUntil();
      if (saturated || now < acceptsUntil) {
        const allowed = saturated ? 1 : this.config.maxPartialCalls;
        const untilPartial = saturated
          ? first.queuedAt + this.config.maxPartialHoldMs
          : Math.min(first.queuedAt + maxHoldMs, acceptsUntil);
        if (partials >= allowed && now < untilPartial) {
          this.heldBy = saturated ? 'saturated' : 'accepts';
          return untilPartial - now;
        }
      }
    }
    const until = first.queuedAt + maxHoldMs;
    if (now >= until) return 0;
    // At the rate of the last maxHoldMs, does the call fill within about as long again?
    if (this.queue.length + this.arrivedSince(now - maxHoldMs) < capacity) return 0;
    this.heldBy = 'filling';
    return until - now;
  }

  /** Calls that may be in flight now: fewer while the org is slow. */
  private slots(): number {
    const { concurrency, slowConcurrency, slowCallMs } = this.config;
    const now = this.now();
    for (const f of this.inFlight) {
      if (now - f.startedAt > slowCallMs) return Math.min(concurrency, slowConcurrency);
    }
    return concurrency;
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
        while (this.running && this.inFlight.size < this.slots() && this.breaker.canClaim()) {
          // What the store holds is claimed when nothing is queued, and once per poll interval
          // otherwise (so retries are not starved by a steady stream of new handoffs); it joins the
          // queue ahead of the new ones (it is older).
          const pollDue = this.now() - this.lastStoreClaimAt >= this.config.pollIntervalMs;
          if (this.queue.length === 0 && (pollDue || this.storeDue || this.claiming)) {
            await this.claimShared();
            if (this.queue.length === 0) break;
            continue;
          }
          // What is queued does not wait for the store's answer (a round trip to its thread, a lock
          // on PostgreSQL): the poll's claim runs beside the sending and joins the queue when it comes.
          if (pollDue && !this.claiming) this.claimBeside();
          if (this.queue.length === 0) break;
          const hold = this.holdFor();
          if (hold > 0) {
            holdMs = hold;
            break;
          }
          const batch = this.takeQueued();
          const probe = this.breaker.onClaim();
          this.track(batch, probe);
          if (probe) break;
        }
        // What is still queued with no hold decided waits for a slot (or the circuit) to free.
        if (this.queue.length > 0 && holdMs === Infinity) this.heldBy = 'no_slot';
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

  /** One claim from the store at a time: a claim already running is joined, not repeated. */
  private claimShared(): Promise<void> {
    this.claiming ??= this.claim().finally(() => {
      this.claiming = null;
    });
    return this.claiming;
  }

  /** Claims without holding up the loop; the loop runs again when the claim has answered. */
  private claimBeside(): void {
    this.claimShared().then(
      () => this.schedule(0),
      (err: unknown) => {
        this.log.error('delivery: claiming from the store failed', { error: errorMessage(err) });
        this.schedule(0);
      },
    );
  }

  /**
   * Takes the next call's worth from the queue. Each handoff's wait since it was queued goes to the
   * coalescing-wait metric, labelled with the rule that last held what was queued (none: it left as
   * soon as the worker looked).
   */
  private takeQueued(): StoredHandoff[] {
    const taken = this.queue.splice(0, this.fitsOneCall());
    const wait = this.metrics?.coalescingWait;
    if (wait) {
      const now = this.now();
      const heldBy = this.heldBy ?? 'none';
      for (const q of taken) wait.observe({ held_by: heldBy }, Math.max(0, now - q.queuedAt) / 1000);
    }
    this.heldBy = null;
    return taken.map((q) => q.record);
  }

  private track(batch: StoredHandoff[], probe: boolean): InFlight {
    const entry: InFlight = {
      ids: batch.map((r) => r.handoffId),
      partial: batch.length < this.callCapacity(),
      startedAt: this.now(),
      done: Promise.resolve(),
    };
    this.ensureRenewal();
    entry.done = this.deliverBatch(batch, probe)
      .catch((err: unknown) => {
        this.log.error('delivery: batch processing failed', {
          error: errorMessage(err),
          handoffs: entry.ids.length,
        });
      })
      .finally(() => {
        this.inFlight.delete(entry);
        // A slot is free: send again at once (more may be queued or due).
        this.schedule(0);
      });
    this.inFlight.add(entry);
    return entry;
  }

  /** While this worker holds records (queued or in flight), their leases are renewed. */
  private ensureRenewal(): void {
    if (this.renewTimer) return;
    const every = Math.max(100, Math.floor(this.config.leaseMs / 3));
    this.renewTimer = setInterval(() => void this.renewHeld(), every);
    this.renewTimer.unref();
  }

  private stopRenewal(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
  }

  private async renewHeld(): Promise<void> {
    const queued = this.queue.map((q) => q.record.handoffId);
    const ids = [...queued, ...[...this.inFlight].flatMap((f) => f.ids)];
    if (ids.length === 0) {
      this.stopRenewal();
      return;
    }
    const now = this.now();
    try {
      const held = new Set(await this.store.renewLease(ids, this.workerId, now + this.config.leaseMs, now));
      // A queued record whose claim was lost (the lease lapsed) belongs to whoever reclaimed it.
      const lost = queued.filter((id) => !held.has(id));
      if (lost.length > 0) {
        const gone = new Set(lost);
        this.queue = this.queue.filter((q) => !gone.has(q.record.handoffId));
        this.log.warn('delivery: queued handoffs lost their claim', { handoffs: lost.length });
      }
    } catch (err) {
      this.log.warn('delivery: lease renewal failed', { error: errorMessage(err) });
    }
  }

  /** Claims up to a call's worth of due handoffs from the store, ahead of what is queued. */
  private async claim(): Promise<void> {
    const max = this.callCapacity();
    const now = this.now();
    this.lastStoreClaimAt = now;
    const batch = await this.store.claimBatch(this.workerId, max, this.config.leaseMs, now);
    // Fewer than asked: nothing else is due in the store right now; as many: there may be more.
    this.storeDue = batch.length >= max;
    if (batch.length === 0) return;
    if (this.stopped) {
      // Stopped while claiming: give them back now rather than when the lease lapses.
      await this.store.release(
        batch.map((r) => r.handoffId),
        this.workerId,
        this.now(),
      );
      return;
    }
    this.queue.unshift(...batch.map((record) => ({ record, cost: this.measure(record), queuedAt: now })));
    this.ensureRenewal();
  }

  private async deliverBatch(batch: StoredHandoff[], probe: boolean): Promise<void> {
    let salesforceAnswered = false;
    let failedTransiently = 0;
    let toSend = batch;

    // 1. Whatever an earlier attempt may have written is looked up, never written again.
    // (Or an earlier send may have left it there without a record: store/early-send.ts.)
    const doubts = this.store.sendDoubts;
    const mustVerify = batch.filter((r) => r.verifyFirst || doubts?.mustVerify(r.handoffId) === true);
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

  /**
   * Reports a batch's delivered handoffs (their waiters get their answers now: Salesforce has them),
   * then marks them routed in one store transaction. A claim lost meanwhile (the lease lapsed) is only
   * logged: whoever took it over finds the handoff in Salesforce before writing anything.
   */
  private async settleDelivered(
    delivered: readonly [StoredHandoff, DeliveredOutcome][],
    found: boolean,
  ): Promise<void> {
    if (delivered.length === 0) return;
    const now = this.now();
    for (const [r, outcome] of delivered) this.reportDelivered(r, outcome, found, now);
    let ok: boolean[];
    try {
      ok = await this.store.markDeliveredMany(
        delivered.map(([, outcome]) => outcome),
        this.workerId,
        now,
      );
    } finally {
      for (const [r] of delivered) this.unsettled.delete(r.handoffId);
    }
    delivered.forEach(([r], i) => {
      if (!ok[i]) this.log.warn('delivery: claim lost before marking delivered', { handoffId: r.handoffId });
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
    const record: StoredHandoff = {
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
    };
    this.unsettled.set(r.handoffId, record);
    this.emit(record);
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

/**
 * The event loop's utilization (0..1), sampled when asked: the lower of its utilization over the last
 * ~windowMs and over the last ~releaseMs. Saturation has to last a whole window to count, and it stops
 * counting within releaseMs of the backlog clearing: a busy moment in a steady stream (a pause, a few
 * requests at once) then holds a call for tens of ms rather than the round trip of the one in flight,
 * while a burst being accepted keeps the loop busy in every short window too.
 */
export function eventLoopLoad(windowMs = 100, releaseMs = 20): () => number {
  const sampler = (ms: number) => {
    let last = performance.eventLoopUtilization();
    let value = 0;
    return () => {
      const now = performance.eventLoopUtilization();
      const d = performance.eventLoopUtilization(now, last);
      if (d.idle + d.active >= ms) {
        value = d.utilization;
        last = now;
      }
      return value;
    };
  };
  const sustained = sampler(windowMs);
  const recent = sampler(releaseMs);
  return () => Math.min(sustained(), recent());
}
