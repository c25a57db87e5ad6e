/**
 * The Salesforce edge against the local org emulator over real HTTP: login (JWT bearer, client
 * credentials), re-login on INVALID_SESSION_ID, one composite graph call per batch, and what lands in
 * the org read back through jsforce.
 */
import { createEmulator, type Emulator } from '../../../src/emulator/index';
import { defaultMapping } from '../../../src/plan';
import {
  createSalesforceClient,
  deliverHandoffs,
  findDelivered,
  type Logger,
  type SalesforceClient,
} from '../../../src/salesforce';
import type { DeliveryOutcome, PreparedHandoff } from '../../../src/contract/prepared';
import { handoff } from '../../support/handoff-factory';
import { prepared, QUEUE_DECISION, SKILLS_DECISION } from '../../unit/plan/prepared-fixture';

const mapping = defaultMapping();
const silent: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
const CC_CLIENT_ID = 'FSC_HANDOFF_EMULATOR_CC';
const CC_SECRET = 'emulator-only-client-secret-not-for-production';

let emu: Emulator;
let url: string;

beforeAll(async () => {
  emu = createEmulator({ randomSeed: 11, omni: { acceptDelayMs: 0, tickIntervalMs: 0, autoRoute: false } });
  url = await emu.start(0);
});

afterAll(async () => {
  await emu.stop();
});

function jwtClient(): SalesforceClient {
  const jwt = emu.jwt();
  if (!jwt) throw new Error('the emulator seed has no JWT connected app');
  return createSalesforceClient(
    {
      loginUrl: jwt.loginUrl,
      audience: jwt.audience,
      clientId: jwt.clientId,
      username: jwt.username,
      privateKey: jwt.privateKeyPem,
      apiVersion: '63.0',
    },
    silent,
  );
}

function ccClient(): SalesforceClient {
  return createSalesforceClient({ loginUrl: url, clientId: CC_CLIENT_ID, clientSecret: CC_SECRET }, silent);
}

/** Data API calls the emulator counted (token requests excluded). */
function dataCalls(): number {
  const c = emu.calls();
  return (c.total ?? 0) - (c.oauth ?? 0);
}

function expectDelivered(o: DeliveryOutcome | undefined): Extract<DeliveryOutcome, { kind: 'delivered' }> {
  if (!o || o.kind !== 'delivered') throw new Error(`not delivered: ${JSON.stringify(o)}`);
  return o;
}

type Row = Record<string, unknown>;

/** A handoff for a customer the emulator's seed has (CUST-100001). */
function known(): PreparedHandoff {
  return prepared(handoff({ identity: { customer: { externalId: 'CUST-100001', linkedProducts: [] } } }));
}

it('a batch of unknown customers over the failure limit: halted graphs ride along in the follow-up calls', async () => {
  const client = jwtClient();
  await client.resolveIds(mapping);
  emu.resetCalls();
  const batch = Array.from({ length: 20 }, () =>
    prepared(handoff({ identity: { customer: { externalId: 'CUST-NOBODY', linkedProducts: [] } } })),
  );
  const outcomes = await deliverHandoffs(batch, client, { mapping });
  expect(outcomes.filter((o) => o.kind === 'delivered')).toHaveLength(20);
  // 1: 14 fail on the customer link, 6 halted; 2: 14 unlinked succeed, the 6 fail on the link; 3: those 6.
  expect(emu.calls()['composite/graph']).toBe(3);
  expect(outcomes.reduce((n, o) => n + o.salesforceApiCalls, 0)).toBe(3);
});

describe('login', () => {
  it('JWT bearer: logs in and queries', async () => {
    const client = jwtClient();
    const rows = await client.query<{ DeveloperName: string }>('SELECT Id, DeveloperName FROM Skill');
    expect(rows.map((r) => r.DeveloperName)).toContain('Cards');
    expect(client.calls()).toEqual({ api: 1, token: 1 });
  });

  it('client credentials: logs in and queries', async () => {
    const client = ccClient();
    const rows = await client.query('SELECT Id FROM ServiceChannel');
    expect(rows.length).toBeGreaterThan(0);
    expect(client.calls().token).toBe(1);
  });

  it('a wrong secret is a clear auth error', async () => {
    const client = createSalesforceClient(
      { loginUrl: url, clientId: CC_CLIENT_ID, clientSecret: 'nope' },
      silent,
    );
    await expect(client.query('SELECT Id FROM Skill')).rejects.toMatchObject({
      code: 'SALESFORCE_AUTH_FAILED',
    });
  });

  it('re-mints the token once when the session expired, concurrent callers share it', async () => {
    const client = jwtClient();
    await client.query('SELECT Id FROM Skill');
    emu.sessions.expireAll();
    const results = await Promise.all([
      client.query('SELECT Id FROM Skill'),
      client.query('SELECT Id FROM ServiceChannel'),
      client.query("SELECT Id FROM Group WHERE Type = 'Queue'"),
    ]);
    expect(results.every((r) => r.length > 0)).toBe(true);
    expect(client.calls().token).toBe(2);
  });
});

describe('resolveIds', () => {
  it('reads skills, the channel and queues in one call and caches them', async () => {
    const client = jwtClient();
    await client.login();
    emu.resetCalls();
    const ids = await client.resolveIds(mapping, {
      skills: ['Cards', 'English'],
      queues: ['Handoff_General'],
    });
    expect(ids.serviceChannelId).toMatch(/^0N9/);
    const cards = emu.org.list('Skill').find((r) => r.DeveloperName === 'Cards');
    expect(ids.skills.Cards).toMatch(/^0C5/);
    expect(ids.skills.Cards).toBe(cards?.Id);
    expect(ids.skills.English).not.toBe(ids.skills.Cards);
    expect(ids.queues.Handoff_General).toMatch(/^00G/);
    await client.resolveIds(mapping);
    expect(dataCalls()).toBe(1);
    await expect(client.resolveIds(mapping, { skills: ['Astrology'] })).rejects.toThrow(/Astrology/);
  });
});

describe('deliverHandoffs', () => {
  let client: SalesforceClient;

  beforeAll(async () => {
    client = jwtClient();
    await client.resolveIds(mapping);
  });

  beforeEach(() => {
    emu.resetCalls();
  });

  async function q(soql: string): Promise<Row[]> {
    const res = await client.connection().query<Row>(soql);
    return res.records;
  }

  it('one handoff = exactly one API call, and everything is in the org', async () => {
    const p = prepared(
      handoff({ identity: { customer: { externalId: 'CUST-100001', linkedProducts: [] } } }),
    );
    const [outcome] = await deliverHandoffs([p], client, { mapping });
    const o = expectDelivered(outcome);
    expect(dataCalls()).toBe(1);
    expect(emu.calls()['composite/graph']).toBe(1);
    expect(o.salesforceApiCalls).toBe(1);
    expect(o.caseNumber).toMatch(/^\d+$/);
    expect(o.enrichedExistingCase).toBe(false);

    const [c] = await q(
      `SELECT Id, CaseNumber, Subject, Priority, Origin, AccountId, ContactId, Handoff_Id__c, Urgency__c, Handoff_Summary__c FROM Case WHERE Id = '${o.caseId}'`,
    );
    expect(c).toMatchObject({
      CaseNumber: o.caseNumber,
      Subject: 'Debit card declined at a hotel in Lisbon',
      Priority: 'High',
      Origin: 'Web',
      Handoff_Id__c: p.handoffId,
      Urgency__c: 'high',
    });
    expect(c?.AccountId).toBeTruthy();
    const [h] = await q(
      `SELECT Id, Case__c, Redaction_Summary__c, Routing_Skills__c, Transcript_Parts__c FROM Bot_Handoff__c WHERE Handoff_Id__c = '${p.handoffId}'`,
    );
    expect(h).toMatchObject({
      Id: o.handoffRecordId,
      Case__c: o.caseId,
      Redaction_Summary__c: 'card_number:2, national_id:1',
      Transcript_Parts__c: 1,
    });
    const parent = `Bot_Handoff__c = '${o.handoffRecordId}'`;
    expect(await q(`SELECT Id FROM Handoff_Intent__c WHERE ${parent}`)).toHaveLength(4);
    expect(await q(`SELECT Id FROM Handoff_Verification__c WHERE ${parent}`)).toHaveLength(1);
    expect(await q(`SELECT Id FROM Handoff_Consent__c WHERE ${parent}`)).toHaveLength(1);
    expect(await q(`SELECT Id, Body__c FROM Handoff_Transcript__c WHERE ${parent}`)).toHaveLength(1);

    const psrs = await q(
      `SELECT Id, IsReadyForRouting, RoutingType, RoutingPriority, DropAdditionalSkillsTimeout FROM PendingServiceRouting WHERE WorkItemId = '${o.caseId}'`,
    );
    expect(psrs).toHaveLength(1);
    expect(psrs[0]).toMatchObject({
      IsReadyForRouting: true,
      RoutingType: 'SkillsBased',
      RoutingPriority: 2,
    });
    const srs = await q(
      `SELECT Id, SkillLevel, IsAdditionalSkill FROM SkillRequirement WHERE RelatedRecordId = '${String(psrs[0]?.Id)}'`,
    );
    expect(srs).toHaveLength(2);

    const found = await findDelivered([p.handoffId, 'ho-never-sent-1'], client, mapping);
    expect(found.get(p.handoffId)).toEqual({
      handoffId: p.handoffId,
      caseId: o.caseId,
      caseNumber: o.caseNumber,
      handoffRecordId: o.handoffRecordId,
      enrichedExistingCase: false,
    });
    expect(found.has('ho-never-sent-1')).toBe(false);
  });

  it('a batch of 20 goes in one call; a failing graph does not fail the others', async () => {
    const batch: PreparedHandoff[] = Array.from({ length: 20 }, () =>
      prepared(handoff({ identity: { customer: { externalId: 'CUST-100001', linkedProducts: [] } } })),
    );
    // One handoff names a case that does not exist: its graph fails, alone.
    batch[7] = prepared(handoff({ operational: { existingCaseId: '500000000000000AAA' } }));
    const outcomes = await deliverHandoffs(batch, client, { mapping });
    expect(dataCalls()).toBe(1);
    expect(outcomes).toHaveLength(20);
    outcomes.forEach((o, i) => {
      expect(o.handoffId).toBe(batch[i]?.handoffId);
      if (i === 7) {
        expect(o).toMatchObject({ kind: 'failed', retry: 'permanent' });
      } else {
        expectDelivered(o);
      }
    });
    expect(outcomes.reduce((n, o) => n + o.salesforceApiCalls, 0)).toBe(1);
  });

  it('an expired session during delivery: re-login, the graph is sent again, both requests counted', async () => {
    emu.sessions.expireAll();
    const [outcome] = await deliverHandoffs([known()], client, { mapping });
    const o = expectDelivered(outcome);
    expect(o.salesforceApiCalls).toBe(2);
    expect(await q(`SELECT Id FROM Bot_Handoff__c WHERE Case__c = '${o.caseId}'`)).toHaveLength(1);
  });

  it('a batch over the 500-node payload limit is split into as few calls as the limits allow', async () => {
    // A typical handoff is 16 nodes, so 31 fit in one payload.
    const batch = Array.from({ length: 40 }, () => known());
    const outcomes = await deliverHandoffs(batch, client, { mapping });
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(emu.calls()['composite/graph']).toBe(2);
    expect(outcomes.reduce((n, o) => n + o.salesforceApiCalls, 0)).toBe(2);
  });

  it('queue fallback: the case is owned by the queue, no PSR written', async () => {
    const ids = await client.resolveIds(mapping);
    const [outcome] = await deliverHandoffs([prepared(handoff(), QUEUE_DECISION)], client, { mapping });
    const o = expectDelivered(outcome);
    const [c] = await q(`SELECT OwnerId FROM Case WHERE Id = '${o.caseId}'`);
    expect(c?.OwnerId).toBe(ids.queues.Handoff_General);
    const psrs = await q(
      `SELECT Id, RoutingType FROM PendingServiceRouting WHERE WorkItemId = '${o.caseId}'`,
    );
    // Omni may create its own queue-based PSR; the service writes no skills-based one.
    expect(psrs.filter((r) => r.RoutingType === 'SkillsBased')).toHaveLength(0);
  });

  it('unknown customer: a second call writes the case without the link, and says so', async () => {
    const p = prepared(
      handoff({ identity: { customer: { externalId: 'CUST-NOT-IN-ORG', linkedProducts: [] } } }),
    );
    const [outcome] = await deliverHandoffs([p], client, { mapping });
    const o = expectDelivered(outcome);
    expect(dataCalls()).toBe(2);
    expect(o.salesforceApiCalls).toBe(2);
    const [c] = await q(`SELECT AccountId, ContactId FROM Case WHERE Id = '${o.caseId}'`);
    expect(c?.AccountId ?? null).toBeNull();
    const [h] = await q(`SELECT Escalation_Detail__c FROM Bot_Handoff__c WHERE Id = '${o.handoffRecordId}'`);
    expect(String(h?.Escalation_Detail__c)).toContain('not found in Salesforce');
  });

  it('enriches an existing case and attaches the new handoff record', async () => {
    const first = expectDelivered((await deliverHandoffs([prepared()], client, { mapping }))[0]);
    emu.resetCalls();
    const second = prepared(handoff({ operational: { existingCaseId: first.caseId } }), {
      ...SKILLS_DECISION,
      skills: [{ developerName: 'Cards', level: 4, additional: false }],
    });
    const o = (await deliverHandoffs([second], client, { mapping }))[0];
    expect(dataCalls()).toBe(1);
    const d = expectDelivered(o);
    expect(d.enrichedExistingCase).toBe(true);
    expect(d.caseId).toBe(first.caseId);
    expect(await q(`SELECT Id FROM Bot_Handoff__c WHERE Case__c = '${first.caseId}'`)).toHaveLength(2);
    const [c] = await q(`SELECT Handoff_Id__c, Subject FROM Case WHERE Id = '${first.caseId}'`);
    expect(c).toMatchObject({
      Handoff_Id__c: second.handoffId,
      Subject: 'Debit card declined at a hotel in Lisbon',
    });
    // Not routed twice: still the one PSR from the first handoff.
    expect(await q(`SELECT Id FROM PendingServiceRouting WHERE WorkItemId = '${first.caseId}'`)).toHaveLength(
      1,
    );
  });
});
