/**
 * Enrich instead of create (enrichment.dedupeWindowSeconds): with the window configured, a handoff
 * for a customer who has an open case of the same case type opened within the window enriches that
 * case; over real HTTP against the emulated org. The emulator's clock is moved to make a case that was
 * opened before the window (no waiting).
 */
import type { HandoffAnswer } from '../../../src/contract/answer';
import type { HandoffRequestInput } from '../../../src/contract/handoff';
import { handoff } from '../../support/handoff-factory';
import { startHarness, type Harness } from '../../support/harness';

type Rec = Record<string, unknown> & { Id: string };

const WINDOW_SECONDS = 600;
const quote = (s: string) => `'${s.replace(/'/g, "\\'")}'`;

function forCustomer(externalId: string, caseType: string): HandoffRequestInput {
  const base = handoff({ operational: { caseType } });
  return {
    ...base,
    identity: { ...base.identity, customer: { externalId, name: 'Seeded Customer', segment: 'premier' } },
  };
}

describe('enrich instead of create (dedupe window configured)', () => {
  let h: Harness;
  /** Added to the emulator's clock (ms). */
  let clockOffset = 0;

  async function soql(q: string): Promise<Rec[]> {
    return (await h.connection().query<Rec>(q)).records;
  }

  async function post(body: HandoffRequestInput): Promise<HandoffAnswer> {
    const res = await h.post(body);
    expect(res.status).toBe(201);
    return (await res.json()) as HandoffAnswer;
  }

  async function casesOf(externalId: string): Promise<Rec[]> {
    const [account] = await soql(`SELECT Id FROM Account WHERE Bank_Customer_Id__c = ${quote(externalId)}`);
    return soql(`SELECT Id, Handoff_Id__c FROM Case WHERE AccountId = ${quote(account!.Id)}`);
  }

  beforeAll(async () => {
    h = await startHarness({
      emulator: { now: () => Date.now() + clockOffset },
      config: {
        enrichment: { dedupeWindowSeconds: WINDOW_SECONDS },
        delivery: { agentPoll: { enabled: false } },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('when the same customer hands off again with the same case type, then the first case is enriched', async () => {
    const first = await post(forCustomer('CUST-100001', 'Card Servicing'));
    expect(first).toMatchObject({ enrichedExistingCase: false, salesforceApiCalls: 2 });

    const second = forCustomer('CUST-100001', 'Card Servicing');
    const answer = await post(second);
    expect(answer).toMatchObject({ caseId: first.caseId, enrichedExistingCase: true });
    // One lookup query for the batch, then the graph.
    expect(answer.salesforceApiCalls).toBe(2);

    expect(await casesOf('CUST-100001')).toHaveLength(1);
    const handoffs = await soql(
      `SELECT Handoff_Id__c, Case_Type__c FROM Bot_Handoff__c WHERE Case__c = ${quote(first.caseId!)}`,
    );
    expect(handoffs.map((r) => r.Handoff_Id__c).sort()).toEqual([first.handoffId, second.handoffId].sort());
    const [kase] = await soql(`SELECT Handoff_Id__c FROM Case WHERE Id = ${quote(first.caseId!)}`);
    expect(kase?.Handoff_Id__c).toBe(second.handoffId);
  });

  it('when the case type differs, then a new case is created', async () => {
    const first = await post(forCustomer('CUST-100002', 'Card Servicing'));
    const second = await post(forCustomer('CUST-100002', 'Lending Enquiry'));
    expect(second.enrichedExistingCase).toBe(false);
    expect(second.caseId).not.toBe(first.caseId);
    expect(await casesOf('CUST-100002')).toHaveLength(2);
  });

  it('when the earlier case is closed, then a new case is created', async () => {
    const first = await post(forCustomer('CUST-100003', 'Card Servicing'));
    await h.connection().sobject('Case').update({ Id: first.caseId!, Status: 'Closed' });
    const second = await post(forCustomer('CUST-100003', 'Card Servicing'));
    expect(second.enrichedExistingCase).toBe(false);
    expect(second.caseId).not.toBe(first.caseId);
    expect(await casesOf('CUST-100003')).toHaveLength(2);
  });

  it('when the earlier case was opened before the window, then a new case is created', async () => {
    clockOffset = -(WINDOW_SECONDS + 3600) * 1000;
    let first: HandoffAnswer;
    try {
      first = await post(forCustomer('CUST-100004', 'Card Servicing'));
    } finally {
      clockOffset = 0;
    }
    const second = await post(forCustomer('CUST-100004', 'Card Servicing'));
    expect(second.enrichedExistingCase).toBe(false);
    expect(second.caseId).not.toBe(first.caseId);
    expect(await casesOf('CUST-100004')).toHaveLength(2);
  });

  it('when another customer has an open case of that type, then it is not touched', async () => {
    // The other customer's open case is made here, not left over from an earlier test.
    const other = await post(forCustomer('CUST-100001', 'Card Servicing'));
    const first = await post(forCustomer('CUST-100005', 'Card Servicing'));
    expect(first.enrichedExistingCase).toBe(false);
    expect(first.caseId).not.toBe(other.caseId);
    expect((await casesOf('CUST-100001')).map((c) => c.Id)).not.toContain(first.caseId);
    const [otherCase] = await soql(`SELECT Handoff_Id__c FROM Case WHERE Id = ${quote(other.caseId!)}`);
    expect(otherCase?.Handoff_Id__c).toBe(other.handoffId);
    expect(await casesOf('CUST-100005')).toHaveLength(1);
  });
});
