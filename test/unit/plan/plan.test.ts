import type { HandoffRequestInput, TranscriptTurn } from '../../../src/contract/handoff';
import {
  defaultMapping,
  GRAPH_LIMITS,
  graphDepth,
  NOT_LINKED_NOTE,
  nodeTypes,
  planHandoffGraph,
  renderTurn,
  salesforceMappingSchema,
  splitTranscript,
  type CompositeGraph,
  type GraphNode,
  type SalesforceMapping,
} from '../../../src/plan';
import { isAppError } from '../../../src/errors';
import { handoff, SEEDED_CUSTOMER } from '../../support/handoff-factory';
import { IDS, prepared, QUEUE_DECISION, SKILLS_DECISION } from './prepared-fixture';

const V = '63.0';
const mapping = defaultMapping();

function plan(
  p = prepared(),
  extra: { linkCustomer?: boolean; mapping?: SalesforceMapping } = {},
): CompositeGraph {
  return planHandoffGraph({
    prepared: p,
    ids: IDS,
    mapping: extra.mapping ?? mapping,
    apiVersion: V,
    graphId: 'g1',
    linkCustomer: extra.linkCustomer,
  });
}

function node(g: CompositeGraph, ref: string): GraphNode {
  const n = g.compositeRequest.find((x) => x.referenceId === ref);
  if (!n) throw new Error(`no node ${ref}`);
  return n;
}

const ALLOWED_URL = [
  /^\/services\/data\/v\d+\.\d\/sobjects\/[A-Za-z][A-Za-z0-9_]*$/, // /sobjects/X
  /^\/services\/data\/v\d+\.\d\/sobjects\/[A-Za-z][A-Za-z0-9_]*\/(?:[A-Za-z0-9]{15}|[A-Za-z0-9]{18}|@\{[A-Za-z0-9_]+\.[A-Za-z_]+\})$/, // /sobjects/X/id
  /^\/services\/data\/v\d+\.\d\/sobjects\/[A-Za-z][A-Za-z0-9_]*\/[A-Za-z][A-Za-z0-9_]*__c\/[A-Za-z0-9%._~-]+$/, // /sobjects/X/Field/extId
];

function assertWellFormed(g: CompositeGraph): void {
  const seen = new Set<string>();
  for (const n of g.compositeRequest) {
    expect(n.referenceId).toMatch(/^[A-Za-z0-9][A-Za-z0-9_]*$/);
    expect(seen.has(n.referenceId)).toBe(false);
    expect(ALLOWED_URL.some((re) => re.test(n.url))).toBe(true);
    expect(n.url).not.toContain('?');
    // Every reference points to a node listed before this one.
    const refs = [
      ...JSON.stringify({ u: n.url, b: n.body ?? null }).matchAll(/@\{([A-Za-z0-9_]+)\.([A-Za-z_]+)\}/g),
    ];
    for (const r of refs) expect(seen.has(r[1] ?? '')).toBe(true);
    seen.add(n.referenceId);
  }
  expect(graphDepth(g)).toBeLessThanOrEqual(GRAPH_LIMITS.depth);
  expect(g.compositeRequest.length).toBeLessThanOrEqual(GRAPH_LIMITS.nodesPerGraph);
}

describe('salesforceMappingSchema', () => {
  it('defaults are the design note', () => {
    expect(mapping.objects.handoff).toBe('Bot_Handoff__c');
    expect(mapping.case.handoffId).toBe('Handoff_Id__c');
    expect(mapping.values.caseOrigin).toBe('Web');
    expect(mapping.customer.accountExternalIdField).toBe('Bank_Customer_Id__c');
    expect(mapping.lengths['handoff.summaryIssue']).toBe(255);
  });
  it('accepts partial overrides (e.g. FSC managed-package names) and refuses bad names', () => {
    const m = salesforceMappingSchema.parse({
      customer: { accountExternalIdField: 'FinServ__CustomerID__c', linkContact: false },
      values: { caseOrigin: 'Chatbot' },
    });
    expect(m.customer.accountExternalIdField).toBe('FinServ__CustomerID__c');
    expect(m.case.subject).toBe('Subject');
    expect(() => salesforceMappingSchema.parse({ case: { subject: 'Sub ject' } })).toThrow();
    expect(() => salesforceMappingSchema.parse({ lengths: { 'case.subject': 300 } })).toThrow();
  });
});

describe('planHandoffGraph: a typical skills-based handoff', () => {
  const p = prepared();
  const g = plan(p);
  const id = p.handoffId;

  it('has the documented node list, in dependency order', () => {
    expect(g.graphId).toBe('g1');
    expect(g.compositeRequest.map((n) => `${n.method} ${n.referenceId}`)).toEqual([
      'PATCH case',
      'GET caseRead',
      'PATCH handoff',
      'PATCH intent1',
      'PATCH intent2',
      'PATCH intent3',
      'PATCH intent4',
      'PATCH verification',
      'PATCH consent1',
      'PATCH transcript1',
      'POST psr',
      'POST sr1',
      'GET sr1get',
      'POST sr2',
      'GET sr2get',
      'PATCH routingReady',
    ]);
    assertWellFormed(g);
  });

  it('upserts the Case by Handoff_Id__c and links the customer by external id', () => {
    const c = node(g, 'case');
    expect(c.url).toBe(`/services/data/v63.0/sobjects/Case/Handoff_Id__c/${encodeURIComponent(id)}`);
    expect(c.body).toMatchObject({
      Subject: 'Debit card declined at a hotel in Lisbon',
      Priority: 'High',
      Origin: 'Web',
      Status: 'New',
      Escalation_Reason__c: 'customer_requested_agent',
      Verification_Status__c: 'verified',
      Urgency__c: 'high',
      Customer_Sentiment__c: 'negative',
      Contact_Channel__c: 'mobile_app',
      Conversation_Language__c: 'en-GB',
      Is_VIP_Customer__c: false,
      Is_Vulnerable_Customer__c: false,
      Account: { Bank_Customer_Id__c: SEEDED_CUSTOMER.externalId },
      Contact: { Bank_Customer_Id__c: SEEDED_CUSTOMER.externalId },
    });
    expect(c.body).not.toHaveProperty('Handoff_Id__c'); // in the URL, not the body
    expect(c.body).not.toHaveProperty('OwnerId');
    const description = String(c.body?.Description);
    expect(description).toContain('Issue: Debit card declined at a hotel in Lisbon');
    expect(description).toContain('Next best action:');
    expect(c.body?.Handoff_Summary__c).toBe(description);
  });

  it('reads the CaseNumber with a plain GET on the case id (no query string)', () => {
    expect(node(g, 'caseRead').url).toBe('/services/data/v63.0/sobjects/Case/@{case.id}');
  });

  it('writes Bot_Handoff__c with every field', () => {
    const h = node(g, 'handoff');
    expect(h.url).toBe(
      `/services/data/v63.0/sobjects/Bot_Handoff__c/Handoff_Id__c/${encodeURIComponent(id)}`,
    );
    expect(h.body).toMatchObject({
      Case__c: '@{case.id}',
      Source_Platform__c: 'generic',
      Bot_Name__c: 'Penny',
      Conversation_Id__c: 'conv-7f3a-2291',
      Escalation_Reason__c: 'customer_requested_agent',
      Escalation_Detail__c: 'Customer asked for a person after a fallback.',
      Summary_Issue__c: 'Debit card declined at a hotel in Lisbon',
      Summary_Attempted__c: '- Asked whether it was a payment or a withdrawal',
      Summary_Unresolved__c: '- Why the card was declined\n- Whether travel flag is set',
      Urgency__c: 'high',
      Sentiment__c: 'negative',
      Sentiment_Score__c: -0.6,
      Channel__c: 'mobile_app',
      Language__c: 'en-GB',
      Customer_Segment__c: 'premier',
      Masked_Accounts__c: 'debit_card ••••4821 (Visa Debit); current_account ••••0192',
      Linked_Products__c: 'visa_debit, current_account',
      Is_VIP__c: false,
      Is_Vulnerable__c: false,
      SLA_Started_At__c: '2026-11-21T10:00:05Z',
      Routing_Mode__c: 'skills_based',
      Routing_Skills__c: 'Cards:5, English:3 (additional)',
      Routing_Priority__c: 2,
      Case_Type__c: 'Card Servicing',
      Case_Subcategory__c: 'Declined abroad',
      Redaction_Summary__c: 'card_number:2, national_id:1',
      Transcript_Turns__c: 5,
      Transcript_Parts__c: 1,
      Received_At__c: '2026-11-21T10:00:06Z',
    });
    expect(JSON.parse(String(h.body?.Collected_Fields__c))).toEqual({
      travel_country: 'Portugal',
      card_in_possession: true,
    });
    const evaluation = JSON.parse(String(h.body?.Escalation_Evaluation__c));
    expect(evaluation.fired[0].rule).toBe('customer_asked');
    expect(h.body).not.toHaveProperty('Routing_Queue__c');
  });

  it('upserts children by their keys under @{handoff.id}', () => {
    const i2 = node(g, 'intent2');
    expect(i2.url).toBe(
      `/services/data/v63.0/sobjects/Handoff_Intent__c/Intent_Key__c/${encodeURIComponent(`${id}#i2`)}`,
    );
    expect(i2.body).toMatchObject({
      Bot_Handoff__c: '@{handoff.id}',
      Sequence__c: 2,
      Intent_Name__c: 'card.declined',
      Confidence__c: 0.91,
      Outcome__c: 'in_progress',
      Occurred_At__c: '2026-11-21T09:58:40Z',
    });
    expect(JSON.parse(String(i2.body?.Entities__c))).toEqual({
      merchant_country: 'PT',
      amount: 184.5,
      currency: 'EUR',
    });
    expect(node(g, 'verification').body).toMatchObject({
      Bot_Handoff__c: '@{handoff.id}',
      Is_Verified__c: true,
      Method__c: 'otp',
      Verified_At__c: '2026-11-21T09:57:30Z',
      Scope__c: 'card servicing',
      Reverify_Required__c: false,
      Failed_Attempts__c: 0,
    });
    expect(node(g, 'verification').url).toContain(
      `/Handoff_Verification__c/Verification_Key__c/${encodeURIComponent(`${id}#v`)}`,
    );
    expect(node(g, 'consent1').body).toMatchObject({
      Consent_Type__c: 'call_recording',
      Granted__c: true,
      Wording_Version__c: 'v3',
    });
    const t = node(g, 'transcript1');
    expect(t.body).toMatchObject({ Part_Number__c: 1, Total_Parts__c: 1, First_Turn__c: 1, Last_Turn__c: 5 });
    expect(String(t.body?.Body__c).split('\n')).toHaveLength(5);
  });

  it('writes the PSR not ready, chains SkillRequirements, then makes it ready', () => {
    expect(node(g, 'psr')).toEqual({
      method: 'POST',
      url: '/services/data/v63.0/sobjects/PendingServiceRouting',
      referenceId: 'psr',
      body: {
        WorkItemId: '@{case.id}',
        ServiceChannelId: IDS.serviceChannelId,
        IsReadyForRouting: false,
        RoutingType: 'SkillsBased',
        RoutingModel: 'MostAvailable',
        RoutingPriority: 2,
        CapacityWeight: 1,
        DropAdditionalSkillsTimeout: 90,
      },
    });
    expect(node(g, 'sr1').body).toEqual({
      RelatedRecordId: '@{psr.id}',
      SkillId: IDS.skills.Cards,
      SkillLevel: 5,
      IsAdditionalSkill: false,
    });
    expect(node(g, 'sr1get').url).toBe('/services/data/v63.0/sobjects/SkillRequirement/@{sr1.id}');
    expect(node(g, 'sr2').body).toMatchObject({
      RelatedRecordId: '@{sr1get.RelatedRecordId}',
      IsAdditionalSkill: true,
    });
    expect(node(g, 'routingReady')).toEqual({
      method: 'PATCH',
      url: '/services/data/v63.0/sobjects/PendingServiceRouting/@{sr2get.RelatedRecordId}',
      referenceId: 'routingReady',
      body: { IsReadyForRouting: true },
    });
  });

  it('omits DropAdditionalSkillsTimeout when no skill is additional', () => {
    const g2 = plan(
      prepared(handoff(), {
        ...SKILLS_DECISION,
        skills: [{ developerName: 'Cards', level: 5, additional: false }],
      }),
    );
    expect(node(g2, 'psr').body).not.toHaveProperty('DropAdditionalSkillsTimeout');
    expect(node(g2, 'routingReady').url).toContain('@{sr1get.RelatedRecordId}');
  });

  it('node types stay well within the payload limit', () => {
    expect(nodeTypes(g).size).toBeLessThanOrEqual(11);
  });
});

describe('planHandoffGraph: routing variants', () => {
  it('five skills: depth 13, each SkillRequirement after the previous', () => {
    const skills = ['Cards', 'English', 'Fraud', 'Vulnerable_Support', 'Disputes'].map(
      (developerName, i) => ({
        developerName,
        level: i + 1,
        additional: i > 2,
      }),
    );
    const g = plan(prepared(handoff(), { ...SKILLS_DECISION, skills }));
    assertWellFormed(g);
    expect(graphDepth(g)).toBe(13);
    for (let n = 2; n <= 5; n += 1) {
      expect(node(g, `sr${n}`).body?.RelatedRecordId).toBe(`@{sr${n - 1}get.RelatedRecordId}`);
    }
    expect(node(g, 'routingReady').url).toContain('@{sr5get.RelatedRecordId}');
  });

  it('refuses more than the maximum skills, and a skill the org does not have', () => {
    const six = ['Cards', 'English', 'Fraud', 'Vulnerable_Support', 'Disputes', 'Senior_Support'].map(
      (developerName) => ({
        developerName,
        level: 1,
        additional: false,
      }),
    );
    // The contract allows 5; a decision built outside the contract must still not pass.
    expect(() => plan(prepared(handoff(), { ...SKILLS_DECISION, skills: six }))).toThrow(/at most 5/);
    try {
      plan(
        prepared(handoff(), {
          ...SKILLS_DECISION,
          skills: [{ developerName: 'Mortgages', level: 1, additional: false }],
        }),
      );
      throw new Error('expected a configuration error');
    } catch (err) {
      expect(isAppError(err) && err.code).toBe('SALESFORCE_CONFIGURATION');
      expect((err as Error).message).toContain('Mortgages');
    }
  });

  it('skills-based with no skills: PSR made ready directly', () => {
    const g = plan(prepared(handoff(), { ...SKILLS_DECISION, skills: [] }));
    assertWellFormed(g);
    expect(node(g, 'routingReady').url).toBe('/services/data/v63.0/sobjects/PendingServiceRouting/@{psr.id}');
  });

  it('queue fallback: Case OwnerId is the queue, no PSR', () => {
    const g = plan(prepared(handoff(), QUEUE_DECISION));
    assertWellFormed(g);
    expect(node(g, 'case').body?.OwnerId).toBe(IDS.queues.Handoff_General);
    expect(node(g, 'case').body?.Priority).toBe('Medium');
    expect(
      g.compositeRequest.some(
        (n) => n.url.includes('PendingServiceRouting') || n.url.includes('SkillRequirement'),
      ),
    ).toBe(false);
    expect(node(g, 'handoff').body).toMatchObject({
      Routing_Mode__c: 'queue_based',
      Routing_Queue__c: 'Handoff_General',
    });
    expect(() => plan(prepared(handoff(), { ...QUEUE_DECISION, queue: 'Handoff_Nowhere' }))).toThrow(
      /Handoff_Nowhere/,
    );
  });
});

describe('planHandoffGraph: customer link', () => {
  it('links by Salesforce account id when the bot gave one (no ContactId without a lookup)', () => {
    const input = handoff();
    input.identity.customer = { salesforceAccountId: '001000000000001AAA', linkedProducts: [] };
    const body = node(plan(prepared(input)), 'case').body;
    expect(body?.AccountId).toBe('001000000000001AAA');
    expect(body).not.toHaveProperty('Account');
    expect(body).not.toHaveProperty('Contact');
    expect(body).not.toHaveProperty('ContactId');
  });

  it('without the link (unknown customer retry): no Account/Contact, and the handoff record says so', () => {
    const g = plan(prepared(), { linkCustomer: false });
    assertWellFormed(g);
    expect(node(g, 'case').body).not.toHaveProperty('Account');
    expect(node(g, 'case').body).not.toHaveProperty('Contact');
    expect(String(node(g, 'handoff').body?.Escalation_Detail__c)).toContain(NOT_LINKED_NOTE);
  });

  it('anonymous customer: no link and no note', () => {
    const input = handoff();
    input.identity.customer = { linkedProducts: [] };
    const g = plan(prepared(input));
    expect(node(g, 'case').body).not.toHaveProperty('Account');
    expect(String(node(g, 'handoff').body?.Escalation_Detail__c)).not.toContain(NOT_LINKED_NOTE);
  });

  it('uses the mapping names (e.g. an FSC managed-package org)', () => {
    const m = salesforceMappingSchema.parse({
      customer: { accountExternalIdField: 'FinServ__CustomerID__c', linkContact: false },
      values: { caseOrigin: 'Chatbot' },
      handoff: { summaryIssue: 'Issue__c' },
    });
    const g = plan(prepared(), { mapping: m });
    expect(node(g, 'case').body).toMatchObject({
      Account: { FinServ__CustomerID__c: SEEDED_CUSTOMER.externalId },
      Origin: 'Chatbot',
    });
    expect(node(g, 'case').body).not.toHaveProperty('Contact');
    expect(node(g, 'handoff').body).toHaveProperty('Issue__c');
    expect(node(g, 'handoff').body).not.toHaveProperty('Summary_Issue__c');
  });
});

describe('planHandoffGraph: enriching an existing case', () => {
  const input = handoff({ operational: { existingCaseId: '500000000000001AAA' } });
  const p = prepared(input);
  const g = plan(p);

  it('PATCHes the case by id with the enrichment fields only', () => {
    assertWellFormed(g);
    const c = node(g, 'case');
    expect(c.method).toBe('PATCH');
    expect(c.url).toBe('/services/data/v63.0/sobjects/Case/500000000000001AAA');
    for (const kept of ['Subject', 'Description', 'Origin', 'Status', 'Account', 'Contact']) {
      expect(c.body).not.toHaveProperty(kept);
    }
    expect(c.body).toMatchObject({ Handoff_Id__c: p.handoffId, Priority: 'High', Urgency__c: 'high' });
    expect(String(c.body?.Handoff_Summary__c)).toContain('Issue:');
  });

  it('attaches the new Bot_Handoff__c with the literal case id and does not route again by default', () => {
    expect(node(g, 'handoff').body?.Case__c).toBe('500000000000001AAA');
    expect(node(g, 'caseRead').url).toBe('/services/data/v63.0/sobjects/Case/500000000000001AAA');
    expect(g.compositeRequest.some((n) => n.url.includes('PendingServiceRouting'))).toBe(false);
    expect(node(g, 'case').body).not.toHaveProperty('OwnerId');
    const q = plan(prepared(input, QUEUE_DECISION));
    expect(node(q, 'case').body).not.toHaveProperty('OwnerId');
  });

  it('routes the enriched case when the mapping says so (PSR on the literal case id)', () => {
    const m = salesforceMappingSchema.parse({ routing: { routeEnrichedCases: true } });
    const routed = plan(p, { mapping: m });
    assertWellFormed(routed);
    expect(node(routed, 'psr').body?.WorkItemId).toBe('500000000000001AAA');
    expect(node(plan(prepared(input, QUEUE_DECISION), { mapping: m }), 'case').body?.OwnerId).toBe(
      IDS.queues.Handoff_General,
    );
  });
});

describe('lengths: nothing longer than its field, nothing dropped silently', () => {
  function longHandoff(): HandoffRequestInput {
    const input = handoff();
    const long500 = 'x'.repeat(495);
    input.conversation = {
      ...input.conversation,
      summary: {
        issue: 'I'.repeat(255),
        attempted: Array.from({ length: 20 }, (_, i) => `${i} ${long500}`),
        unresolved: Array.from({ length: 20 }, (_, i) => `${i} ${long500}`),
        nextBestAction: 'N'.repeat(255),
        urgency: 'high',
      },
    };
    input.intent.escalation.detail = 'D'.repeat(4000);
    input.identity.maskedAccounts = Array.from({ length: 20 }, (_, i) => ({
      kind: 'credit_card',
      last4: String(1000 + i),
      label: 'L'.repeat(80),
    }));
    input.identity.customer.linkedProducts = Array.from(
      { length: 20 },
      (_, i) => `product_${i}_${'p'.repeat(60)}`,
    );
    input.operational = {
      ...input.operational,
      documentsRequested: Array.from({ length: 20 }, (_, i) => `doc ${i} ${'d'.repeat(240)}`),
      collectedFields: Object.fromEntries(
        Array.from({ length: 100 }, (_, i) => [`field_${i}`, 'v'.repeat(1000)]),
      ),
    };
    input.identity.language = 'en-GB-oxendict';
    return input;
  }

  const lengthsByField = (m: SalesforceMapping): Record<string, number> => ({
    Subject: m.lengths['case.subject'],
    Description: m.lengths['case.description'],
    Handoff_Summary__c: m.lengths['case.summary'],
    Summary_Attempted__c: m.lengths['handoff.summaryAttempted'],
    Summary_Unresolved__c: m.lengths['handoff.summaryUnresolved'],
    Escalation_Detail__c: m.lengths['handoff.escalationDetail'],
    Masked_Accounts__c: m.lengths['handoff.maskedAccounts'],
    Linked_Products__c: m.lengths['handoff.linkedProducts'],
    Documents_Requested__c: m.lengths['handoff.documentsRequested'],
    Collected_Fields__c: m.lengths['handoff.collectedFields'],
    Language__c: m.lengths['handoff.language'],
    Conversation_Language__c: m.lengths['case.language'],
  });

  it('every long value fits, with a visible marker or a valid-JSON omission list', () => {
    const g = plan(prepared(longHandoff()));
    const limits = lengthsByField(mapping);
    const checked = new Set<string>();
    for (const n of g.compositeRequest) {
      for (const [field, value] of Object.entries(n.body ?? {})) {
        const max = limits[field];
        if (max !== undefined && typeof value === 'string') {
          expect(value.length).toBeLessThanOrEqual(max);
          checked.add(field);
        }
      }
    }
    // The loop above must have had something to check: every limited field the long handoff fills.
    expect([...checked].sort()).toEqual(Object.keys(limits).sort());
    const h = node(g, 'handoff').body ?? {};
    expect(String(h.Summary_Attempted__c)).toMatch(/… and \d+ more|truncated/);
    expect(String(h.Masked_Accounts__c)).toMatch(/\(\+\d+ more\)$/);
    expect(String(h.Linked_Products__c)).toMatch(/\(\+\d+ more\)$/);
    expect(String(h.Documents_Requested__c)).toMatch(/… and \d+ more$/);
    const collected = JSON.parse(String(h.Collected_Fields__c));
    const kept = Object.keys(collected).filter((k) => k !== '_omitted');
    expect(kept.length + (collected._omitted as string[]).length).toBe(100);
    expect(h.Language__c).toBe('en-GB');
    // The Case's own long fields hold the whole summary (32,000 is enough for the contract's maximum).
    expect(String(node(g, 'case').body?.Description)).not.toContain('truncated');
  });

  it('a smaller org field gets a marker, not a silent cut', () => {
    const m = salesforceMappingSchema.parse({ lengths: { 'case.description': 200 } });
    const d = String(node(plan(prepared(), { mapping: m }), 'case').body?.Description);
    expect(d.length).toBeLessThanOrEqual(200);
    expect(d).toMatch(/\[truncated: \d+ more characters\]$/);
  });

  it('an id that does not fit is refused, never cut', () => {
    const m = salesforceMappingSchema.parse({ lengths: { 'handoff.conversationId': 5 } });
    expect(() => plan(prepared(), { mapping: m })).toThrow(/source.conversationId/);
  });
});

describe('splitTranscript', () => {
  const turn = (text: string, i = 0): TranscriptTurn => ({
    at: `2026-11-21T10:00:${String(i % 60).padStart(2, '0')}Z`,
    from: i % 2 ? 'bot' : 'customer',
    text,
  });

  it('keeps everything in one part when it fits', () => {
    const turns = [turn('a', 0), turn('b', 1)];
    expect(splitTranscript(turns, 1000)).toEqual([
      {
        partNumber: 1,
        firstTurn: 1,
        lastTurn: 2,
        body: `${renderTurn(turns[0]!)}\n${renderTurn(turns[1]!)}`,
      },
    ]);
  });

  it('splits at turn boundaries, never more than maxChars, nothing lost', () => {
    const turns = Array.from({ length: 50 }, (_, i) => turn(`message ${i} ${'z'.repeat(i * 3)}`, i));
    const parts = splitTranscript(turns, 400);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.body.length).toBeLessThanOrEqual(400);
    expect(parts.map((p) => p.body).join('\n')).toBe(turns.map(renderTurn).join('\n'));
    parts.forEach((p, i) => {
      expect(p.partNumber).toBe(i + 1);
      if (i > 0) expect(p.firstTurn).toBe(parts[i - 1]!.lastTurn + 1);
    });
    expect(parts.at(-1)?.lastTurn).toBe(50);
  });

  it('splits a single over-long turn inside the turn, in labelled pieces that add up to it', () => {
    const big = 'ab'.repeat(700);
    const turns = [turn('before', 0), turn(big, 1), turn('after', 2)];
    const parts = splitTranscript(turns, 300);
    for (const p of parts) expect(p.body.length).toBeLessThanOrEqual(300);
    const pieces = parts.filter((p) => p.firstTurn === 2);
    expect(pieces.length).toBeGreaterThan(1);
    const rebuilt = pieces
      .map((p) => p.body.replace(/^.*?\(turn continues, piece \d+\/\d+\): /, ''))
      .join('');
    expect(rebuilt).toBe(big);
    expect(parts[0]?.body).toContain('before');
    expect(parts.at(-1)?.body).toContain('after');
  });

  it('plans the real limit: a 5000-turn transcript is split into ≤131,072-character parts', () => {
    const input = handoff();
    input.conversation = {
      ...input.conversation,
      transcript: Array.from({ length: 400 }, (_, i) => turn(`${i} ${'w'.repeat(2000)}`, i)),
    };
    const g = plan(prepared(input));
    const parts = g.compositeRequest.filter((n) => n.referenceId.startsWith('transcript'));
    expect(parts.length).toBe(7);
    for (const p of parts) {
      expect(String(p.body?.Body__c).length).toBeLessThanOrEqual(131072);
      expect(p.body?.Total_Parts__c).toBe(7);
    }
    expect(node(g, 'handoff').body?.Transcript_Parts__c).toBe(7);
    assertWellFormed(g);
  });

  it('empty transcript: no parts', () => {
    expect(splitTranscript([], 100)).toEqual([]);
  });
});
