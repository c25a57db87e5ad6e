/**
 * Prometheus metrics of durable delivery. The edge engineer mounts `registry` at GET /metrics
 * (`res.type(registry.contentType).send(await registry.metrics())`), or passes their own registry in.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerState } from './circuit-breaker';
import type { HandoffStore } from './store/types';

export interface DeliveryMetrics {
  readonly registry: Registry;
  readonly accepted: Counter;
  readonly duplicates: Counter<'result'>;
  readonly delivered: Counter;
  readonly retried: Counter<'reason'>;
  readonly deadLettered: Counter<'reason'>;
  readonly salesforceCalls: Counter;
  readonly deliveryLatency: Histogram;
  readonly batchSize: Histogram;
  /** From joining the worker's queue (accepted here, or claimed) to its call leaving, by the rule that held it. */
  readonly coalescingWait: Histogram<'held_by'>;
  /** The durable accept as a request waits for it: the store's commit, and its thread's round trip. */
  readonly acceptDuration: Histogram;
  readonly breakerState: Gauge;
  readonly callbacks: Counter<'result'>;
  /** The queue gauges read the store when scraped. */
  attachStore(store: HandoffStore, now?: () => number): void;
  setBreakerState(state: BreakerState): void;
}

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

export function createDeliveryMetrics(
  registry: Registry = new Registry(),
  prefix = 'fsc_handoff_',
): DeliveryMetrics {
  let store: HandoffStore | null = null;
  let clock: () => number = Date.now;
  const registers = [registry];

  const queueDepth = new Gauge({
    name: `${prefix}queue_depth`,
    help: 'Handoffs per delivery state (accepted, delivering and failed are still on their way)',
    labelNames: ['state'],
    registers,
    async collect() {
      if (!store) return;
      const s = await store.stats(clock());
      this.reset();
      for (const [state, n] of Object.entries(s.counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: `${prefix}queue_oldest_age_seconds`,
    help: 'Age of the oldest accepted handoff not yet delivered',
    registers,
    async collect() {
      if (!store) return;
      this.set((await store.stats(clock())).oldestPendingAgeMs / 1000);
    },
  });
  void queueDepth;

  const breakerState = new Gauge({
    name: `${prefix}circuit_state`,
    help: 'Salesforce circuit breaker: 0 closed, 1 half-open, 2 open',
    registers,
  });
  breakerState.set(0);

  return {
    registry,
    accepted: new Counter({ name: `${prefix}accepted_total`, help: 'Handoffs accepted durably', registers }),
    duplicates: new Counter({
      name: `${prefix}resubmitted_total`,
      help: 'Submits of an already accepted handoffId (replay: same body; conflict: different body)',
      labelNames: ['result'],
      registers,
    }),
    delivered: new Counter({
      name: `${prefix}delivered_total`,
      help: 'Handoffs delivered to Salesforce',
      registers,
    }),
    retried: new Counter({
      name: `${prefix}retried_total`,
      help: 'Delivery attempts that failed and were scheduled again',
      labelNames: ['reason'],
      registers,
    }),
    deadLettered: new Counter({
      name: `${prefix}dead_lettered_total`,
      help: 'Handoffs that will not be retried until an operator replays them',
      labelNames: ['reason'],
      registers,
    }),
    salesforceCalls: new Counter({
      name: `${prefix}salesforce_api_calls_total`,
      help: 'Salesforce API calls made by delivery',
      registers,
    }),
    deliveryLatency: new Histogram({
      name: `${prefix}delivery_latency_seconds`,
      help: 'From acceptance to Salesforce having the Case',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    }),
    batchSize: new Histogram({
      name: `${prefix}delivery_batch_size`,
      help: 'Handoffs per delivery call',
      buckets: [1, 2, 5, 10, 25, 50, 75],
      registers,
    }),
    coalescingWait: new Histogram({
      name: `${prefix}coalescing_wait_seconds`,
      help:
        'From joining the queue for a call (accepted here, or claimed from the store) to leaving in one; ' +
        'held_by: the rule that held that call (none, filling, accepts, saturated, no_slot)',
      labelNames: ['held_by'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    acceptDuration: new Histogram({
      name: `${prefix}accept_duration_seconds`,
      help: 'The durable accept as its request waits for it (store commit and round trip; replays included)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    breakerState,
    callbacks: new Counter({
      name: `${prefix}status_callbacks_total`,
      help: 'Signed status callbacks (sent, failed after retries, refused URL)',
      labelNames: ['result'],
      registers,
    }),
    attachStore(s, now = Date.now) {
      store = s;
      clock = now;
    },
    setBreakerState(state) {
      breakerState.set(BREAKER_VALUE[state]);
    },
  };
}
