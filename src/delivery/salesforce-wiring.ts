/**
 * Durable delivery wired to the real Salesforce module: deliverHandoffs for batches, findDelivered
 * for the unknown-outcome lookup, client.query for the AgentWork poller.
 */
import { GRAPH_LIMITS } from '../plan/graph';
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
  return {
    deliver: (batch) => deliverHandoffs(batch, client, { mapping, logger: log }),
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
    cost: (p) => graphNodeCount(p, mapping, client.apiVersion),
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
