/**
 * Durable delivery wired to the real Salesforce module: deliverHandoffs for batches, findDelivered
 * for the unknown-outcome lookup, client.query for the AgentWork poller.
 */
import type { PreparedHandoff } from '../contract/prepared';
import { GRAPH_LIMITS, planHandoffGraph } from '../plan/graph';
import type { CompositeGraph, ResolvedIds } from '../plan/graph';
import type { SalesforceMapping } from '../plan/mapping';
import { deliverHandoffs, findDelivered, graphNodeCount } from '../salesforce';
import type { SalesforceClient } from '../salesforce';
import type { QueryFn } from './agent-poller';
import type { DeliveryConfig } from './config';
import { createDurableDeliverer } from './durable-deliverer';
import type { DurableDeliverer, DurableDelivererOptions } from './durable-deliverer';
import type { DeliveryLogger } from './logger';
import type { DeliveryMetrics } from './metrics';
import type { CostFn, DeliverFn, FindDeliveredFn } from './worker';

export interface SalesforceDeliveryFunctions {
  deliver: DeliverFn;
  findDelivered: FindDeliveredFn;
  query: QueryFn;
  /** A handoff's graph nodes, so the worker fills a call up to the payload's node limit. */
  cost: CostFn;
  maxCallCost: number;
}

export function salesforceDeliveryFunctions(
  client: SalesforceClient,
  mapping: SalesforceMapping,
  logger?: DeliveryLogger,
): SalesforceDeliveryFunctions {
  const log = logger
    ? {
        info: (m: string, meta?: Record<string, unknown>) => void logger.info(m, meta),
        warn: (m: string, meta?: Record<string, unknown>) => void logger.warn(m, meta),
        error: (m: string, meta?: Record<string, unknown>) => void logger.error(m, meta),
        debug: (m: string, meta?: Record<string, unknown>) => void logger.debug(m, meta),
      }
    : undefined;
  // Each handoff's graph is planned once: to size the worker's call (cost), with the ids the org
  // answered last time, and reused by deliverHandoffs when those are still the ids it sends with.
  let knownIds: ResolvedIds | undefined;
  const planned = new WeakMap<PreparedHandoff, { ids: ResolvedIds; graph: CompositeGraph }>();
  return {
    deliver: (batch) =>
      deliverHandoffs(batch, client, {
        mapping,
        logger: log,
        // deliverHandoffs resolves the ids (or fails the batch saying why) and shows them here.
        planned: (p, used) => {
          knownIds = used;
          const hit = planned.get(p);
          // Handed over once: the call lets the graph go when it is sent (a retry plans again).
          planned.delete(p);
          return hit && hit.ids === used ? hit.graph : undefined;
        },
      }),
    findDelivered: async (ids) => {
      const found = await findDelivered(ids, client, mapping);
      return [...found.values()].map((r) => ({
        kind: 'delivered' as const,
        handoffId: r.handoffId,
        caseId: r.caseId,
        caseNumber: r.caseNumber,
        handoffRecordId: r.handoffRecordId,
        enrichedExistingCase: r.enrichedExistingCase,
        salesforceApiCalls: 0,
      }));
    },
    query: (soql) => client.query<Record<string, unknown>>(soql),
    cost: (p) => {
      if (!knownIds) return graphNodeCount(p, mapping, client.apiVersion);
      const graph = planHandoffGraph({
        prepared: p,
        ids: knownIds,
        mapping,
        apiVersion: client.apiVersion,
        graphId: 'g',
      });
      planned.set(p, { ids: knownIds, graph });
      return graph.compositeRequest.length;
    },
    maxCallCost: GRAPH_LIMITS.nodesPerPayload,
  };
}

export interface CreateDelivererOptions extends Omit<
  DurableDelivererOptions,
  'deliver' | 'findDelivered' | 'query' | 'config' | 'cost' | 'maxCallCost'
> {
  config: DeliveryConfig;
  salesforce: SalesforceClient;
  mapping: SalesforceMapping;
  logger?: DeliveryLogger;
  metrics?: DeliveryMetrics;
}

/**
 * The factory src/main.ts and src/cli/dev.ts call: opens the configured store (creating its schema),
 * starts the worker and the AgentWork poller. `await deliverer.close()` on shutdown.
 */
export function createDeliverer(options: CreateDelivererOptions): Promise<DurableDeliverer> {
  const { salesforce, mapping, ...rest } = options;
  return createDurableDeliverer({
    ...rest,
    ...salesforceDeliveryFunctions(salesforce, mapping, options.logger),
  });
}
