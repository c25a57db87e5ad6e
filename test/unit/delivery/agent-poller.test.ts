import { AgentAssignmentPoller, SqliteHandoffStore, deliveryConfigSchema } from '../../../src/delivery';
import type { StoredHandoff } from '../../../src/delivery';
import { delivered, prepared } from './fixtures';

describe('AgentAssignmentPoller', () => {
  let store: SqliteHandoffStore;
  beforeEach(async () => {
    store = new SqliteHandoffStore({ path: ':memory:' });
    await store.migrate();
  });
  afterEach(() => store.close());

  async function routed(n: number): Promise<StoredHandoff[]> {
    const out: StoredHandoff[] = [];
    for (let i = 0; i < n; i++) {
      const p = prepared();
      await store.accept(p, 1);
      await store.claimBatch('w', 1, 1000, 1);
      await store.markDelivered(p.handoffId, 'w', delivered(p.handoffId, i + 1), 2);
      out.push((await store.get(p.handoffId))!);
    }
    return out;
  }

  it('asks for AgentWork of a whole batch in one query and marks the assigned ones', async () => {
    const [a, b, c] = await routed(3);
    const queries: string[] = [];
    const assigned: string[] = [];
    const poller = new AgentAssignmentPoller({
      store,
      config: deliveryConfigSchema.parse({}).agentPoll,
      now: () => 10,
      onAssigned: (r) => assigned.push(r.handoffId),
      query: (soql) => {
        queries.push(soql);
        return Promise.resolve([
          // 18-character WorkItemId for a 18-character case id, and one Declined (not an assignment)
          {
            WorkItemId: a!.caseId,
            UserId: '005000000000001AAA',
            Status: 'Opened',
            AssignedDateTime: '2026-11-21T11:00:00.000Z',
            AcceptDateTime: '2026-11-21T11:00:09.000Z',
          },
          {
            WorkItemId: b!.caseId,
            UserId: '005000000000002AAA',
            Status: 'Declined',
            AssignedDateTime: '2026-11-21T11:00:00.000Z',
          },
        ]);
      },
    });
    expect(await poller.pollOnce()).toBe(1);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatch(/^SELECT .*UserId.* FROM AgentWork WHERE WorkItemId IN \(/);
    for (const r of [a, b, c]) expect(queries[0]).toContain(`'${r!.caseId}'`);
    expect(assigned).toEqual([a!.handoffId]);
    expect(await store.get(a!.handoffId)).toMatchObject({
      state: 'agent_assigned',
      agent: { userId: '005000000000001AAA', acceptedAt: '2026-11-21T11:00:09.000Z' },
    });
    expect((await store.get(b!.handoffId))?.state).toBe('routed');
  });

  it('cycles through the waiting handoffs batch by batch, and stays quiet when none wait', async () => {
    await routed(5);
    const inQuery: number[] = [];
    const poller = new AgentAssignmentPoller({
      store,
      config: deliveryConfigSchema.parse({ agentPoll: { batchSize: 2 } }).agentPoll,
      now: () => 10,
      query: (soql) => {
        inQuery.push((soql.match(/'/g) ?? []).length / 2);
        return Promise.resolve([]);
      },
    });
    for (let i = 0; i < 4; i++) await poller.pollOnce();
    expect(inQuery).toEqual([2, 2, 1, 2]);

    const empty = new SqliteHandoffStore({ path: ':memory:' });
    await empty.migrate();
    let called = false;
    const idle = new AgentAssignmentPoller({
      store: empty,
      config: deliveryConfigSchema.parse({}).agentPoll,
      query: () => {
        called = true;
        return Promise.resolve([]);
      },
    });
    expect(await idle.pollOnce()).toBe(0);
    expect(called).toBe(false);
    await empty.close();
  });
});
