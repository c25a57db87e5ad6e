/**
 * When Salesforce is down the bot still gets an answer within the budget: 202 with a status URL; the
 * handoff is kept and delivered once the org is back, exactly once.
 */
import type { HandoffAnswer } from '../../../src/contract/answer';
import { handoff } from '../../support/handoff-factory';
import { eventually, startHarness, type Harness } from '../../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: {
      delivery: {
        latencyBudgetMs: 300,
        retry: { baseDelayMs: 50, maxDelayMs: 200 },
        breaker: { failureThreshold: 100, cooldownMs: 50, maxCooldownMs: 200 },
      },
    },
  });
});
afterAll(async () => {
  await h?.close();
});

it('when the org is unavailable, then 202 with a status URL, and the Case arrives once it is back', async () => {
  const body = handoff({
    identity: { customer: { externalId: 'CUST-100003', name: 'Adaeze Nwosu', linkedProducts: [] } },
  });
  h.emulator.setFaults({ outage: true });
  const res = await h.post(body);
  expect(res.status).toBe(202);
  const accepted = (await res.json()) as HandoffAnswer;
  expect(accepted.caseId).toBeNull();
  expect(res.headers.get('location')).toBe(accepted.statusUrl);

  // A retry by the bot meanwhile is the same handoff.
  expect((await h.post(body)).status).toBe(200);

  h.emulator.clearFaults();
  const delivered = await eventually(
    async () => {
      const s = (await (await h.get(accepted.statusUrl)).json()) as HandoffAnswer;
      return s.caseId ? s : undefined;
    },
    { timeoutMs: 15_000 },
  );
  expect(['routed', 'agent_assigned']).toContain(delivered.status);
  const cases = await h.connection().query(`SELECT Id FROM Case WHERE Handoff_Id__c = '${body.handoffId}'`);
  expect(cases.records).toHaveLength(1);
}, 30_000);
