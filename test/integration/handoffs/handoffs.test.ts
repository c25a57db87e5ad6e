/**
 * Handoffs posted over real HTTP to the service running against the local org emulator, read back
 * through jsforce: the Case, the handoff records, and the routing (PSR, SkillRequirements, AgentWork).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { HandoffAnswer } from '../../../src/contract/answer';
import type { HandoffRequestInput } from '../../../src/contract/handoff';
import { handoff, SEEDED_CUSTOMER, unknownCustomerHandoff } from '../../support/handoff-factory';
import { eventually, startHarness, type Harness } from '../../support/harness';

type Rec = Record<string, unknown> & { Id: string };

async function soql(h: Harness, q: string): Promise<Rec[]> {
  return (await h.connection().query<Rec>(q)).records;
}

const quote = (s: string) => `'${s.replace(/'/g, "\\'")}'`;

/** The card-declined-abroad journey for one of the seeded customers. */
function forCustomer(externalId: string, name: string, overrides: Parameters<typeof handoff>[0] = {}) {
  const base = handoff(overrides);
  return {
    ...base,
    identity: {
      ...base.identity,
      customer: { externalId, name, segment: 'premier', linkedProducts: ['visa_debit'] },
    },
  } satisfies HandoffRequestInput;
}

/** A handoff no routing rule gives a skill to: unknown intent, no product, Portuguese, no requested skill. */
function noSkillHandoff(): HandoffRequestInput {
  const base = forCustomer('CUST-100003', 'Adaeze Nwosu');
  return {
    ...base,
    intent: {
      history: [
        { name: 'general.question', confidence: 0.4, outcome: 'fallback', at: '2026-11-21T09:58:40Z' },
      ],
      escalation: { reason: 'other', detail: 'The bot could not place the question.' },
    },
    identity: { ...base.identity, language: 'pt-PT' },
    operational: { requestedSkills: [], collectedFields: {} },
    conversation: { transcript: [] },
  };
}

describe('handoffs against the emulated org (Omni routes on demand)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ emulator: { omni: { autoRoute: false, tickIntervalMs: 0, acceptDelayMs: 0 } } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('when a verified customer hands off, then one enriched Case is routed by skills to an agent', async () => {
    const body = forCustomer('CUST-100002', 'Tomasz Kowalczyk', {
      conversation: {
        transcript: [
          {
            at: '2026-11-21T09:58:00Z',
            from: 'customer',
            text: 'card 4111 1111 1111 1111 declined in Lisbon',
          },
          { at: '2026-11-21T09:58:01Z', from: 'bot', text: 'Was it a payment or a withdrawal?' },
        ],
      },
    });
    const res = await h.post(body);
    expect(res.status).toBe(201);
    const answer = (await res.json()) as HandoffAnswer;
    expect(answer).toMatchObject({
      handoffId: body.handoffId,
      status: 'routed',
      enrichedExistingCase: false,
    });
    expect(res.headers.get('location')).toBe(`/v1/handoffs/${body.handoffId}`);

    // The Case: linked to the seeded customer, with the handoff's context.
    const [kase, ...more] = await soql(
      h,
      `SELECT Id, CaseNumber, Handoff_Id__c, AccountId, ContactId, Priority, Escalation_Reason__c, Verification_Status__c, Urgency__c, Handoff_Summary__c FROM Case WHERE Handoff_Id__c = ${quote(body.handoffId)}`,
    );
    expect(more).toHaveLength(0);
    expect(kase?.Id).toBe(answer.caseId);
    expect(kase).toMatchObject({
      Priority: 'High',
      Escalation_Reason__c: 'customer_requested_agent',
      Urgency__c: 'high',
    });
    expect(kase?.Verification_Status__c).toBe('verified');
    const [account] = await soql(h, `SELECT Id FROM Account WHERE Bank_Customer_Id__c = 'CUST-100002'`);
    expect(kase?.AccountId).toBe(account?.Id);

    // The handoff record and its children; the card number never reached the org.
    const [ho] = await soql(
      h,
      `SELECT Id, Case__c, Routing_Mode__c, Routing_Skills__c, Redaction_Summary__c, Transcript_Turns__c FROM Bot_Handoff__c WHERE Handoff_Id__c = ${quote(body.handoffId)}`,
    );
    expect(ho).toMatchObject({
      Id: answer.handoffRecordId,
      Case__c: kase?.Id,
      Routing_Mode__c: 'skills_based',
    });
    expect(String(ho?.Routing_Skills__c)).toContain('Cards');
    expect(String(ho?.Redaction_Summary__c)).toContain('card_number');
    const intents = await soql(h, `SELECT Id FROM Handoff_Intent__c WHERE Bot_Handoff__c = ${quote(ho!.Id)}`);
    expect(intents).toHaveLength(4);
    const verifications = await soql(
      h,
      `SELECT Is_Verified__c FROM Handoff_Verification__c WHERE Bot_Handoff__c = ${quote(ho!.Id)}`,
    );
    expect(verifications).toEqual([expect.objectContaining({ Is_Verified__c: true })]);
    const parts = await soql(
      h,
      `SELECT Body__c FROM Handoff_Transcript__c WHERE Bot_Handoff__c = ${quote(ho!.Id)}`,
    );
    expect(parts.length).toBeGreaterThan(0);
    expect(parts.map((p) => String(p.Body__c)).join('\n')).not.toContain('4111 1111 1111 1111');

    // Routing: a PSR ready for routing with the skills chained to it, then AgentWork once Omni routes.
    const [psr] = await soql(
      h,
      `SELECT Id, IsReadyForRouting, RoutingPriority, RoutingType FROM PendingServiceRouting WHERE WorkItemId = ${quote(kase!.Id)}`,
    );
    expect(psr).toMatchObject({ IsReadyForRouting: true, RoutingType: 'SkillsBased', RoutingPriority: 2 });
    const skills = await soql(
      h,
      `SELECT Skill.DeveloperName, SkillLevel, IsAdditionalSkill FROM SkillRequirement WHERE RelatedRecordId = ${quote(psr!.Id)}`,
    );
    const names = skills.map((s) => (s.Skill as { DeveloperName: string }).DeveloperName).sort();
    expect(names).toEqual(['Cards', 'English']);

    h.emulator.omni.settle();
    const [work] = await soql(
      h,
      `SELECT Id, UserId, Status FROM AgentWork WHERE WorkItemId = ${quote(kase!.Id)}`,
    );
    expect(work?.UserId).toBeTruthy();
    const [agent] = await soql(h, `SELECT Username FROM User WHERE Id = ${quote(String(work!.UserId))}`);
    const seed = JSON.parse(
      readFileSync(path.resolve(__dirname, '../../../config/emulator-seed.json'), 'utf8'),
    ) as {
      agents: { username: string; skills: Record<string, number> }[];
    };
    const seededCardAgents = seed.agents.filter((a) => 'Cards' in a.skills).map((a) => a.username);
    expect(seededCardAgents).toContain(agent?.Username);

    // The bot sees the agent through the status endpoint.
    const status = await eventually(async () => {
      const s = (await (await h.get(answer.statusUrl)).json()) as HandoffAnswer;
      return s.status === 'agent_assigned' ? s : undefined;
    });
    expect(status.agent?.userId).toBe(work?.UserId);
  });

  it('when the default journey is posted, then its Case is linked to the seeded customer', async () => {
    const res = await h.post(handoff());
    expect(res.status).toBe(201);
    const answer = (await res.json()) as HandoffAnswer;
    const [account] = await soql(
      h,
      `SELECT Id, PersonContactId FROM Account WHERE Bank_Customer_Id__c = ${quote(SEEDED_CUSTOMER.externalId)}`,
    );
    const [kase] = await soql(h, `SELECT AccountId, ContactId FROM Case WHERE Id = ${quote(answer.caseId!)}`);
    expect(kase?.AccountId).toBe(account?.Id);
    expect(kase?.ContactId).toBe(account?.PersonContactId);
  });

  it('when the customer is unknown to Salesforce, then the Case is written unlinked and says why', async () => {
    const res = await h.post(unknownCustomerHandoff());
    expect(res.status).toBe(201);
    const answer = (await res.json()) as HandoffAnswer;
    expect(answer.salesforceApiCalls).toBe(2);
    const [kase] = await soql(h, `SELECT AccountId FROM Case WHERE Id = ${quote(answer.caseId!)}`);
    expect(kase?.AccountId ?? null).toBeNull();
    const [ho] = await soql(
      h,
      `SELECT Escalation_Detail__c FROM Bot_Handoff__c WHERE Id = ${quote(answer.handoffRecordId!)}`,
    );
    expect(String(ho?.Escalation_Detail__c)).toContain('not found in Salesforce');
  });

  it('when the bot names an existing case, then that case is enriched and no new one is made', async () => {
    const [account] = await soql(h, `SELECT Id FROM Account WHERE Bank_Customer_Id__c = 'CUST-100004'`);
    const created = await h.connection().sobject('Case').create({
      Subject: 'Card reissue requested',
      Status: 'New',
      Origin: 'Phone',
      AccountId: account?.Id,
    });
    const existingId = (created as { id: string }).id;
    const before = await soql(h, `SELECT Id FROM Case`);
    const body = forCustomer('CUST-100004', 'Sofia Moreno', { operational: { existingCaseId: existingId } });
    const res = await h.post(body);
    expect(res.status).toBe(201);
    const answer = (await res.json()) as HandoffAnswer;
    expect(answer).toMatchObject({ caseId: existingId, enrichedExistingCase: true });
    expect(await soql(h, `SELECT Id FROM Case`)).toHaveLength(before.length);
    const handoffs = await soql(
      h,
      `SELECT Id, Handoff_Id__c FROM Bot_Handoff__c WHERE Case__c = ${quote(existingId)}`,
    );
    expect(handoffs.map((r) => r.Handoff_Id__c)).toEqual([body.handoffId]);
  });

  it('when the bot retries the same handoff (also concurrently), then exactly one Case and one handoff record exist', async () => {
    const body = forCustomer('CUST-100005', 'James Pemberton');
    const [a, b] = await Promise.all([h.post(body), h.post(body)]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    const third = await h.post(body);
    expect(third.status).toBe(200);
    const answer = (await third.json()) as HandoffAnswer;
    const cases = await soql(h, `SELECT Id FROM Case WHERE Handoff_Id__c = ${quote(body.handoffId)}`);
    expect(cases).toHaveLength(1);
    // The replay answers the very case that was written, not just any id.
    expect(answer.caseId).toBe(cases[0]?.Id);
    expect(
      await soql(h, `SELECT Id FROM Bot_Handoff__c WHERE Handoff_Id__c = ${quote(body.handoffId)}`),
    ).toHaveLength(1);
  });

  it('when no skill applies, then the Case goes to the fallback queue without skill requirements', async () => {
    const body = noSkillHandoff();
    const res = await h.post(body);
    expect(res.status).toBe(201);
    const answer = (await res.json()) as HandoffAnswer;
    expect(answer.routing).toMatchObject({ mode: 'queue_based', queue: 'Handoff_General', skills: [] });
    const [queue] = await soql(h, `SELECT Id FROM Group WHERE DeveloperName = 'Handoff_General'`);
    const [kase] = await soql(h, `SELECT Id, OwnerId FROM Case WHERE Id = ${quote(answer.caseId!)}`);
    expect(kase?.OwnerId).toBe(queue?.Id);
    const [ho] = await soql(
      h,
      `SELECT Routing_Mode__c, Routing_Queue__c FROM Bot_Handoff__c WHERE Id = ${quote(answer.handoffRecordId!)}`,
    );
    expect(ho).toMatchObject({ Routing_Mode__c: 'queue_based', Routing_Queue__c: 'Handoff_General' });
    const psrs = await soql(h, `SELECT Id FROM PendingServiceRouting WHERE WorkItemId = ${quote(kase!.Id)}`);
    for (const psr of psrs) {
      expect(
        await soql(h, `SELECT Id FROM SkillRequirement WHERE RelatedRecordId = ${quote(psr.Id)}`),
      ).toHaveLength(0);
    }
  });
});

describe('Salesforce API calls per handoff', () => {
  let h: Harness;

  beforeAll(async () => {
    // No AgentWork polling here, so every call the emulator counts is a handoff's.
    h = await startHarness({ config: { delivery: { agentPoll: { enabled: false } } } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('uses one API call per handoff in the common path (after the first login and id lookup)', async () => {
    // The enrichment window is off by default: no lookup query, so repeated handoffs of the same
    // customer and case type each make their own case in one call.
    expect(h.config.enrichment.dedupeWindowSeconds).toBe(0);
    const warmup = await h.post(forCustomer('CUST-100001', 'Eleanor Whitfield'));
    expect(warmup.status).toBe(201);
    h.emulator.resetCalls();
    const n = 5;
    for (let i = 0; i < n; i++) {
      const res = await h.post(forCustomer('CUST-100001', 'Eleanor Whitfield'));
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ salesforceApiCalls: 1, enrichedExistingCase: false });
    }
    const calls = h.emulator.calls();
    expect(calls['composite/graph']).toBe(n);
    expect((calls.total ?? 0) - (calls.oauth ?? 0)).toBe(n);
  });
});
