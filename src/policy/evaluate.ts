/**
 * Evaluates the escalation policy over a conversation state. Every enabled rule is checked (no short
 * circuit), so the evaluation lists every rule that fired and why, for the agent and the auditor.
 */
import type { EscalationReason } from '../contract/handoff';
import type { EscalationEvaluation, FiredRule } from '../contract/routing';
import type { ConversationState } from './conversation-state';
import type { PolicyConfig, PolicyRule } from './policy-config';
import {
  amountOf,
  compilePhraseSet,
  findInPhraseSet,
  matchesPattern,
  normalizedSetting,
  normalizeText,
} from './text';

type RuleOf<T extends PolicyRule['type']> = Extract<PolicyRule, { type: T }>;

/** What one evaluation computes once and every rule may read. */
interface Evaluation {
  readonly now: Date;
  /** The customer's messages, normalised once per evaluation (not per rule, language or phrase). */
  normalizedMessages(): readonly string[];
}

/** Why a rule fired, or undefined when it did not. */
type Check<T extends PolicyRule['type']> = (
  rule: RuleOf<T>,
  state: ConversationState,
  ev: Evaluation,
) => string | undefined;

const DEFAULT_REASON: Record<PolicyRule['type'], EscalationReason> = {
  low_confidence: 'low_confidence',
  fallback_loop: 'fallback_loop',
  missing_critical_entity: 'missing_information',
  negative_sentiment: 'negative_sentiment',
  customer_requested_agent: 'customer_requested_agent',
  regulated_intent: 'regulated_intent',
  high_value: 'high_value',
  no_progress: 'sla_breach',
  failed_authentication: 'failed_authentication',
  repeated_transfer: 'repeated_transfer',
};

function quote(s: string, max = 80): string {
  const t = s.length > max ? `${s.slice(0, max - 1)}…` : s;
  return `"${t}"`;
}

const lowConfidence: Check<'low_confidence'> = (rule, state) => {
  let run: { name: string; confidence: number }[] = [];
  let longest: typeof run = [];
  for (const intent of state.intents) {
    if (intent.confidence === undefined) continue; // fallbacks without a score are the fallback rule's
    if (intent.confidence < rule.below) {
      run.push({ name: intent.name, confidence: intent.confidence });
      if (run.length > longest.length) longest = [...run];
    } else {
      run = [];
    }
  }
  if (longest.length < rule.consecutive) return undefined;
  const list = longest.map((i) => `${i.name} ${i.confidence.toFixed(2)}`).join(', ');
  return `${longest.length} intents in a row with confidence below ${rule.below} (${list})`;
};

function isFallback(rule: RuleOf<'fallback_loop'>, intent: ConversationState['intents'][number]): boolean {
  return (
    intent.outcome === 'fallback' || rule.fallbackIntentPatterns.some((p) => matchesPattern(intent.name, p))
  );
}

const fallbackLoop: Check<'fallback_loop'> = (rule, state) => {
  const count = state.intents.filter((i) => isFallback(rule, i)).length;
  if (count <= rule.maxFallbacks) return undefined;
  return `the bot did not understand the customer ${count} times (more than ${rule.maxFallbacks})`;
};

function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
}

const missingCriticalEntity: Check<'missing_critical_entity'> = (rule, state) => {
  const problems: string[] = [];
  for (const entity of rule.entities) {
    const captured =
      !isMissing(state.collectedFields[entity]) || state.intents.some((i) => !isMissing(i.entities[entity]));
    if (captured) continue;
    const requests = state.intents.filter(
      (i) => entity in i.entities && isMissing(i.entities[entity]),
    ).length;
    if (requests >= rule.afterRequests) problems.push(`${entity} (asked ${requests}×)`);
  }
  if (problems.length === 0) return undefined;
  return `critical information still missing after the bot asked for it: ${problems.join(', ')}`;
};

/** The first message (oldest first) holding a phrase, and the first such phrase in language order. */
function firstPhraseIn(
  state: ConversationState,
  ev: Evaluation,
  phrases: Record<string, string[]>,
): { phrase: string; language: string; text: string } | undefined {
  const messages = state.customerMessages;
  if (messages.length === 0) return undefined;
  const set = compilePhraseSet(phrases);
  if (set.anyNeedle === null) return undefined;
  const normalized = ev.normalizedMessages();
  for (let i = 0; i < messages.length; i++) {
    const hit = findInPhraseSet(normalized[i] ?? '', set);
    if (hit !== undefined) return { ...hit, text: messages[i]?.text ?? '' };
  }
  return undefined;
}

const negativeSentiment: Check<'negative_sentiment'> = (rule, state, ev) => {
  const why: string[] = [];
  const score = state.sentiment?.score;
  if (score !== undefined && score <= rule.scoreAtOrBelow) {
    why.push(`sentiment score ${score} is at or below ${rule.scoreAtOrBelow}`);
  } else if (score === undefined && rule.negativeLabel && state.sentiment?.label === 'negative') {
    why.push('the bot reports negative sentiment');
  }
  const hit = firstPhraseIn(state, ev, rule.frustrationPhrases);
  if (hit) why.push(`the customer wrote a frustration phrase (${hit.language}: ${quote(hit.phrase)})`);
  return why.length === 0 ? undefined : why.join('; ');
};

const customerRequestedAgent: Check<'customer_requested_agent'> = (rule, state, ev) => {
  const why: string[] = [];
  const intent = state.intents.find((i) => rule.intentPatterns.some((p) => matchesPattern(i.name, p)));
  if (intent) why.push(`intent ${quote(intent.name)} asks for a person`);
  const hit = firstPhraseIn(state, ev, rule.phrases);
  if (hit) why.push(`the customer asked for a person (${hit.language}: ${quote(hit.phrase)})`);
  return why.length === 0 ? undefined : why.join('; ');
};

const regulatedIntent: Check<'regulated_intent'> = (rule, state) => {
  const hits: string[] = [];
  for (const category of rule.categories) {
    const intent = state.intents.find((i) => matchesPattern(i.name, category.pattern));
    if (intent) hits.push(`${category.name} (intent ${quote(intent.name)})`);
  }
  return hits.length === 0 ? undefined : `regulated subject needs a person: ${hits.join(', ')}`;
};

const highValue: Check<'high_value'> = (rule, state) => {
  const why: string[] = [];
  const sources: Record<string, unknown>[] = [state.collectedFields, ...state.intents.map((i) => i.entities)];
  let top: { entity: string; amount: number } | undefined;
  for (const source of sources) {
    for (const entity of rule.amountEntities) {
      const amount = amountOf(source[entity]);
      if (amount !== undefined && amount > rule.amountAbove && (!top || amount > top.amount)) {
        top = { entity, amount };
      }
    }
  }
  if (top) why.push(`${top.entity} ${top.amount} is above ${rule.amountAbove}`);
  const segment = state.segment ? normalizeText(state.segment) : undefined;
  if (segment && rule.vipSegments.some((s) => normalizedSetting(s) === segment)) {
    why.push(`customer segment ${quote(state.segment ?? '')} is a VIP segment`);
  } else if (rule.vipFlag && state.vip) {
    why.push('the customer is flagged VIP');
  }
  return why.length === 0 ? undefined : why.join('; ');
};

function isProgress(intent: ConversationState['intents'][number], seen: Set<string>): boolean {
  let newEntity = false;
  for (const [k, v] of Object.entries(intent.entities)) {
    if (!isMissing(v) && !seen.has(k)) {
      seen.add(k);
      newEntity = true;
    }
  }
  return intent.outcome === 'resolved' || newEntity;
}

const noProgress: Check<'no_progress'> = (rule, state, ev) => {
  if (!state.startedAt) return undefined;
  const now = ev.now;
  let lastProgress = Date.parse(state.startedAt);
  const seen = new Set<string>();
  for (const intent of state.intents) {
    if (isProgress(intent, seen) && intent.at !== undefined) {
      lastProgress = Math.max(lastProgress, Date.parse(intent.at));
    }
  }
  // Measured to the latest activity (or now, if earlier): a handoff evaluated late must not look stuck.
  const last = state.lastActivityAt
    ? Math.min(Date.parse(state.lastActivityAt), now.getTime())
    : now.getTime();
  const seconds = Math.round((last - lastProgress) / 1000);
  if (seconds <= rule.maxSeconds) return undefined;
  return `${seconds} s in the bot without progress (more than ${rule.maxSeconds} s) since ${new Date(lastProgress).toISOString()}`;
};

const failedAuthentication: Check<'failed_authentication'> = (rule, state) => {
  const n = state.verification.failedAttempts;
  if (n < rule.failedAttempts) return undefined;
  return `${n} failed authentication attempts (limit ${rule.failedAttempts})`;
};

const repeatedTransfer: Check<'repeated_transfer'> = (rule, state) => {
  if (state.transfers < rule.transfers) return undefined;
  return `transfer number ${state.transfers} without resolution (from ${rule.transfers} on, to a senior agent)`;
};

function check(rule: PolicyRule, state: ConversationState, ev: Evaluation): string | undefined {
  switch (rule.type) {
    case 'low_confidence':
      return lowConfidence(rule, state, ev);
    case 'fallback_loop':
      return fallbackLoop(rule, state, ev);
    case 'missing_critical_entity':
      return missingCriticalEntity(rule, state, ev);
    case 'negative_sentiment':
      return negativeSentiment(rule, state, ev);
    case 'customer_requested_agent':
      return customerRequestedAgent(rule, state, ev);
    case 'regulated_intent':
      return regulatedIntent(rule, state, ev);
    case 'high_value':
      return highValue(rule, state, ev);
    case 'no_progress':
      return noProgress(rule, state, ev);
    case 'failed_authentication':
      return failedAuthentication(rule, state, ev);
    case 'repeated_transfer':
      return repeatedTransfer(rule, state, ev);
  }
}

/** Every enabled rule that fires, in policy order; `handoff` is true when at least one fired. */
export function evaluateEscalation(
  state: ConversationState,
  policy: PolicyConfig,
  now: Date,
): EscalationEvaluation {
  const fired: FiredRule[] = [];
  let normalized: string[] | undefined;
  const ev: Evaluation = {
    now,
    normalizedMessages: () => (normalized ??= state.customerMessages.map((m) => normalizeText(m.text))),
  };
  for (const rule of policy.rules) {
    if (!rule.enabled) continue;
    const reason = check(rule, state, ev);
    if (reason !== undefined) {
      fired.push({
        rule: rule.name,
        reason,
        escalationReason: rule.escalationReason ?? DEFAULT_REASON[rule.type],
      });
    }
  }
  return { handoff: fired.length > 0, fired, policyVersion: policy.version, evaluatedAt: now.toISOString() };
}
