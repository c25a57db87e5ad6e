/**
 * One handoff → one composite graph (docs/design.md, "How the service writes a handoff").
 *
 * Pure: no I/O, no jsforce. Nodes that do not reference each other carry no promise of order in a
 * graph, so every ordering that matters is an explicit `@{ref…}` reference:
 *
 *   case            PATCH /sobjects/Case/Handoff_Id__c/<id>          (upsert; customer linked by ext id)
 *   caseRead        GET   /sobjects/Case/@{case.id}                  (CaseNumber for the answer)
 *   handoff         PATCH /sobjects/Bot_Handoff__c/Handoff_Id__c/<id> (Case__c = @{case.id})
 *   intent<n>, verification, consent<n>, transcript<n>
 *                   PATCH /sobjects/<Child>/<Key>/<key>              (Bot_Handoff__c = @{handoff.id})
 *   psr             POST  /sobjects/PendingServiceRouting            (IsReadyForRouting false)
 *   sr1 → sr1get → sr2 → sr2get → … srN → srNget                     (each SkillRequirement after the last)
 *   routingReady    PATCH /sobjects/PendingServiceRouting/@{srNget.RelatedRecordId} (IsReadyForRouting true)
 *
 * The CaseNumber read is a plain `GET /sobjects/Case/@{case.id}` without `?fields=`: the composite
 * graph documentation lists exactly three URL forms for nodes and no query strings, so the strict
 * reading (which the emulator takes) is that a query string is not allowed. The full record comes
 * back; the delivery code takes CaseNumber from it.
 *
 * Depth with 5 skills: case → psr → sr1 → sr1get → … → sr5get → routingReady = 13 ≤ 15.
 */
import type { PreparedHandoff } from '../contract/prepared';
import type { Handoff } from '../contract/handoff';
import type { EscalationEvaluation, RoutingDecision } from '../contract/routing';
import { AppError } from '../errors';
import type { SalesforceMapping } from './mapping';
import { fitExact, fitInline, fitJsonRecord, fitLanguage, fitList, fitSummary } from './text';
import { splitTranscript } from './transcript';

export type GraphMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface GraphNode {
  method: GraphMethod;
  url: string;
  referenceId: string;
  body?: Record<string, unknown>;
}

export interface CompositeGraph {
  graphId: string;
  compositeRequest: GraphNode[];
}

/** Org-specific ids, resolved once by DeveloperName (src/salesforce resolveIds). */
export interface ResolvedIds {
  serviceChannelId: string;
  /** Skill DeveloperName → Skill Id. */
  skills: Record<string, string>;
  /** Queue (Group Type=Queue) DeveloperName → Group Id. */
  queues: Record<string, string>;
}

export interface PlanInput {
  prepared: PreparedHandoff;
  ids: ResolvedIds;
  mapping: SalesforceMapping;
  apiVersion: string;
  graphId: string;
  /**
   * false: write the Case without the customer link (used when the customer's external id is not in
   * Salesforce, so a handoff for an unknown customer still makes a case). Default true.
   */
  linkCustomer?: boolean;
}

/** Reference ids the delivery code reads results by. */
export const REF = {
  case: 'case',
  caseRead: 'caseRead',
  handoff: 'handoff',
  psr: 'psr',
  ready: 'routingReady',
} as const;

/** Composite graph limits (REST "Composite Graph Limits"). */
export const GRAPH_LIMITS = {
  graphsPerPayload: 75,
  nodesPerPayload: 500,
  nodesPerGraph: 500,
  depth: 15,
  nodeTypesPerPayload: 15,
} as const;

export const NOT_LINKED_NOTE =
  "[FSC Handoff: the customer's bank customer number was not found in Salesforce, so this case is not linked to an account or contact]";

function seg(value: string): string {
  return encodeURIComponent(value);
}

/** The ten-second summary an agent reads first (Case.Description and Handoff_Summary__c). */
export function tenSecondSummary(h: Handoff, decision: RoutingDecision): string {
  const s = h.conversation.summary;
  const v = h.identity.verification;
  const lines: string[] = [];
  lines.push(`Issue: ${s?.issue ?? `Chatbot handoff (${h.intent.escalation.reason})`}`);
  const detail = h.intent.escalation.detail ? ` (${h.intent.escalation.detail})` : '';
  lines.push(`Why a person: ${h.intent.escalation.reason}${detail}`);
  let verification = v.verified ? `verified by ${v.method}` : 'NOT verified';
  if (v.scope) verification += `; scope: ${v.scope}`;
  if (v.reverifyRequired)
    verification += `; RE-VERIFY before acting${v.reverifyReason ? `: ${v.reverifyReason}` : ''}`;
  if (v.failedAttempts > 0) verification += `; failed attempts: ${v.failedAttempts}`;
  lines.push(`Customer: ${verification}`);
  const flags = [h.operational.vip ? 'VIP' : null, h.operational.vulnerable ? 'VULNERABLE' : null].filter(
    (x): x is string => x !== null,
  );
  if (flags.length > 0) lines.push(`Flags: ${flags.join(', ')}`);
  if (s && s.attempted.length > 0) lines.push(`Tried:\n${s.attempted.map((a) => `- ${a}`).join('\n')}`);
  if (s && s.unresolved.length > 0)
    lines.push(`Unresolved:\n${s.unresolved.map((a) => `- ${a}`).join('\n')}`);
  if (s?.nextBestAction) lines.push(`Next best action: ${s.nextBestAction}`);
  const sentiment = h.conversation.sentiment;
  lines.push(
    `Urgency: ${decision.urgency}${sentiment ? `; sentiment: ${sentiment.label}${sentiment.score === undefined ? '' : ` (${sentiment.score})`}` : ''}`,
  );
  lines.push(
    decision.mode === 'queue_based'
      ? `Routing: queue ${decision.queue ?? '(none)'}`
      : `Routing: skills ${decision.skills.map((k) => `${k.developerName}(${k.level}${k.additional ? ', additional' : ''})`).join(', ') || '(none)'}; priority ${decision.priority}`,
  );
  return lines.join('\n');
}

function verificationStatus(h: Handoff): 'verified' | 'not_verified' | 'reverify_required' {
  const v = h.identity.verification;
  if (v.reverifyRequired) return 'reverify_required';
  return v.verified ? 'verified' : 'not_verified';
}

function round(n: number, scale: number): number {
  const f = 10 ** scale;
  return Math.round(n * f) / f;
}

function evaluationJson(evaluation: EscalationEvaluation | null, max: number): string | undefined {
  if (!evaluation) return undefined;
  const whole = JSON.stringify(evaluation);
  if (whole.length <= max) return whole;
  // Keep the JSON valid: drop fired rules from the end and say how many were left out.
  for (let n = evaluation.fired.length - 1; n >= 0; n -= 1) {
    const text = JSON.stringify({
      ...evaluation,
      fired: evaluation.fired.slice(0, n),
      omittedRules: evaluation.fired.length - n,
    });
    if (text.length <= max) return text;
  }
  return JSON.stringify({ ...evaluation, fired: [], omittedRules: evaluation.fired.length });
}

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  // A plain loop: entries → filter → fromEntries allocated three arrays per node body (3.4 % of the
  // service's busy time in the bench's max scenario).
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(o)) {
    const value = o[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function missingId(kind: string, name: string): AppError {
  return new AppError({
    code: 'SALESFORCE_CONFIGURATION',
    status: 500,
    message: `${kind} "${name}" has no Salesforce id (not found in the org by DeveloperName)`,
    actions: [`Create the ${kind} "${name}" in the org, or fix the routing configuration`],
  });
}

export function planHandoffGraph(input: PlanInput): CompositeGraph {
  const { prepared, ids, mapping: m, apiVersion, graphId } = input;
  const linkCustomer = input.linkCustomer ?? true;
  const h = prepared.handoff;
  const d = prepared.decision;
  const L = m.lengths;
  const base = `/services/data/v${apiVersion}/sobjects`;
  const nodes: GraphNode[] = [];
  const handoffId = fitExact(h.handoffId, Math.min(L['case.handoffId'], L['handoff.handoffId']), 'handoffId');
  const existingCaseId = h.operational.existingCaseId;
  const summaryText = tenSecondSummary(h, d);

  if (d.skills.length > m.routing.maxSkills) {
    throw new AppError({
      code: 'TOO_MANY_SKILLS',
      status: 422,
      message: `routing asks for ${d.skills.length} skills; at most ${m.routing.maxSkills} are written per handoff`,
    });
  }

  // ── Case ────────────────────────────────────────────────────────────────────────────────────────
  const C = m.case;
  const caseFields: Record<string, unknown> = {
    [C.escalationReason]: h.intent.escalation.reason,
    [C.summary]: fitSummary(summaryText, L['case.summary']),
    [C.verificationStatus]: verificationStatus(h),
    [C.urgency]: d.urgency,
    [C.sentiment]: h.conversation.sentiment?.label,
    [C.channel]: h.identity.channel,
    [C.language]: fitLanguage(h.identity.language, L['case.language']),
    [C.vulnerable]: h.operational.vulnerable,
    [C.vip]: h.operational.vip,
    [C.priority]: d.casePriority,
  };
  const route = !existingCaseId || m.routing.routeEnrichedCases;
  if (d.mode === 'queue_based' && route) {
    const queue = d.queue;
    if (!queue) throw missingId('Queue', '(none given by the routing decision)');
    const queueId = ids.queues[queue];
    if (!queueId) throw missingId('Queue', queue);
    caseFields[C.ownerId] = queueId;
  }

  let caseIdRef: string;
  if (existingCaseId) {
    // Enrichment of a case the bot named. Subject, Description, Origin and Status belong to whoever
    // opened the case and are left alone: appending to Description would need the current text (a
    // read before the write, i.e. a second call), and overwriting it would lose the earlier history.
    // The new ten-second summary goes to Handoff_Summary__c, and the Bot_Handoff__c record keeps it
    // for good. Handoff_Id__c moves to this handoff (it is the key of the latest handoff).
    // A PATCH by id answers 204 with no body, so nothing can reference it: the other nodes use the
    // literal case id. The graph is one transaction, so the Case is enriched in the same commit that
    // makes the PSR ready (routing is applied after commit). By default an enriched case is not routed
    // again (mapping.routing.routeEnrichedCases): it already has an owner or a PSR in progress.
    caseFields[C.handoffId] = handoffId;
    nodes.push({
      method: 'PATCH',
      url: `${base}/${m.objects.case}/${seg(existingCaseId)}`,
      referenceId: REF.case,
      body: withoutUndefined(caseFields),
    });
    caseIdRef = existingCaseId;
  } else {
    caseFields[C.subject] = fitSummary(
      h.conversation.summary?.issue ?? `Chatbot handoff: ${h.intent.escalation.reason}`,
      L['case.subject'],
    );
    caseFields[C.description] = fitSummary(summaryText, L['case.description']);
    caseFields[C.origin] = m.values.caseOrigin;
    caseFields[C.status] = m.values.caseStatusOnCreate;
    const customer = h.identity.customer;
    if (linkCustomer) {
      if (customer.salesforceAccountId) {
        // The bot gave the Account id. ContactId is not set: finding the person contact would need
        // a lookup (Account.PersonContactId), which is not worth a failure mode in orgs without
        // Person Accounts. When the customer number is also known, Contact is linked by it.
        caseFields[C.accountId] = customer.salesforceAccountId;
        if (customer.externalId && m.customer.linkContact) {
          caseFields[C.contactRelationship] = { [m.customer.contactExternalIdField]: customer.externalId };
        }
      } else if (customer.externalId) {
        caseFields[C.accountRelationship] = { [m.customer.accountExternalIdField]: customer.externalId };
        if (m.customer.linkContact) {
          caseFields[C.contactRelationship] = { [m.customer.contactExternalIdField]: customer.externalId };
        }
      }
    }
    nodes.push({
      method: 'PATCH',
      url: `${base}/${m.objects.case}/${C.handoffId}/${seg(handoffId)}`,
      referenceId: REF.case,
      body: withoutUndefined(caseFields),
    });
    caseIdRef = `@{${REF.case}.id}`;
  }

  nodes.push({ method: 'GET', url: `${base}/${m.objects.case}/${caseIdRef}`, referenceId: REF.caseRead });

  // ── Bot_Handoff__c ──────────────────────────────────────────────────────────────────────────────
  const H = m.handoff;
  const s = h.conversation.summary;
  const parts = splitTranscript(h.conversation.transcript, L['transcript.body']);
  const notLinked =
    !linkCustomer && Boolean(h.identity.customer.externalId || h.identity.customer.salesforceAccountId);
  const detail = [h.intent.escalation.detail, notLinked ? NOT_LINKED_NOTE : undefined]
    .filter((x): x is string => Boolean(x))
    .join('\n');
  const handoffBody: Record<string, unknown> = {
    [H.case]: caseIdRef,
    [H.sourcePlatform]: h.source.platform,
    [H.botName]:
      h.source.botName === undefined
        ? undefined
        : fitExact(h.source.botName, L['handoff.botName'], 'source.botName'),
    [H.conversationId]: fitExact(
      h.source.conversationId,
      L['handoff.conversationId'],
      'source.conversationId',
    ),
    [H.escalationReason]: h.intent.escalation.reason,
    [H.escalationDetail]: detail ? fitSummary(detail, L['handoff.escalationDetail']) : undefined,
    [H.escalationEvaluation]: evaluationJson(prepared.evaluation, L['handoff.escalationEvaluation']),
    [H.summaryIssue]: s ? fitSummary(s.issue, L['handoff.summaryIssue']) : undefined,
    [H.summaryAttempted]:
      s && s.attempted.length > 0 ? fitList(s.attempted, L['handoff.summaryAttempted']) : undefined,
    [H.summaryUnresolved]:
      s && s.unresolved.length > 0 ? fitList(s.unresolved, L['handoff.summaryUnresolved']) : undefined,
    [H.nextBestAction]: s?.nextBestAction
      ? fitSummary(s.nextBestAction, L['handoff.nextBestAction'])
      : undefined,
    [H.urgency]: d.urgency,
    [H.sentiment]: h.conversation.sentiment?.label,
    [H.sentimentScore]:
      h.conversation.sentiment?.score === undefined ? undefined : round(h.conversation.sentiment.score, 3),
    [H.channel]: h.identity.channel,
    [H.language]: fitLanguage(h.identity.language, L['handoff.language']),
    [H.customerSegment]:
      h.identity.customer.segment === undefined
        ? undefined
        : fitExact(h.identity.customer.segment, L['handoff.customerSegment'], 'identity.customer.segment'),
    [H.maskedAccounts]:
      h.identity.maskedAccounts.length > 0
        ? fitInline(
            h.identity.maskedAccounts.map((a) => `${a.kind} ••••${a.last4}${a.label ? ` (${a.label})` : ''}`),
            L['handoff.maskedAccounts'],
          )
        : undefined,
    [H.linkedProducts]:
      h.identity.customer.linkedProducts.length > 0
        ? fitInline(h.identity.customer.linkedProducts, L['handoff.linkedProducts'], ', ')
        : undefined,
    [H.vip]: h.operational.vip,
    [H.vulnerable]: h.operational.vulnerable,
    [H.slaStartedAt]: h.operational.slaStartedAt,
    [H.routingMode]: d.mode,
    [H.routingSkills]:
      d.skills.length > 0
        ? fitInline(
            d.skills.map((k) => `${k.developerName}:${k.level}${k.additional ? ' (additional)' : ''}`),
            L['handoff.routingSkills'],
            ', ',
          )
        : undefined,
    [H.routingPriority]: d.priority,
    [H.routingQueue]:
      d.queue === null ? undefined : fitExact(d.queue, L['handoff.routingQueue'], 'decision.queue'),
    [H.caseType]:
      h.operational.caseType === undefined
        ? undefined
        : fitExact(h.operational.caseType, L['handoff.caseType'], 'operational.caseType'),
    [H.caseSubcategory]:
      h.operational.caseSubcategory === undefined
        ? undefined
        : fitExact(
            h.operational.caseSubcategory,
            L['handoff.caseSubcategory'],
            'operational.caseSubcategory',
          ),
    [H.collectedFields]: fitJsonRecord(h.operational.collectedFields, L['handoff.collectedFields']),
    [H.documentsRequested]:
      h.operational.documentsRequested.length > 0
        ? fitList(h.operational.documentsRequested, L['handoff.documentsRequested'])
        : undefined,
    [H.redactionSummary]:
      fitInline(
        prepared.redactions.map((r) => `${r.kind}:${r.count}`),
        L['handoff.redactionSummary'],
        ', ',
      ) || 'none',
    [H.transcriptTurns]: h.conversation.transcript.length,
    [H.transcriptParts]: parts.length,
    [H.receivedAt]: prepared.receivedAt,
  };
  nodes.push({
    method: 'PATCH',
    url: `${base}/${m.objects.handoff}/${H.handoffId}/${seg(handoffId)}`,
    referenceId: REF.handoff,
    body: withoutUndefined(handoffBody),
  });
  const parentRef = `@{${REF.handoff}.id}`;

  // ── Children, upserted by their keys so a replay never duplicates them ──────────────────────────
  const I = m.intent;
  h.intent.history.forEach((event, i) => {
    const seq = i + 1;
    const key = fitExact(`${handoffId}#i${seq}`, L['intent.key'], 'intent key');
    nodes.push({
      method: 'PATCH',
      url: `${base}/${m.objects.intent}/${I.key}/${seg(key)}`,
      referenceId: `intent${seq}`,
      body: withoutUndefined({
        [I.parent]: parentRef,
        [I.sequence]: seq,
        [I.name]: fitExact(event.name, L['intent.name'], `intent.history[${i}].name`),
        [I.confidence]: event.confidence === undefined ? undefined : round(event.confidence, 4),
        [I.outcome]: event.outcome,
        [I.entities]: event.entities ? fitJsonRecord(event.entities, L['intent.entities']) : undefined,
        [I.occurredAt]: event.at,
      }),
    });
  });

  const V = m.verification;
  const v = h.identity.verification;
  const vKey = fitExact(`${handoffId}#v`, L['verification.key'], 'verification key');
  nodes.push({
    method: 'PATCH',
    url: `${base}/${m.objects.verification}/${V.key}/${seg(vKey)}`,
    referenceId: 'verification',
    body: withoutUndefined({
      [V.parent]: parentRef,
      [V.verified]: v.verified,
      [V.method]: v.method,
      [V.verifiedAt]: v.verifiedAt,
      [V.scope]:
        v.scope === undefined ? undefined : fitExact(v.scope, L['verification.scope'], 'verification.scope'),
      [V.reverifyRequired]: v.reverifyRequired,
      [V.reverifyReason]:
        v.reverifyReason === undefined
          ? undefined
          : fitExact(v.reverifyReason, L['verification.reverifyReason'], 'verification.reverifyReason'),
      [V.failedAttempts]: v.failedAttempts,
    }),
  });

  const K = m.consent;
  h.identity.consents.forEach((c, i) => {
    const n = i + 1;
    const key = fitExact(`${handoffId}#c${n}`, L['consent.key'], 'consent key');
    nodes.push({
      method: 'PATCH',
      url: `${base}/${m.objects.consent}/${K.key}/${seg(key)}`,
      referenceId: `consent${n}`,
      body: withoutUndefined({
        [K.parent]: parentRef,
        [K.type]: fitExact(c.type, L['consent.type'], `identity.consents[${i}].type`),
        [K.granted]: c.granted,
        [K.capturedAt]: c.capturedAt,
        [K.wordingVersion]:
          c.wordingVersion === undefined
            ? undefined
            : fitExact(
                c.wordingVersion,
                L['consent.wordingVersion'],
                `identity.consents[${i}].wordingVersion`,
              ),
      }),
    });
  });

  const T = m.transcript;
  for (const part of parts) {
    const key = fitExact(`${handoffId}#t${part.partNumber}`, L['transcript.key'], 'transcript key');
    nodes.push({
      method: 'PATCH',
      url: `${base}/${m.objects.transcript}/${T.key}/${seg(key)}`,
      referenceId: `transcript${part.partNumber}`,
      body: {
        [T.parent]: parentRef,
        [T.partNumber]: part.partNumber,
        [T.totalParts]: parts.length,
        [T.firstTurn]: part.firstTurn,
        [T.lastTurn]: part.lastTurn,
        [T.body]: part.body,
      },
    });
  }

  // ── Omni-Channel: PSR, SkillRequirements chained, then ready ────────────────────────────────────
  if (d.mode === 'skills_based' && route) {
    const anyAdditional = d.skills.some((k) => k.additional);
    nodes.push({
      method: 'POST',
      url: `${base}/${m.objects.psr}`,
      referenceId: REF.psr,
      body: withoutUndefined({
        WorkItemId: caseIdRef,
        ServiceChannelId: ids.serviceChannelId,
        IsReadyForRouting: false,
        RoutingType: 'SkillsBased',
        RoutingModel: m.routing.routingModel,
        RoutingPriority: d.priority,
        CapacityWeight: m.routing.capacityWeight,
        DropAdditionalSkillsTimeout: anyAdditional
          ? (d.dropAdditionalSkillsTimeout ?? m.routing.dropAdditionalSkillsTimeout)
          : undefined,
      }),
    });
    // Each SkillRequirement takes its RelatedRecordId from the previous one's read-back, so they run
    // one after another and the final PATCH (which makes the PSR read-only) runs after the last one.
    let psrRef = `@{${REF.psr}.id}`;
    d.skills.forEach((skill, i) => {
      const n = i + 1;
      const skillId = ids.skills[skill.developerName];
      if (!skillId) throw missingId('Skill', skill.developerName);
      nodes.push({
        method: 'POST',
        url: `${base}/${m.objects.skillRequirement}`,
        referenceId: `sr${n}`,
        body: {
          RelatedRecordId: psrRef,
          SkillId: skillId,
          SkillLevel: skill.level,
          IsAdditionalSkill: skill.additional,
        },
      });
      nodes.push({
        method: 'GET',
        url: `${base}/${m.objects.skillRequirement}/@{sr${n}.id}`,
        referenceId: `sr${n}get`,
      });
      psrRef = `@{sr${n}get.RelatedRecordId}`;
    });
    nodes.push({
      method: 'PATCH',
      url: `${base}/${m.objects.psr}/${psrRef}`,
      referenceId: REF.ready,
      body: { IsReadyForRouting: true },
    });
  }

  if (nodes.length > GRAPH_LIMITS.nodesPerGraph) {
    throw new AppError({
      code: 'HANDOFF_TOO_LARGE',
      status: 422,
      message: `the handoff needs ${nodes.length} Salesforce writes (transcript parts ${parts.length}, intents ${h.intent.history.length}); one graph holds ${GRAPH_LIMITS.nodesPerGraph}`,
      actions: ['Send a shorter transcript or intent history'],
    });
  }
  return { graphId, compositeRequest: nodes };
}

/** Depth of a graph: the longest chain of `@{ref}` dependencies, counting nodes. */
export function graphDepth(graph: CompositeGraph): number {
  const depth = new Map<string, number>();
  for (const node of graph.compositeRequest) {
    const refs = [
      ...JSON.stringify({ u: node.url, b: node.body ?? null }).matchAll(/@\{([A-Za-z0-9_]+)\./g),
    ].map((x) => x[1] ?? '');
    const d = 1 + Math.max(0, ...refs.map((r) => depth.get(r) ?? 0));
    depth.set(node.referenceId, d);
  }
  return Math.max(0, ...depth.values());
}

/** Node type for the payload limit: method + object (+ version). */
export function nodeTypes(graph: CompositeGraph): Set<string> {
  const types = new Set<string>();
  for (const node of graph.compositeRequest) {
    const match = /^\/services\/data\/(v[0-9.]+)\/sobjects\/([^/]+)/.exec(node.url);
    types.add(`${match?.[1] ?? ''} ${node.method} ${match?.[2] ?? node.url}`);
  }
  return types;
}
