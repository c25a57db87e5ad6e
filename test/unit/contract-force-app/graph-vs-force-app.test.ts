/**
 * The metadata contract: everything the service writes (every node of the graphs planHandoffGraph
 * produces) exists in force-app with a compatible type and length, and the integration permission
 * set FSC_Handoff_Integration lets the service write it.
 *
 * Standard objects and fields (Case.Subject, PendingServiceRouting, SkillRequirement, …) are not in
 * force-app; they are checked against the standard field list and lengths documented by Salesforce.
 */
import {
  defaultMapping,
  DEFAULT_LENGTHS,
  planHandoffGraph,
  salesforceMappingSchema,
} from '../../../src/plan';
import type { CompositeGraph, LengthKey, SalesforceMapping } from '../../../src/plan';
import type { HandoffRequestInput } from '../../../src/contract/handoff';
import { loadForceAppModel, type FieldModel } from '../../support/force-app-model';
import { handoff } from '../../support/handoff-factory';
import { IDS, prepared, QUEUE_DECISION, SKILLS_DECISION } from '../plan/prepared-fixture';

const model = loadForceAppModel();
const PERMISSION_SET = 'FSC_Handoff_Integration';
const perms = model.permissionSets[PERMISSION_SET];

/** Standard fields the service writes, with their documented text lengths (OR v63+). */
const STANDARD_FIELDS: Record<
  string,
  Record<string, { type: 'string' | 'picklist' | 'reference' | 'number' | 'boolean'; length?: number }>
> = {
  Case: {
    Subject: { type: 'string', length: 255 },
    Description: { type: 'string', length: 32000 },
    Priority: { type: 'picklist' },
    Origin: { type: 'picklist' },
    Status: { type: 'picklist' },
    AccountId: { type: 'reference' },
    OwnerId: { type: 'reference' },
  },
  PendingServiceRouting: {
    WorkItemId: { type: 'reference' },
    ServiceChannelId: { type: 'reference' },
    IsReadyForRouting: { type: 'boolean' },
    RoutingType: { type: 'picklist' },
    RoutingModel: { type: 'picklist' },
    RoutingPriority: { type: 'number' },
    CapacityWeight: { type: 'number' },
    DropAdditionalSkillsTimeout: { type: 'number' },
  },
  SkillRequirement: {
    RelatedRecordId: { type: 'reference' },
    SkillId: { type: 'reference' },
    SkillLevel: { type: 'number' },
    IsAdditionalSkill: { type: 'boolean' },
  },
};

/**
 * Standard fields the service writes that have NO field-level security, so a permission set cannot
 * (and need not) grant them; every other standard field written must be granted editable.
 * - Case.OwnerId: the owner field is never FLS-controlled (ownership is governed by sharing).
 * - Case.Status: required (not nillable) on Case, so its field access is fixed. Deploy-time
 *   confirmation is part of the sandbox dry run in docs/admin.md.
 * - PendingServiceRouting and SkillRequirement fields: the Omni-Channel routing objects are not in
 *   this permission set at all (see docs/admin.md, "PendingServiceRouting and SkillRequirement").
 */
const NO_FLS: Record<string, string[]> = {
  Case: ['OwnerId', 'Status'],
  PendingServiceRouting: Object.keys(STANDARD_FIELDS.PendingServiceRouting ?? {}),
  SkillRequirement: Object.keys(STANDARD_FIELDS.SkillRequirement ?? {}),
};

/** Relationship name in a body → the Id field it sets. */
const RELATIONSHIP_FIELDS: Record<string, Record<string, string>> = {
  Case: { Account: 'AccountId', Contact: 'ContactId' },
};

/** Lookup relationships set by external id in a body: relationship name → target object. */
const RELATIONSHIPS: Record<string, Record<string, string>> = {
  Case: { Account: 'Account', Contact: 'Contact' },
};

function richHandoff(): HandoffRequestInput {
  const input = handoff();
  input.identity.language = 'en-GB-oxendict';
  input.intent.escalation.detail = 'D'.repeat(4000);
  input.identity.verification = {
    verified: true,
    method: 'otp',
    verifiedAt: '2026-11-21T09:57:30Z',
    scope: 'S'.repeat(255),
    reverifyRequired: true,
    reverifyReason: 'R'.repeat(255),
    failedAttempts: 2,
  };
  input.identity.maskedAccounts = Array.from({ length: 20 }, (_, i) => ({
    kind: 'k'.repeat(40),
    last4: String(1000 + i),
    label: 'L'.repeat(80),
  }));
  input.identity.customer.linkedProducts = Array.from({ length: 20 }, () => 'p'.repeat(80));
  input.identity.customer.segment = 'g'.repeat(80);
  input.identity.consents = Array.from({ length: 3 }, () => ({
    type: 't'.repeat(80),
    granted: true,
    capturedAt: '2026-11-21T09:57:00Z',
    wordingVersion: 'w'.repeat(40),
  }));
  input.source.botName = 'b'.repeat(80);
  input.source.conversationId = 'c'.repeat(255);
  input.handoffId = `ho-${'x'.repeat(77)}`;
  input.operational = {
    ...input.operational,
    caseType: 'T'.repeat(80),
    caseSubcategory: 'U'.repeat(80),
    documentsRequested: Array.from({ length: 20 }, () => 'd'.repeat(255)),
    collectedFields: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, 'v'.repeat(1000)])),
    vip: true,
    vulnerable: true,
  };
  input.intent.history = Array.from({ length: 30 }, () => ({
    name: 'n'.repeat(255),
    confidence: 0.123456,
    outcome: 'fallback' as const,
    entities: Object.fromEntries(Array.from({ length: 40 }, (_, j) => [`e${j}`, 'v'.repeat(1000)])),
    at: '2026-11-21T09:58:40Z',
  }));
  input.conversation = {
    transcript: Array.from({ length: 60 }, (_, i) => ({
      at: '2026-11-21T09:58:00Z',
      from: i % 2 ? ('bot' as const) : ('customer' as const),
      text: 'w'.repeat(10000),
    })),
    summary: {
      issue: 'I'.repeat(255),
      attempted: Array.from({ length: 20 }, () => 'a'.repeat(500)),
      unresolved: Array.from({ length: 20 }, () => 'u'.repeat(500)),
      nextBestAction: 'N'.repeat(255),
      urgency: 'critical',
    },
    sentiment: { label: 'mixed', score: -0.123456 },
  };
  return input;
}

function graphs(mapping: SalesforceMapping): [string, CompositeGraph][] {
  const plan = (
    name: string,
    p: ReturnType<typeof prepared>,
    linkCustomer = true,
  ): [string, CompositeGraph] => [
    name,
    planHandoffGraph({ prepared: p, ids: IDS, mapping, apiVersion: '63.0', graphId: 'g', linkCustomer }),
  ];
  const fiveSkills = {
    ...SKILLS_DECISION,
    skills: ['Cards', 'English', 'Fraud', 'Vulnerable_Support', 'Disputes'].map((developerName, i) => ({
      developerName,
      level: 10 - i,
      additional: i > 1,
    })),
  };
  const routeEnriched = salesforceMappingSchema.parse({ routing: { routeEnrichedCases: true } });
  const enrichment = prepared(handoff({ operational: { existingCaseId: '500000000000001AAA' } }));
  return [
    plan('rich handoff', prepared(richHandoff(), fiveSkills)),
    plan('typical handoff', prepared()),
    plan('queue fallback', prepared(handoff(), QUEUE_DECISION)),
    plan('unknown customer', prepared(), false),
    plan('enrichment', enrichment),
    [
      'enrichment, routed',
      planHandoffGraph({
        prepared: enrichment,
        ids: IDS,
        mapping: routeEnriched,
        apiVersion: '63.0',
        graphId: 'g',
      }),
    ],
  ];
}

interface Write {
  graph: string;
  object: string;
  field: string;
  value: unknown;
}

/** Every (object, field, value) the graphs write, including external-id fields in upsert URLs. */
function writes(list: [string, CompositeGraph][]): {
  writes: Write[];
  relationships: Write[];
  objects: Set<string>;
} {
  const out: Write[] = [];
  const rels: Write[] = [];
  const objects = new Set<string>();
  for (const [name, g] of list) {
    for (const node of g.compositeRequest) {
      if (node.method === 'GET') continue;
      const m = /^\/services\/data\/v[\d.]+\/sobjects\/([A-Za-z0-9_]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(
        node.url,
      );
      if (!m?.[1]) throw new Error(`unexpected url ${node.url}`);
      const object = m[1];
      objects.add(object);
      if (m[3] !== undefined && m[2])
        out.push({ graph: name, object, field: m[2], value: decodeURIComponent(m[3]) });
      for (const [field, value] of Object.entries(node.body ?? {})) {
        if (value !== null && typeof value === 'object') rels.push({ graph: name, object, field, value });
        else out.push({ graph: name, object, field, value });
      }
    }
  }
  return { writes: out, relationships: rels, objects };
}

function isReference(v: unknown): boolean {
  return (
    typeof v === 'string' &&
    (/^@\{[A-Za-z0-9_]+\.[A-Za-z_]+\}$/.test(v) || /^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/.test(v))
  );
}

function checkCustom(w: Write, f: FieldModel): string | undefined {
  const v = w.value;
  switch (f.type) {
    case 'Text':
    case 'TextArea':
    case 'LongTextArea':
      if (typeof v !== 'string') return `expects text, planned ${typeof v}`;
      if (f.length !== undefined && v.length > f.length)
        return `holds ${f.length}, planned ${v.length} characters`;
      return undefined;
    case 'Picklist':
      if (typeof v !== 'string') return `expects a picklist value, planned ${typeof v}`;
      if (f.picklist?.restricted && !f.picklist.values.some((p) => p.value === v))
        return `has no picklist value "${v}"`;
      return undefined;
    case 'Checkbox':
      return typeof v === 'boolean' ? undefined : `expects a boolean, planned ${typeof v}`;
    case 'Number': {
      if (typeof v !== 'number') return `expects a number, planned ${typeof v}`;
      const scale = f.scale ?? 0;
      const intDigits = (f.precision ?? 18) - scale;
      const [intPart, frac = ''] = Math.abs(v).toString().split('.');
      if ((intPart ?? '').replace(/^0$/, '').length > intDigits)
        return `Number(${f.precision},${scale}) cannot hold ${v}`;
      if (frac.length > scale) return `Number(${f.precision},${scale}) would round ${v}`;
      return undefined;
    }
    case 'DateTime':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v))
        ? undefined
        : `expects a date-time, planned ${String(v)}`;
    case 'MasterDetail':
    case 'Lookup':
      return isReference(v) ? undefined : `expects a record id or reference, planned ${String(v)}`;
    default:
      return `type ${f.type} is not one the service writes`;
  }
}

function fieldProblems(list: Write[]): string[] {
  const problems: string[] = [];
  for (const w of list) {
    const standard = STANDARD_FIELDS[w.object]?.[w.field];
    if (standard) {
      if (standard.length !== undefined && typeof w.value === 'string' && w.value.length > standard.length) {
        problems.push(
          `${w.graph}: ${w.object}.${w.field} holds ${standard.length}, planned ${w.value.length}`,
        );
      }
      continue;
    }
    const f = model.field(w.object, w.field);
    if (!f) {
      problems.push(`${w.graph}: ${w.object}.${w.field} is not in force-app`);
      continue;
    }
    const p = checkCustom(w, f);
    if (p) problems.push(`${w.graph}: ${w.object}.${w.field} ${p}`);
  }
  return problems;
}

describe('force-app holds everything the service writes', () => {
  const mapping = defaultMapping();
  const all = writes(graphs(mapping));

  it('the integration permission set exists', () => {
    expect(perms).toBeDefined();
  });

  it('every custom field exists with a compatible type, length, picklist value and number size', () => {
    expect(fieldProblems(all.writes)).toEqual([]);
  });

  it('the check itself catches a missing field, a long value, a bad picklist value and a big number', () => {
    const renamed = salesforceMappingSchema.parse({ handoff: { summaryIssue: 'Issue_Text__c' } });
    expect(fieldProblems(writes(graphs(renamed)).writes)).toContain(
      'typical handoff: Bot_Handoff__c.Issue_Text__c is not in force-app',
    );
    const bad: Write[] = [
      { graph: 'x', object: 'Bot_Handoff__c', field: 'Summary_Issue__c', value: 'i'.repeat(256) },
      { graph: 'x', object: 'Bot_Handoff__c', field: 'Urgency__c', value: 'very_high' },
      { graph: 'x', object: 'Bot_Handoff__c', field: 'Sentiment_Score__c', value: 12.5 },
      { graph: 'x', object: 'Case', field: 'Subject', value: 's'.repeat(256) },
    ];
    expect(fieldProblems(bad)).toHaveLength(4);
  });

  it('upsert URLs use unique external-id fields; relationships resolve by external ids', () => {
    const problems: string[] = [];
    for (const [name, g] of graphs(mapping)) {
      for (const node of g.compositeRequest) {
        const m = /\/sobjects\/([A-Za-z0-9_]+)\/([A-Za-z0-9_]+__c)\/[^/]+$/.exec(node.url);
        if (!m?.[1] || !m[2]) continue;
        const f = model.field(m[1], m[2]);
        if (!f?.externalId || !f.unique)
          problems.push(`${name}: ${m[1]}.${m[2]} is not a unique external id`);
      }
    }
    for (const r of all.relationships) {
      const target = RELATIONSHIPS[r.object]?.[r.field];
      if (!target) {
        problems.push(`${r.graph}: ${r.object}.${r.field} is not a known relationship`);
        continue;
      }
      for (const extField of Object.keys(r.value as object)) {
        const f = model.field(target, extField);
        if (!f?.externalId) problems.push(`${r.graph}: ${target}.${extField} is not an external id`);
        if (!perms?.fields[`${target}.${extField}`]?.readable) {
          problems.push(
            `${target}.${extField} is not readable by ${PERMISSION_SET} (needed to match the customer)`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it(`${PERMISSION_SET} can create and edit every custom object written, and edit every custom field`, () => {
    const problems: string[] = [];
    for (const object of all.objects) {
      if (object === 'PendingServiceRouting' || object === 'SkillRequirement') continue; // see below
      const o = perms?.objects[object];
      if (!o?.allowCreate || !o.allowEdit) problems.push(`object ${object}: create/edit not granted`);
    }
    const fields = new Set(
      all.writes.filter((w) => w.field.endsWith('__c')).map((w) => `${w.object}.${w.field}`),
    );
    for (const name of fields) {
      const [object = '', field = ''] = name.split('.');
      const f = model.field(object, field);
      // Required and master-detail fields have no field-level security: the object grant covers them.
      if (!f || f.required || f.type === 'MasterDetail') continue;
      if (!perms?.fields[name]?.editable) problems.push(`field ${name}: not editable`);
    }
    expect(problems).toEqual([]);
  });

  it(`${PERMISSION_SET} grants edit on every standard field the service writes that has field-level security`, () => {
    const standard = new Set<string>();
    for (const w of all.writes) {
      if (!w.field.endsWith('__c') && STANDARD_FIELDS[w.object]) standard.add(`${w.object}.${w.field}`);
    }
    for (const r of all.relationships) {
      const idField = RELATIONSHIP_FIELDS[r.object]?.[r.field];
      if (idField) standard.add(`${r.object}.${idField}`);
    }
    // The plan really writes these (so the check below is not vacuous).
    expect([...standard]).toEqual(
      expect.arrayContaining(['Case.Subject', 'Case.Description', 'Case.AccountId', 'Case.ContactId']),
    );
    const problems: string[] = [];
    for (const name of [...standard].sort()) {
      const [object = '', field = ''] = name.split('.');
      if (NO_FLS[object]?.includes(field)) continue;
      const p = perms?.fields[name];
      if (!p?.readable || !p.editable) problems.push(`${name}: not granted readable and editable`);
    }
    expect(problems).toEqual([]);
  });

  it('a standard field on the no-FLS list is never named in the permission set (the deploy would refuse it)', () => {
    for (const [object, fields] of Object.entries(NO_FLS)) {
      for (const field of fields) expect(perms?.fields[`${object}.${field}`]).toBeUndefined();
    }
  });

  it('the mapping lengths never exceed the force-app field lengths', () => {
    const sections: Record<string, keyof SalesforceMapping> = {
      case: 'case',
      handoff: 'handoff',
      intent: 'intent',
      verification: 'verification',
      consent: 'consent',
      transcript: 'transcript',
    };
    const objects: Record<string, string> = {
      case: mapping.objects.case,
      handoff: mapping.objects.handoff,
      intent: mapping.objects.intent,
      verification: mapping.objects.verification,
      consent: mapping.objects.consent,
      transcript: mapping.objects.transcript,
    };
    const problems: string[] = [];
    for (const key of Object.keys(DEFAULT_LENGTHS) as LengthKey[]) {
      const [section = '', logical = ''] = key.split('.');
      const fields = mapping[sections[section] as keyof SalesforceMapping] as Record<string, string>;
      const fieldName = fields[logical];
      const object = objects[section] ?? '';
      if (!fieldName) {
        problems.push(`${key}: no mapped field`);
        continue;
      }
      const standard = STANDARD_FIELDS[object]?.[fieldName];
      const max = standard?.length ?? model.field(object, fieldName)?.length;
      if (max === undefined) problems.push(`${key}: ${object}.${fieldName} has no length in force-app`);
      else if (mapping.lengths[key] > max)
        problems.push(`${key}: mapping ${mapping.lengths[key]} > ${object}.${fieldName} ${max}`);
    }
    expect(problems).toEqual([]);
  });
});
