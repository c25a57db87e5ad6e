/**
 * The durable Deliverer (src/service/deliverer.ts): accept into the store, and give the worker the
 * latency budget to deliver. Delivered within the budget → `delivered` (201 with the case); otherwise
 * → `pending` (202 with a status URL) and the worker keeps going in the background. Either way the
 * answer comes only once the handoff is stored.
 *
 * The accept commits before the handoff goes to the worker, except on a SQLite file this process
 * owns alone (store/early-send.ts): there a handoff the file does not hold goes to the worker at once
 * and its call runs beside its commit, while fewer than EARLY_SEND_MAX_ACCEPTS accepts are under way
 * and the service is not saturated.
 *
 * Wiring (src/main.ts, src/cli/dev.ts):
 *
 *   const deliverer = await createDurableDeliverer({
 *     config: config.delivery,
 *     deliver: (batch) => deliverHandoffs(batch, client),
 *     findDelivered: (ids) => findDelivered(ids, client),
 *     query: (soql) => client.query(soql),
 *     logger,
 *   });
 *   app.get('/metrics', … deliverer.metrics.registry …);
 *   createHandoffService({ deliverer, … });
 *   // on SIGTERM: await deliverer.close();
 */
import { performance } from 'node:perf_hooks';
import { AppError } from '../errors';
import type { PreparedHandoff } from '../contract/prepared';
import type { Deliverer, HandoffRecord, ReadinessCheck, SubmitResult } from '../service/deliverer';
import { AgentAssignmentPoller } from './agent-poller';
import type { QueryFn } from './agent-poller';
import { StatusCallbacks } from './callbacks';
import type { FetchFn, LookupFn } from './callbacks';
import type { DeliveryConfig } from './config';
import type { DeliveryLogger } from './logger';
import { errorMessage, silentLogger } from './logger';
import { createDeliveryMetrics } from './metrics';
import type { DeliveryMetrics } from './metrics';
import { openHandoffStore } from './store';
import type { EarlySend } from './store/early-send';
import { newRecord } from './store/rows';
import type { AcceptClaim, AcceptResult, HandoffStore, StoredHandoff } from './store/types';
import { DeliveryWorker } from './worker';
import type { CostFn, DeliverFn, FindDeliveredFn } from './worker';

export interface DurableDelivererOptions {
  config: DeliveryConfig;
  deliver: DeliverFn;
  findDelivered: FindDeliveredFn;
  /** What a handoff costs of a call (graph nodes) and the most a call holds; see DeliveryWorker. */
  cost?: CostFn;
  maxCallCost?: number;
  /** SOQL for the AgentWork poller; without it no agent_assigned status is learned. */
  query?: QueryFn;
  logger?: DeliveryLogger;
  /** Pass the service's registry to expose delivery metrics next to the others. */
  metrics?: DeliveryMetrics;
  /** An already open store (tests, CLI); otherwise opened from config.store and closed on close(). */
  store?: HandoffStore;
  /** Start the worker and the agent poller (default true). */
  autoStart?: boolean;
  now?: () => number;
  random?: () => number;
  fetch?: FetchFn;
  lookup?: LookupFn;
}

/** A stored handoff as the service sees it. */
export function toHandoffRecord(r: StoredHandoff): HandoffRecord {
  return {
    handoffId: r.handoffId,
    bodyHash: r.bodyHash,
    state: r.state,
    receivedAt: r.prepared.receivedAt,
    decision: r.routing,
    redactions: r.prepared.redactions,
    outcome:
      r.caseId && r.handoffRecordId
        ? {
            kind: 'delivered',
            handoffId: r.handoffId,
            caseId: r.caseId,
            caseNumber: r.caseNumber,
            handoffRecordId: r.handoffRecordId,
            enrichedExistingCase: r.enrichedExistingCase,
            salesforceApiCalls: r.salesforceApiCalls,
          }
        : null,
    lastError: r.lastError,
    salesforceApiCalls: r.salesforceApiCalls,
    agent: r.agent,
    caller: r.prepared.caller ?? null,
  };
}

/**
 * A handoff is sent ahead of its commit only while fewer accepts than this are under way here (and
 * the service is not saturated). Beyond that, handoffs are arriving together (a burst, or a backlog
 * after a stall): their accepts commit first, and the store's group commit hands them to the worker
 * together, which is what fills a burst's calls. The bench's burst of 500 took 18–19 calls with 2,
 * up to 40 with 4, up to 62 with no limit.
 */
export const EARLY_SEND_MAX_ACCEPTS = 2;
const SETTLED = new Set(['routed', 'agent_assigned', 'dead_lettered']);

/** The service's answer for a handoff's record: delivered once routed, pending before. */
function answerFor(record: StoredHandoff): SubmitResult {
  return {
    state: record.state === 'routed' || record.state === 'agent_assigned' ? 'delivered' : 'pending',
    record: toHandoffRecord(record),
  };
}

export class DurableDeliverer implements Deliverer {
  readonly worker: DeliveryWorker;
  readonly poller: AgentAssignmentPoller | null;
  readonly callbacks: StatusCallbacks;
  readonly metrics: DeliveryMetrics;
  private readonly waiters = new Map<string, Set<(r: StoredHandoff) => void>>();
  /** Accepts under way here by id, on either path: not known to the store's file yet. */
  private readonly storing = new Map<string, number>();
  /** Handoffs sent early whose accept is under way, with what the worker last reported of them. */
  private readonly reportsWhileStoring = new Map<string, StoredHandoff | null>();
  private readonly log: DeliveryLogger;
  private readonly now: () => number;
  private closed = false;

  constructor(
    readonly store: HandoffStore,
    private readonly options: DurableDelivererOptions & { ownsStore: boolean },
  ) {
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.metrics = options.metrics ?? createDeliveryMetrics();
    this.metrics.attachStore(store, this.now);
    this.callbacks = new StatusCallbacks({
      config: options.config.callbacks,
      logger: this.log,
      metrics: this.metrics,
      fetch: options.fetch,
      lookup: options.lookup,
      now: this.now,
    });
    this.worker = new DeliveryWorker({
      store,
      config: options.config,
      deliver: options.deliver,
      findDelivered: options.findDelivered,
      cost: options.cost,
      maxCallCost: options.maxCallCost,
      logger: this.log,
      metrics: this.metrics,
      now: this.now,
      random: options.random,
    });
    this.worker.onStateChange((r) => {
      if (this.reportsWhileStoring.has(r.handoffId)) this.reportsWhileStoring.set(r.handoffId, r);
      if (r.state === 'routed') store.sendDoubts?.delivered(r.handoffId);
      if (r.state === 'routed' || r.state === 'dead_lettered') this.callbacks.notify(r, r.state);
      this.wake(r);
    });
    this.poller = options.query
      ? new AgentAssignmentPoller({
          store,
          query: options.query,
          config: options.config.agentPoll,
          logger: this.log,
          now: this.now,
          onAssigned: (r) => this.callbacks.notify(r, 'agent_assigned'),
        })
      : null;
  }

  start(): void {
    this.worker.start();
    this.poller?.start();
  }

  async submit(prepared: PreparedHandoff): Promise<SubmitResult> {
    if (this.closed) throw unavailable('the service is shutting down', undefined);
    const id = prepared.handoffId;
    const arrivedAt = this.now();
    if (this.store.sendDoubts?.mustVerify(id) && this.worker.carries(id)) {
      // A send of it whose accept failed is still on its way: what it did is not known yet.
      throw unavailable('this handoff is still being sent; retry with the same handoffId shortly', undefined);
    }
    const early = this.store.earlySend;
    if (
      early &&
      this.storing.size < EARLY_SEND_MAX_ACCEPTS &&
      !this.storing.has(id) &&
      !this.worker.saturated
    ) {
      const claim = this.worker.offerClaim();
      if (claim && this.isNew(early, id)) return this.submitEarly(early, prepared, claim, arrivedAt);
    }
    return this.submitAfterAccept(prepared, arrivedAt);
  }

  /** Counts an accept of this id under way here (several requests may carry the same id). */
  private beginStoring(id: string): () => void {
    this.storing.set(id, (this.storing.get(id) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const n = (this.storing.get(id) ?? 1) - 1;
      if (n > 0) this.storing.set(id, n);
      else this.storing.delete(id);
    };
  }

  /** The accept commits, then the handoff goes to the worker (a replay or conflict is answered). */
  private async submitAfterAccept(prepared: PreparedHandoff, arrivedAt: number): Promise<SubmitResult> {
    const id = prepared.handoffId;
    let accepted;
    const acceptSettled = this.worker.beginAccept();
    const acceptStarted = performance.now();
    const stored = this.beginStoring(id);
    try {
      // Claimed by this instance's worker in the same commit when it has room: no second round trip.
      accepted = await this.store.accept(prepared, this.now(), this.worker.offerClaim());
    } catch (err) {
      this.log.error('handoff store unavailable', { error: errorMessage(err) });
      throw unavailable('the handoff could not be stored; nothing was sent, retry later', err);
    } finally {
      stored();
      acceptSettled();
    }
    this.metrics.acceptDuration.observe((performance.now() - acceptStarted) / 1000);
    if (accepted.kind !== 'accepted') return this.answerKnown(accepted);
    this.store.sendDoubts?.stored(id);
    this.metrics.accepted.inc();
    const settled = await this.deliverWithin(accepted.record, this.options.config.latencyBudgetMs, arrivedAt);
    return answerFor(settled ?? accepted.record);
  }

  /** Whether the store's file says this id is new; when it cannot tell, no (accept() will). */
  private isNew(early: EarlySend, id: string): boolean {
    try {
      return !early.knows(id);
    } catch (err) {
      this.log.warn('handoff store: cannot read ahead of the accept', { error: errorMessage(err) });
      return false;
    }
  }

  /**
   * A handoff the store does not hold, sent while its accept commits (store/early-send.ts): the call
   * to Salesforce and the commit run side by side, and the answer waits for both. Only a store this
   * process owns alone offers it; the journal entry written first lets whoever opens the file next
   * find out, after a crash, that the handoff may be in Salesforce without a record.
   */
  private async submitEarly(
    early: EarlySend,
    prepared: PreparedHandoff,
    claim: AcceptClaim,
    arrivedAt: number,
  ): Promise<SubmitResult> {
    const id = prepared.handoffId;
    const now = this.now();
    const record = newRecord(prepared, now, claim);
    try {
      early.sending(id);
    } catch (err) {
      // No journal entry, no early send: the accept commits first, as with a shared store.
      this.log.warn('handoff store: cannot journal an early send', { error: errorMessage(err) });
      early.notSent(id);
      return this.submitAfterAccept(prepared, arrivedAt);
    }
    const stored = this.beginStoring(id);
    this.reportsWhileStoring.set(id, null);
    const acceptStarted = performance.now();
    const accepting = this.store.accept(prepared, now, claim);
    const delivering = this.deliverWithin(record, this.options.config.latencyBudgetMs, arrivedAt);
    let accepted: AcceptResult;
    try {
      accepted = await accepting;
    } catch (err) {
      this.log.error('handoff store unavailable', { error: errorMessage(err) });
      return await this.afterUnstoredSend(early, id, this.reportsWhileStoring.get(id) ?? null, err);
    } finally {
      stored();
      this.reportsWhileStoring.delete(id);
    }
    this.metrics.acceptDuration.observe((performance.now() - acceptStarted) / 1000);
    if (accepted.kind !== 'accepted') {
      // Cannot happen while this process owns the file (the lock): its read and its own accepts
      // under way said the id was new. Take the early send back if it has not left.
      this.log.error('handoff store: a handoff sent ahead of its accept was already stored', {
        handoffId: id,
      });
      this.worker.withdraw(id);
      early.notSent(id);
      return this.answerKnown(accepted);
    }
    early.stored(id);
    this.metrics.accepted.inc();
    return answerFor((await delivering) ?? record);
  }

  /**
   * The accept of a handoff sent early failed (the store's thread died, the disk is full): 503 either
   * way, so every 201/202 answers a stored handoff. If its call has not left, it is taken back and
   * nothing was sent. If it has, the answer waits for what Salesforce says (within the budget), and
   * the id stays in doubt until a record of it is stored and Salesforce confirms it: the bot's retry
   * looks in Salesforce before sending it again, and finds it there if this call wrote it.
   */
  private async afterUnstoredSend(
    early: EarlySend,
    id: string,
    reported: StoredHandoff | null,
    err: unknown,
  ): Promise<never> {
    if (this.worker.withdraw(id)) {
      early.notSent(id);
      throw unavailable('the handoff could not be stored; nothing was sent, retry later', err);
    }
    early.inDoubt(id);
    // Without a record nothing retries it here; its first outcome ends the call (or the budget runs out).
    if (!reported) await this.reportOf(id, this.options.config.latencyBudgetMs, () => true);
    throw unavailable(
      'the handoff could not be stored, and it may have reached Salesforce; retry with the same handoffId (the retry looks in Salesforce before sending it again)',
      err,
    );
  }

  /**
   * The first record the worker reports for this id that `wanted` accepts; null after budgetMs. The
   * listener is in place when this returns.
   */
  private reportOf(
    id: string,
    budgetMs: number,
    wanted: (r: StoredHandoff) => boolean,
  ): Promise<StoredHandoff | null> {
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set();
      const done = (r: StoredHandoff | null) => {
        clearTimeout(timer);
        set.delete(listener);
        if (set.size === 0) this.waiters.delete(id);
        resolve(r);
      };
      const listener = (r: StoredHandoff) => {
        if (wanted(r)) done(r);
      };
      const timer = setTimeout(() => done(null), budgetMs);
      timer.unref();
      set.add(listener);
      this.waiters.set(id, set);
    });
  }

  /** A replay or a conflict: the stored record answers. */
  private answerKnown(accepted: Exclude<AcceptResult, { kind: 'accepted' }>): SubmitResult {
    if (accepted.kind === 'duplicate') {
      this.metrics.duplicates.inc({ result: 'replay' });
      return { state: 'replay', record: toHandoffRecord(accepted.record) };
    }
    this.metrics.duplicates.inc({ result: 'conflict' });
    return { state: 'conflict', record: toHandoffRecord(accepted.record) };
  }

  /**
   * Hands the accepted handoff to the worker and waits up to budgetMs for this handoff to be routed or dead-lettered (or to
   * fail with its next attempt beyond the budget). When this instance's worker settled it, the record
   * it reported is the answer (no read back); when the budget ran out, the store is read (another
   * instance may have delivered it); with no wait (budget 0, circuit open, worker stopped), null: the
   * accepted record stands. Never throws for a store read failure: the handoff is stored, so it is
   * pending.
   */
  private async deliverWithin(
    accepted: StoredHandoff,
    budgetMs: number,
    arrivedAt: number,
  ): Promise<StoredHandoff | null> {
    const id = accepted.handoffId;
    // While the circuit is open nothing is sent: answer 202 at once instead of waiting out the budget.
    if (budgetMs > 0 && this.worker.isRunning && this.worker.breaker.state !== 'open') {
      const deadline = this.now() + budgetMs;
      const settled = this.reportOf(
        id,
        budgetMs,
        (r) => SETTLED.has(r.state) || (r.state === 'failed' && r.nextAttemptAt > deadline),
      );
      this.worker.enqueue(accepted, arrivedAt);
      const reported = await settled;
      if (reported) return reported;
    } else {
      // Nothing was waited for: the record accept returned is what the store holds.
      this.worker.enqueue(accepted, arrivedAt);
      return null;
    }
    try {
      return await this.store.get(id);
    } catch (err) {
      this.log.warn('handoff store read failed after accept', { handoffId: id, error: errorMessage(err) });
      return null;
    }
  }

  private wake(r: StoredHandoff): void {
    const set = this.waiters.get(r.handoffId);
    if (set) for (const l of [...set]) l(r);
  }

  async status(handoffId: string): Promise<HandoffRecord | null> {
    let r: StoredHandoff | null;
    try {
      r = this.worker.reported(handoffId) ?? (await this.store.get(handoffId));
    } catch (err) {
      throw unavailable('the handoff store is unavailable, retry later', err);
    }
    return r ? toHandoffRecord(r) : null;
  }

  async readiness(): Promise<ReadinessCheck[]> {
    const checks: ReadinessCheck[] = [];
    try {
      await this.store.ping();
      checks.push({ name: 'handoff-store', ok: true, detail: `${this.store.kind} reachable` });
    } catch {
      checks.push({ name: 'handoff-store', ok: false, detail: `${this.store.kind} unreachable` });
    }
    const breaker = this.worker.breaker.state;
    const until = this.worker.breaker.reopensAt;
    checks.push({
      name: 'salesforce-circuit',
      // An open circuit still accepts handoffs durably; readiness reports it without failing.
      ok: true,
      detail:
        breaker === 'closed'
          ? 'circuit closed'
          : `circuit ${breaker.replace('_', '-')}${until ? ` until ${new Date(until).toISOString()}` : ''}`,
    });
    return checks;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.poller?.stop();
    await this.worker.stop();
    await this.callbacks.close();
    if (this.options.ownsStore) await this.store.close();
  }
}

function unavailable(message: string, cause: unknown): AppError {
  return new AppError({
    code: 'STORE_UNAVAILABLE',
    message,
    status: 503,
    transient: true,
    actions: ['Retry with the same handoffId: it is never delivered twice.'],
    cause,
  });
}

/** Opens the configured store (creating its schema), builds the deliverer and starts it. */
export async function createDurableDeliverer(options: DurableDelivererOptions): Promise<DurableDeliverer> {
  const store = options.store ?? (await openHandoffStore(options.config.store, { accepts: true }));
  const deliverer = new DurableDeliverer(store, { ...options, ownsStore: options.store === undefined });
  if (options.autoStart !== false) deliverer.start();
  return deliverer;
}
