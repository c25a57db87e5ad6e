/**
 * Learns when Omni-Channel has offered a routed handoff to an agent: for routed handoffs not yet
 * assigned, ONE SOQL query per batch asks for AgentWork by WorkItemId IN (…the case ids…), and each
 * case with an Assigned or Opened AgentWork is marked agent_assigned. Batches cycle through the
 * waiting handoffs (keyset by handoffId), so a case nobody picks up never starves the others.
 */
import type { DeliveryConfig } from './config';
import type { DeliveryLogger } from './logger';
import { errorMessage, silentLogger } from './logger';
import type { AgentAssignment, HandoffStore, StoredHandoff } from './store/types';

/** Runs a SOQL query (src/salesforce `client.query`); the records as Salesforce returns them. */
export type QueryFn = (soql: string) => Promise<Record<string, unknown>[]>;

const SF_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;
const ACTIVE = new Set(['Assigned', 'Opened']);

export interface AgentPollerOptions {
  store: HandoffStore;
  query: QueryFn;
  config: DeliveryConfig['agentPoll'];
  logger?: DeliveryLogger;
  now?: () => number;
  onAssigned?: (record: StoredHandoff) => void;
}

export function agentWorkQuery(caseIds: string[]): string {
  const ids = caseIds.filter((id) => SF_ID.test(id));
  return (
    'SELECT Id, WorkItemId, UserId, Status, AssignedDateTime, AcceptDateTime FROM AgentWork ' +
    `WHERE WorkItemId IN (${ids.map((id) => `'${id}'`).join(', ')})`
  );
}

/** Salesforce ids compare by their first 15 characters (the 18-character form adds a checksum). */
const id15 = (id: string) => id.slice(0, 15);

export class AgentAssignmentPoller {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private cursor = '';
  private current: Promise<unknown> = Promise.resolve();
  private readonly log: DeliveryLogger;
  private readonly now: () => number;

  constructor(private readonly options: AgentPollerOptions) {
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.running || !this.options.config.enabled) return;
    this.running = true;
    this.arm();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current.catch(() => undefined);
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.current = this.pollOnce()
        .catch((err: unknown) => this.log.warn('agent poll failed', { error: errorMessage(err) }))
        .finally(() => this.arm());
    }, this.options.config.intervalMs);
    this.timer.unref();
  }

  /** One batch: one query; returns how many handoffs were marked agent_assigned. */
  async pollOnce(): Promise<number> {
    const { store, config } = this.options;
    let batch = await store.listAwaitingAgent(config.batchSize, this.cursor);
    if (batch.length === 0 && this.cursor !== '') {
      this.cursor = '';
      batch = await store.listAwaitingAgent(config.batchSize, '');
    }
    this.cursor = batch.length < config.batchSize ? '' : (batch.at(-1)?.handoffId ?? '');
    const now = this.now();
    const waiting = batch.filter(
      (r) =>
        r.caseId && SF_ID.test(r.caseId) && (r.deliveredAt === null || now - r.deliveredAt < config.maxAgeMs),
    );
    if (waiting.length === 0) return 0;
    const records = await this.options.query(agentWorkQuery(waiting.map((r) => r.caseId!)));
    const byCase = new Map<string, AgentAssignment>();
    for (const w of records) {
      const workItemId = typeof w.WorkItemId === 'string' ? w.WorkItemId : null;
      const userId = typeof w.UserId === 'string' ? w.UserId : null;
      if (!workItemId || !userId || !ACTIVE.has(String(w.Status))) continue;
      const assignment: AgentAssignment = {
        userId,
        assignedAt: typeof w.AssignedDateTime === 'string' ? w.AssignedDateTime : null,
        acceptedAt: typeof w.AcceptDateTime === 'string' ? w.AcceptDateTime : null,
      };
      const prev = byCase.get(id15(workItemId));
      if (!prev || (assignment.assignedAt ?? '') > (prev.assignedAt ?? ''))
        byCase.set(id15(workItemId), assignment);
    }
    let marked = 0;
    for (const r of waiting) {
      const agent = byCase.get(id15(r.caseId!));
      if (!agent) continue;
      if (await store.markAgentAssigned(r.handoffId, agent, now)) {
        marked += 1;
        this.log.info('agent assigned', { handoffId: r.handoffId, caseId: r.caseId });
        this.options.onAssigned?.({ ...r, state: 'agent_assigned', agent, updatedAt: now });
      }
    }
    return marked;
  }
}
