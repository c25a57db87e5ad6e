/**
 * The durable Deliverer (src/service/deliverer.ts): accept into the store first, then give the
 * worker the latency budget to deliver. Delivered within the budget → `delivered` (201 with the
 * case); otherwise → `pending` (202 with a status URL) and the worker keeps going in the background.
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
import type { HandoffStore, StoredHandoff } from './store/types';
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

const SETTLED = new Set(['routed', 'agent_assigned', 'dead_lettered']);

export class DurableDeliverer implements Deliverer {
  readonly worker: DeliveryWorker;
  readonly poller: AgentAssignmentPoller | null;
  readonly callbacks: StatusCallbacks;
  readonly metrics: DeliveryMetrics;
  private readonly waiters = new Map<string, Set<(r: StoredHandoff) => void>>();
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
    let accepted;
    const acceptSettled = this.worker.beginAccept();
    const acceptStarted = performance.now();
    try {
      // Claimed by this instance's worker in the same commit when it has room: no second round trip.
      accepted = await this.store.accept(prepared, this.now(), this.worker.offerClaim());
    } catch (err) {
      this.log.error('handoff store unavailable', { error: errorMessage(err) });
      throw unavailable('the handoff could not be stored; nothing was sent, retry later', err);
    } finally {
      acceptSettled();
    }
    this.metrics.acceptDuration.observe((performance.now() - acceptStarted) / 1000);
    if (accepted.kind === 'duplicate') {
      this.metrics.duplicates.inc({ result: 'replay' });
      return { state: 'replay', record: toHandoffRecord(accepted.record) };
    }
    if (accepted.kind === 'conflict') {
      this.metrics.duplicates.inc({ result: 'conflict' });
      return { state: 'conflict', record: toHandoffRecord(accepted.record) };
    }
    this.metrics.accepted.inc();
    const settled = await this.deliverWithin(accepted.record, this.options.config.latencyBudgetMs);
    const record = settled ?? accepted.record;
    return {
      state: record.state === 'routed' || record.state === 'agent_assigned' ? 'delivered' : 'pending',
      record: toHandoffRecord(record),
    };
  }

  /**
   * Hands the accepted handoff to the worker and waits up to budgetMs for this handoff to be routed or dead-lettered (or to
   * fail with its next attempt beyond the budget). When this instance's worker settled it, the record
   * it reported is the answer (no read back); when the budget ran out, the store is read (another
   * instance may have delivered it); with no wait (budget 0, circuit open, worker stopped), null: the
   * accepted record stands. Never throws for a store read failure: the handoff is stored, so it is
   * pending.
   */
  private async deliverWithin(accepted: StoredHandoff, budgetMs: number): Promise<StoredHandoff | null> {
    const id = accepted.handoffId;
    // While the circuit is open nothing is sent: answer 202 at once instead of waiting out the budget.
    if (budgetMs > 0 && this.worker.isRunning && this.worker.breaker.state !== 'open') {
      const deadline = this.now() + budgetMs;
      const reported = await new Promise<StoredHandoff | null>((resolve) => {
        const set = this.waiters.get(id) ?? new Set();
        const done = (r: StoredHandoff | null) => {
          clearTimeout(timer);
          set.delete(listener);
          if (set.size === 0) this.waiters.delete(id);
          resolve(r);
        };
        const listener = (r: StoredHandoff) => {
          if (SETTLED.has(r.state) || (r.state === 'failed' && r.nextAttemptAt > deadline)) done(r);
        };
        const timer = setTimeout(() => done(null), budgetMs);
        timer.unref();
        set.add(listener);
        this.waiters.set(id, set);
        this.worker.enqueue(accepted);
      });
      if (reported) return reported;
    } else {
      // Nothing was waited for: the record accept returned is what the store holds.
      this.worker.enqueue(accepted);
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
  const store = options.store ?? (await openHandoffStore(options.config.store));
  const deliverer = new DurableDeliverer(store, { ...options, ownsStore: options.store === undefined });
  if (options.autoStart !== false) deliverer.start();
  return deliverer;
}
