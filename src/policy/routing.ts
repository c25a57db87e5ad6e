/**
 * Decides how a handoff is routed: skills (with levels, required or additional), priority, urgency,
 * or a queue. Every rule that applied is explained in `reasons`, in order.
 */
import type { Handoff, Urgency } from '../contract/handoff';
import { URGENCIES } from '../contract/handoff';
import type { EscalationEvaluation, RoutingDecision, SkillRequirementSpec } from '../contract/routing';
import type { ConversationState } from './conversation-state';
import { conversationStateFromHandoff } from './conversation-state';
import type { RoutingConfig, SkillGrant } from './routing-config';
import { matchesPattern, normalizedSetting, normalizeText } from './text';

function maxUrgency(a: Urgency, b: Urgency): Urgency {
  return URGENCIES.indexOf(a) >= URGENCIES.indexOf(b) ? a : b;
}

function describeGrant(g: SkillGrant): string {
  return `${g.skill} (level ${g.level}${g.additional ? ', additional' : ''})`;
}

function primaryLanguage(tag: string): string {
  return (tag.split('-')[0] ?? tag).toLowerCase();
}

function sameSegment(a: string | undefined, list: readonly string[]): boolean {
  if (!a) return false;
  const n = normalizeText(a);
  return list.some((s) => normalizedSetting(s) === n);
}

/** The routing decision for a conversation state (what the evaluate endpoint recommends). */
export function decideRoutingForState(
  state: ConversationState,
  evaluation: EscalationEvaluation | null,
  routing: RoutingConfig,
): RoutingDecision {
  const reasons: string[] = [];
  const fired = new Set((evaluation?.fired ?? []).map((f) => f.rule));

  // Urgency and priority.
  let urgency: Urgency = routing.defaultUrgency;
  let priorityOverride: number | undefined;
  const grants: { grant: SkillGrant; why: string }[] = [];
  if (
    routing.honourPriorityHint &&
    state.priorityHint &&
    maxUrgency(state.priorityHint, urgency) !== urgency
  ) {
    urgency = state.priorityHint;
    reasons.push(`urgency ${urgency}: the bot's priority hint`);
  }
  for (const rule of routing.priorityRules) {
    const w = rule.when;
    const applies =
      (w.vip === undefined || state.vip) &&
      (w.vulnerable === undefined || state.vulnerable) &&
      (w.segments === undefined || sameSegment(state.segment, w.segments)) &&
      (w.intentPattern === undefined ||
        state.intents.some((i) => matchesPattern(i.name, w.intentPattern ?? ''))) &&
      (w.firedRules === undefined || w.firedRules.some((r) => fired.has(r)));
    if (!applies) continue;
    urgency = maxUrgency(urgency, rule.urgency);
    if (rule.routingPriority !== undefined) {
      priorityOverride = Math.min(priorityOverride ?? rule.routingPriority, rule.routingPriority);
    }
    reasons.push(
      `priority rule "${rule.name}": urgency at least ${rule.urgency}` +
        (rule.routingPriority === undefined ? '' : `, routing priority ${rule.routingPriority}`),
    );
    for (const g of rule.skills) grants.push({ grant: g, why: `priority rule "${rule.name}"` });
  }

  const repeated =
    state.transfers >= routing.repeatedTransfer.transfers ||
    routing.repeatedTransfer.firedRules.some((r) => fired.has(r));
  if (repeated) {
    urgency = maxUrgency(urgency, routing.repeatedTransfer.urgency);
  }
  const setting = routing.urgency[urgency];
  const priority = Math.min(setting.routingPriority, priorityOverride ?? setting.routingPriority);
  const base = { priority, casePriority: setting.casePriority, urgency } as const;

  if (repeated) {
    reasons.push(
      `repeated transfer (${state.transfers} transfers without resolution): queue ${routing.repeatedTransfer.queue}`,
    );
    return { mode: 'queue_based', skills: [], ...base, queue: routing.repeatedTransfer.queue, reasons };
  }

  // Skills, most specific first: intent, product, segment, priority rules, bot's requests, language.
  const topical: { grant: SkillGrant; why: string }[] = [];
  for (const rule of routing.intentRules) {
    const intent = state.intents.findLast((i) => matchesPattern(i.name, rule.intentPattern));
    if (intent)
      for (const g of rule.skills)
        topical.push({ grant: g, why: `intent rule "${rule.name}" (${intent.name})` });
  }
  if (state.productCategory) {
    for (const rule of routing.productRules) {
      if (matchesPattern(state.productCategory, rule.productPattern)) {
        for (const g of rule.skills) {
          topical.push({ grant: g, why: `product rule "${rule.name}" (${state.productCategory})` });
        }
      }
    }
  }
  for (const rule of routing.segmentRules) {
    if (sameSegment(state.segment, rule.segments)) {
      for (const g of rule.skills)
        topical.push({ grant: g, why: `segment rule "${rule.name}" (${state.segment ?? ''})` });
    }
  }
  const known = new Set(routing.knownSkills);
  const requested: { grant: SkillGrant; why: string }[] = [];
  for (const skill of state.requestedSkills) {
    if (known.has(skill)) {
      requested.push({ grant: { skill, ...routing.requestedSkills }, why: 'requested by the bot' });
    } else {
      reasons.push(`requested skill "${skill}" ignored: not a known skill`);
    }
  }
  const language = primaryLanguage(state.language);
  const lang: { grant: SkillGrant; why: string }[] = [];
  for (const rule of routing.languageRules) {
    if (rule.language === language) {
      for (const g of rule.skills)
        lang.push({ grant: g, why: `language rule "${rule.name}" (${state.language})` });
    }
  }

  const merged = new Map<string, { spec: SkillRequirementSpec; why: string[] }>();
  for (const { grant, why } of [...topical, ...grants, ...requested, ...lang]) {
    const existing = merged.get(grant.skill);
    if (existing) {
      existing.spec.level = Math.max(existing.spec.level, grant.level);
      existing.spec.additional = existing.spec.additional && grant.additional;
      existing.why.push(why);
    } else {
      merged.set(grant.skill, {
        spec: { developerName: grant.skill, level: grant.level, additional: grant.additional },
        why: [why],
      });
    }
  }
  const all = [...merged.values()];
  const ordered = [...all.filter((s) => !s.spec.additional), ...all.filter((s) => s.spec.additional)];

  if (!ordered.some((s) => !s.spec.additional)) {
    reasons.push(`no required skill applies: queue ${routing.fallbackQueue}`);
    return { mode: 'queue_based', skills: [], ...base, queue: routing.fallbackQueue, reasons };
  }
  const kept = ordered.slice(0, routing.maxSkills);
  for (const s of kept) {
    reasons.push(`skill ${describeGrant({ skill: s.spec.developerName, ...s.spec })}: ${s.why.join('; ')}`);
  }
  for (const s of ordered.slice(routing.maxSkills)) {
    reasons.push(`skill ${s.spec.developerName} dropped: at most ${routing.maxSkills} skills`);
  }
  const skills = kept.map((s) => s.spec);
  return {
    mode: 'skills_based',
    skills,
    ...base,
    queue: null,
    ...(skills.some((s) => s.additional)
      ? { dropAdditionalSkillsTimeout: routing.dropAdditionalSkillsTimeout }
      : {}),
    reasons,
  };
}

/** How a validated handoff is routed, given its escalation evaluation. */
export function decideRouting(
  h: Handoff,
  evaluation: EscalationEvaluation | null,
  routing: RoutingConfig,
): RoutingDecision {
  return decideRoutingForState(conversationStateFromHandoff(h), evaluation, routing);
}
