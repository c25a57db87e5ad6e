/**
 * A ten-second summary built from the intent history, entities and what the bot tried, for when the
 * bot gives none: the issue, verified or not, what was tried, what is unresolved, how urgent.
 */
import type { Handoff, IntentEvent, Summary, Urgency } from '../contract/handoff';
import { humanize } from './text';

/** Intents that say nothing about the customer's issue. */
const SMALL_TALK =
  /^(greet|greeting|welcome|hello|hi|goodbye|bye|thanks|thank_you|affirm|deny|default welcome intent)$/i;
const FALLBACK = /fallback|no[-_ ]?match|no[-_ ]?input|out[-_ ]?of[-_ ]?scope|did[-_ ]?not[-_ ]?understand/i;
const AGENT = /agent|human|person|escalat|handoff|hand[-_ ]off|representative|operator/i;

export const SUMMARY_TEXT_MAX = 400;

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}

function isTopical(i: IntentEvent): boolean {
  return (
    i.outcome !== 'fallback' && !SMALL_TALK.test(i.name) && !FALLBACK.test(i.name) && !AGENT.test(i.name)
  );
}

function entityText(entities: IntentEvent['entities']): string {
  const parts = Object.entries(entities ?? {})
    .filter(([, v]) => v !== null && v !== '')
    .slice(0, 4)
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${String(v)}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function urgencyOf(h: Handoff): Urgency {
  if (h.operational.priorityHint) return h.operational.priorityHint;
  if (h.operational.vulnerable) return 'high';
  if (h.conversation.sentiment?.label === 'negative' || h.operational.vip) return 'medium';
  return 'low';
}

/** The summary built from the handoff's history (ignores a summary the bot sent; see `summaryFor`). */
export function buildSummary(h: Handoff): Summary {
  const history = h.intent.history;
  const topical = history.filter(isTopical);
  const main = topical[topical.length - 1];
  const issue = main
    ? `${humanize(main.name)}${entityText(main.entities)}`
    : (h.operational.caseSubcategory ??
      h.operational.productCategory ??
      humanize(h.intent.escalation.reason));

  const attempted: string[] = [];
  for (const i of topical) {
    const label = humanize(i.name);
    const outcome =
      i.outcome === 'resolved' ? 'resolved' : i.outcome === 'abandoned' ? 'abandoned' : 'not resolved';
    const line = `${label}: ${outcome}`;
    if (!attempted.includes(line)) attempted.push(line);
  }
  const fallbacks = history.filter((i) => i.outcome === 'fallback' || FALLBACK.test(i.name)).length;
  if (fallbacks > 0) attempted.push(`Bot did not understand ${fallbacks}×`);

  const unresolved: string[] = [];
  for (const i of topical) {
    if (i.outcome !== 'resolved') {
      const line = humanize(i.name);
      if (!unresolved.includes(line)) unresolved.push(line);
    }
  }
  const missing = new Set<string>();
  const captured = new Set<string>(
    Object.entries(h.operational.collectedFields)
      .filter(([, v]) => v !== null)
      .map(([k]) => k),
  );
  for (const i of history) {
    for (const [k, v] of Object.entries(i.entities ?? {})) {
      if (v === null) missing.add(k);
      else captured.add(k);
    }
  }
  const stillMissing = [...missing].filter((k) => !captured.has(k));
  if (stillMissing.length > 0)
    unresolved.push(`Missing: ${stillMissing.map((k) => k.replace(/_/g, ' ')).join(', ')}`);

  const v = h.identity.verification;
  const nextBestAction = !v.verified
    ? 'Verify the customer before acting'
    : v.reverifyRequired
      ? `Re-verify before acting${v.reverifyReason ? `: ${v.reverifyReason}` : ''}`
      : main
        ? `Resolve: ${humanize(main.name)}`
        : undefined;

  return {
    issue: clip(issue, 255),
    attempted: attempted.slice(0, 20).map((s) => clip(s, 500)),
    unresolved: unresolved.slice(0, 20).map((s) => clip(s, 500)),
    ...(nextBestAction ? { nextBestAction: clip(nextBestAction, 255) } : {}),
    urgency: urgencyOf(h),
  };
}

/** The bot's summary when it sent one, else the built one. */
export function summaryFor(h: Handoff): Summary {
  return h.conversation.summary ?? buildSummary(h);
}

/**
 * The summary as one short text (at most 400 characters) for Case.Description / Handoff_Summary__c:
 * issue, verification, what was tried, what is unresolved, urgency.
 */
export function summaryText(summary: Summary, h: Handoff): string {
  const v = h.identity.verification;
  const verified = v.verified
    ? `Verified (${v.method})${v.reverifyRequired ? ', re-verify required' : ''}`
    : 'Not verified';
  const parts = [
    `Issue: ${clip(summary.issue, 120)}.`,
    `${verified}.`,
    summary.attempted.length > 0 ? `Tried: ${clip(summary.attempted.join('; '), 100)}.` : '',
    summary.unresolved.length > 0 ? `Unresolved: ${clip(summary.unresolved.join('; '), 100)}.` : '',
    `Urgency: ${summary.urgency}.`,
  ].filter((p) => p.length > 0);
  return clip(parts.join(' '), SUMMARY_TEXT_MAX);
}
