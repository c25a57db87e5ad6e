/**
 * What every adapter shares: reading the configured session attributes into the identity and
 * operational layers, cleaning text, stable handoff ids, and one error for malformed platform input
 * that names the platform's own field.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import {
  CHANNELS,
  ESCALATION_REASONS,
  URGENCIES,
  VERIFICATION_METHODS,
  consentSchema,
  handoffIdSchema,
  intentEventSchema,
  salesforceId,
} from '../contract/handoff';
import type { HandoffState } from '../contract/answer';
import type { EscalationReason, HandoffRequestInput, Urgency } from '../contract/handoff';
import { AppError } from '../errors';
import type { FieldProblem } from '../errors';
import type { AdapterMapping } from './mapping';

export type SourcePlatform = 'bot_framework' | 'dialogflow_cx' | 'lex_v2' | 'rasa';
type Channel = (typeof CHANNELS)[number];
type IntentInput = NonNullable<HandoffRequestInput['intent']['history']>[number];
type TurnInput = NonNullable<NonNullable<HandoffRequestInput['conversation']>['transcript']>[number];
type EntityValue = string | number | boolean | null;

export const ADAPTER_INPUT_INVALID = 'ADAPTER_INPUT_INVALID';

/** A 400 naming every offending field of the platform's payload. */
export function invalidInput(
  platformLabel: string,
  errors: FieldProblem[],
  actions: string[] = [],
): AppError {
  const first = errors[0];
  const message =
    errors.length === 1 && first
      ? `Invalid ${platformLabel} payload: ${first.path ? `${first.path}: ` : ''}${first.message}`
      : `Invalid ${platformLabel} payload: ${errors.length} problems`;
  return new AppError({ code: ADAPTER_INPUT_INVALID, message, status: 400, errors, actions });
}

/** Problems of a zod parse, with paths prefixed by where the parsed value sits in the payload. */
export function zodProblems(error: z.ZodError, prefix = ''): FieldProblem[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter((p) => p.length > 0).join('.'),
    message: i.message,
  }));
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Text with the control characters the contract refuses removed. */
export function cleanText(s: string): string {
  return s.replace(CONTROL, '');
}

export function clip(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max);
}

export const TURN_MAX = 10000;

/**
 * A transcript turn; a message longer than one turn holds is split into consecutive turns so nothing is
 * lost (the transcript passes through intact, only cut at turn boundaries later by the plan).
 */
export function turns(at: string, from: TurnInput['from'], text: string): TurnInput[] {
  const clean = cleanText(text);
  if (clean.length === 0) return [];
  const out: TurnInput[] = [];
  for (let i = 0; i < clean.length; i += TURN_MAX) out.push({ at, from, text: clean.slice(i, i + TURN_MAX) });
  return out;
}

/** ISO 8601 (UTC) from an ISO string, epoch seconds (Rasa) or undefined (also when out of Date's range). */
export function isoTime(v: unknown, epochUnit: 'seconds' | 'milliseconds' = 'seconds'): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) {
    const d = new Date(epochUnit === 'seconds' ? v * 1000 : v);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  if (typeof v === 'string' && /^\d{9,13}(\.\d+)?$/.test(v.trim())) {
    const n = Number(v.trim());
    return isoTime(n, v.trim().split('.')[0]!.length >= 13 ? 'milliseconds' : epochUnit);
  }
  if (typeof v === 'string' && v.length > 0) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  return undefined;
}

/**
 * A stable handoff id from the platform's own identifiers, so a retried platform call is the same
 * handoff (idempotent). Long or odd ids are hashed.
 */
export function stableHandoffId(prefix: string, ...parts: string[]): string {
  const readable = [prefix, ...parts.map((p) => p.replace(/[^A-Za-z0-9._:-]/g, '-'))].join(':');
  if (handoffIdSchema.safeParse(readable).success) return readable;
  const digest = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40);
  return `${prefix}:${digest}`;
}

/** An entity / field value the contract accepts: objects become their amount or JSON text. */
export function entityValue(v: unknown): EntityValue | undefined {
  if (v === null) return null;
  if (typeof v === 'string') return clip(cleanText(v), 1000);
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.amount === 'number') return o.amount; // e.g. {amount: 1000, currency: "USD"}
    return clip(cleanText(JSON.stringify(v)), 1000);
  }
  return undefined;
}

export function entityKey(k: string): string {
  return clip(k, 100);
}

const CHANNEL_HINTS: [RegExp, Channel][] = [
  [/whatsapp/i, 'whatsapp'],
  [/sms|twilio/i, 'sms'],
  [/telephony|voice|phone|speech|audio|genesys|connect/i, 'voice'],
  [/email|mail/i, 'email'],
  [/facebook|messenger|instagram|slack|telegram|twitter|kik/i, 'social'],
  [/mobile|app/i, 'mobile_app'],
  [/directline|webchat|web|socketio|rest|test/i, 'web_chat'],
];

export function channelFromHint(hint: string | undefined, fallback: Channel): Channel {
  if (!hint) return fallback;
  if ((CHANNELS as readonly string[]).includes(hint)) return hint as Channel;
  for (const [re, channel] of CHANNEL_HINTS) if (re.test(hint)) return channel;
  return 'other';
}

/** "En-US", "en_US", "en" → "en-US", "en-US", "en"; undefined when not a language tag. */
export function languageTag(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const parts = v.trim().replace(/_/g, '-').split('-');
  const [first, ...rest] = parts;
  if (!first || !/^[a-zA-Z]{2,3}$/.test(first)) return undefined;
  if (!rest.every((p) => /^[a-zA-Z0-9]{2,8}$/.test(p)) || rest.length > 2) return undefined;
  return [first.toLowerCase(), ...rest.map((p) => (p.length === 2 ? p.toUpperCase() : p))].join('-');
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', 'yes', 'y', '1'].includes(s)) return true;
    if (['false', 'no', 'n', '0', ''].includes(s)) return false;
  }
  return undefined;
}

function jsonish(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const s = v.trim();
  if (!s.startsWith('[') && !s.startsWith('{')) return v;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return v;
  }
}

function stringList(v: unknown): string[] | undefined {
  const parsed = jsonish(v);
  if (Array.isArray(parsed)) return parsed.filter((x): x is string => typeof x === 'string');
  if (typeof parsed === 'string') {
    return parsed
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
  return undefined;
}

function normalizeIntent(e: unknown): unknown {
  const o = objectOrUndefined(e);
  if (!o) return e;
  const at = o.at === undefined ? undefined : isoTime(o.at);
  return { outcome: 'in_progress', ...o, ...(at === undefined ? {} : { at }) };
}

const SPEAKERS: Record<string, TurnInput['from']> = {
  customer: 'customer',
  user: 'customer',
  human: 'customer',
  bot: 'bot',
  assistant: 'bot',
  agent: 'agent',
  system: 'system',
};

export interface CanonicalParts {
  platform: SourcePlatform;
  /** Human label for error messages, e.g. "Dialogflow CX WebhookRequest". */
  label: string;
  handoffId: string;
  botName?: string;
  conversationId: string;
  /** Where the conversation id sits in the payload, for error paths, e.g. "sessionId". */
  conversationIdPath: string;
  /** The session attributes / parameters / slots, flat. */
  attributes: Record<string, unknown>;
  /** Where the attributes sit in the payload, for error paths, e.g. "sessionInfo.parameters". */
  attributesPath: string;
  history: IntentInput[];
  transcript: TurnInput[];
  sentiment?: { label: 'positive' | 'neutral' | 'mixed' | 'negative'; score?: number };
  channelHint?: string;
  languageHint?: string;
  /** Why the bot escalated, when the attributes do not say. */
  defaultReason: EscalationReason;
  escalationDetail: string;
  receivedAt: Date;
  /** Attribute names the adapter has used for something else (not copied to collectedFields). */
  consumed?: string[];
  extraCollected?: Record<string, EntityValue>;
}

/**
 * The canonical handoff from the parts an adapter read. Attribute values that are present but wrong are
 * reported together (400), each with the platform path of the attribute.
 */
export function buildHandoffInput(parts: CanonicalParts, mapping: AdapterMapping): HandoffRequestInput {
  const a = mapping.attributes;
  const attrs = parts.attributes;
  const problems: FieldProblem[] = [];
  const at = (name: string) => `${parts.attributesPath}.${name}`;
  const present = (name: string) => attrs[name] !== undefined && attrs[name] !== null && attrs[name] !== '';
  const str = (name: string, max: number): string | undefined => {
    if (!present(name)) return undefined;
    const v = attrs[name];
    if (typeof v !== 'string' && typeof v !== 'number') {
      problems.push({ path: at(name), message: 'must be a string' });
      return undefined;
    }
    const s = cleanText(String(v)).trim();
    if (s.length > max) {
      problems.push({ path: at(name), message: `must be at most ${max} characters` });
      return undefined;
    }
    return s.length > 0 ? s : undefined;
  };
  const flag = (name: string): boolean | undefined => {
    if (!present(name)) return undefined;
    const b = bool(attrs[name]);
    if (b === undefined) problems.push({ path: at(name), message: 'must be true or false' });
    return b;
  };
  const oneOf = <T extends string>(name: string, values: readonly T[]): T | undefined => {
    const s = str(name, 80)?.toLowerCase();
    if (s === undefined) return undefined;
    if ((values as readonly string[]).includes(s)) return s as T;
    problems.push({ path: at(name), message: `must be one of ${values.join(', ')}` });
    return undefined;
  };

  // Identity.
  const externalId = str(a.customerId, 64);
  const accountIdRaw = str(a.salesforceAccountId, 18);
  if (accountIdRaw !== undefined && !salesforceId.safeParse(accountIdRaw).success) {
    problems.push({
      path: at(a.salesforceAccountId),
      message: 'must be a 15- or 18-character Salesforce id',
    });
  }
  const name = str(a.customerName, 255);
  const segment = str(a.segment, 80);
  const linkedProducts = present(a.linkedProducts) ? (stringList(attrs[a.linkedProducts]) ?? []) : [];

  const verified = flag(a.verified) ?? false;
  const method = oneOf(a.verificationMethod, VERIFICATION_METHODS) ?? 'none';
  const verifiedAtRaw = present(a.verifiedAt) ? attrs[a.verifiedAt] : undefined;
  const verifiedAt = verifiedAtRaw === undefined ? undefined : isoTime(verifiedAtRaw);
  if (verifiedAtRaw !== undefined && verifiedAt === undefined) {
    problems.push({ path: at(a.verifiedAt), message: 'must be an ISO 8601 date-time or epoch seconds' });
  }
  if (verified && method === 'none' && !problems.some((p) => p.path === at(a.verificationMethod))) {
    problems.push({
      path: at(a.verificationMethod),
      message: `required when ${a.verified} is true (one of ${VERIFICATION_METHODS.filter((m) => m !== 'none').join(', ')})`,
    });
  }
  if (verified && verifiedAtRaw === undefined) {
    problems.push({ path: at(a.verifiedAt), message: `required when ${a.verified} is true` });
  }
  let failedAttempts = 0;
  if (present(a.failedAuthAttempts)) {
    const n = Number(attrs[a.failedAuthAttempts]);
    if (Number.isInteger(n) && n >= 0 && n <= 99) failedAttempts = n;
    else problems.push({ path: at(a.failedAuthAttempts), message: 'must be a whole number 0..99' });
  }
  const scope = str(a.verificationScope, 255);

  const consents: z.input<typeof consentSchema>[] = [];
  if (present(a.consents)) {
    const raw = jsonish(attrs[a.consents]);
    if (!Array.isArray(raw)) {
      problems.push({ path: at(a.consents), message: 'must be a JSON array of {type, granted, capturedAt}' });
    } else {
      raw.forEach((c: unknown, i) => {
        const normalized =
          c && typeof c === 'object'
            ? {
                ...(c as Record<string, unknown>),
                capturedAt: isoTime((c as Record<string, unknown>).capturedAt),
              }
            : c;
        const r = consentSchema.safeParse(normalized);
        if (r.success) consents.push(r.data);
        else problems.push(...zodProblems(r.error, `${at(a.consents)}.${i}`));
      });
    }
  }

  const channelAttr = oneOf(a.channel, CHANNELS);
  const channel = channelAttr ?? channelFromHint(parts.channelHint, mapping.defaultChannel);
  let language = languageTag(parts.languageHint) ?? languageTag(mapping.defaultLanguage) ?? 'en';
  if (present(a.language)) {
    const tag = languageTag(attrs[a.language]);
    if (tag) language = tag;
    else
      problems.push({ path: at(a.language), message: 'must be a BCP 47 language tag such as en or en-GB' });
  }

  // Operational.
  const requestedSkills = present(a.requestedSkills)
    ? (stringList(attrs[a.requestedSkills]) ?? [])
        .filter((s) => /^[A-Za-z][A-Za-z0-9_]{0,79}$/.test(s))
        .slice(0, 10)
    : [];
  const priorityHint = oneOf<Urgency>(a.priority, URGENCIES);
  const vip = flag(a.vip) ?? false;
  const vulnerable = flag(a.vulnerable) ?? false;
  const existingCaseId = str(a.existingCaseId, 18);
  if (existingCaseId !== undefined && !salesforceId.safeParse(existingCaseId).success) {
    problems.push({ path: at(a.existingCaseId), message: 'must be a 15- or 18-character Salesforce id' });
  }
  const caseType = str(a.caseType, 80);
  const productCategory = str(a.productCategory, 80);
  const reason = oneOf<EscalationReason>(a.escalationReason, ESCALATION_REASONS) ?? parts.defaultReason;
  let handoffId = parts.handoffId;
  const handoffIdAttr = str(a.handoffId, 80);
  if (handoffIdAttr !== undefined) {
    if (handoffIdSchema.safeParse(handoffIdAttr).success) handoffId = handoffIdAttr;
    else
      problems.push({ path: at(a.handoffId), message: 'must be 8-80 letters, digits, ".", "_", ":" or "-"' });
  }

  let sentiment = parts.sentiment;
  if (present(a.sentimentScore)) {
    const n = Number(attrs[a.sentimentScore]);
    if (Number.isFinite(n) && n >= -1 && n <= 1) {
      sentiment = { label: n <= -0.25 ? 'negative' : n >= 0.25 ? 'positive' : 'neutral', score: n };
    } else problems.push({ path: at(a.sentimentScore), message: 'must be a number from -1 to 1' });
  }

  // A transcript the bot keeps in an attribute (Lex has no history of its own) comes first.
  const kept: TurnInput[] = [];
  if (present(a.transcript)) {
    const raw = jsonish(attrs[a.transcript]);
    if (!Array.isArray(raw)) {
      problems.push({ path: at(a.transcript), message: 'must be a JSON array of {at?, from, text}' });
    } else {
      raw.forEach((t: unknown, i) => {
        const o = (t && typeof t === 'object' ? t : {}) as Record<string, unknown>;
        const speaker = [o.from, o.role, o.speaker].find((x): x is string => typeof x === 'string') ?? '';
        const who = SPEAKERS[speaker.toLowerCase()];
        if (!who || typeof o.text !== 'string') {
          problems.push({
            path: `${at(a.transcript)}.${i}`,
            message: 'needs text and from (customer, user, bot, agent or system)',
          });
          return;
        }
        kept.push(...turns(isoTime(o.at ?? o.timestamp) ?? parts.receivedAt.toISOString(), who, o.text));
      });
    }
  }

  // Earlier intents the bot keeps in an attribute (CX and Lex send only the current turn).
  const earlier: IntentInput[] = [];
  if (present(a.intentHistory)) {
    const raw = jsonish(attrs[a.intentHistory]);
    if (!Array.isArray(raw)) {
      problems.push({
        path: at(a.intentHistory),
        message: 'must be a JSON array of {name, confidence?, outcome?, at?}',
      });
    } else {
      raw.forEach((e: unknown, i) => {
        const r = intentEventSchema.safeParse(normalizeIntent(e));
        if (r.success) earlier.push(r.data);
        else problems.push(...zodProblems(r.error, `${at(a.intentHistory)}.${i}`));
      });
    }
  }

  const conversationId = clip(cleanText(parts.conversationId), 255);
  if (conversationId.length === 0) {
    problems.push({
      path: parts.conversationIdPath,
      message: 'must contain text, not only control characters',
    });
  }
  // Intent names are text like any other: control characters go; a name of nothing else names no intent.
  const history = [...earlier, ...parts.history]
    .map((i) => ({ ...i, name: cleanText(i.name) }))
    .filter((i) => i.name.length > 0)
    .slice(-200);

  if (problems.length > 0) {
    throw invalidInput(parts.label, problems, [
      `Set the session attributes named in the adapter configuration (${parts.attributesPath}); see docs/bots.md`,
    ]);
  }

  const consumedNames = new Set<string>([...Object.values(a), ...(parts.consumed ?? [])]);
  const collectedFields: Record<string, EntityValue> = {};
  if (mapping.collectOtherAttributes) {
    for (const [k, v] of Object.entries(attrs)) {
      if (consumedNames.has(k) || k.length > 80 || Object.keys(collectedFields).length >= 90) continue;
      if (v === null || typeof v === 'object') continue;
      const ev = entityValue(v);
      if (ev !== undefined) collectedFields[k] = ev;
    }
  }
  if (present(a.transferCount)) {
    const n = Number(attrs[a.transferCount]);
    if (Number.isInteger(n) && n >= 0) collectedFields.transfer_count = n;
  }
  Object.assign(collectedFields, parts.extraCollected ?? {});

  const botName = parts.botName ?? mapping.botName;
  return {
    handoffId,
    source: {
      platform: parts.platform,
      ...(botName ? { botName: clip(cleanText(botName), 80) } : {}),
      conversationId,
    },
    intent: {
      history,
      escalation: { reason, detail: clip(cleanText(parts.escalationDetail), 4000) },
    },
    identity: {
      customer: {
        ...(accountIdRaw ? { salesforceAccountId: accountIdRaw } : {}),
        ...(externalId ? { externalId } : {}),
        // A name without an id cannot be linked; keep the name only when there is an id.
        ...(name && (externalId || accountIdRaw) ? { name } : {}),
        ...(segment ? { segment } : {}),
        linkedProducts: linkedProducts.map((p) => clip(cleanText(p), 80)).slice(0, 20),
      },
      channel,
      language,
      verification: {
        verified,
        method,
        ...(verifiedAt ? { verifiedAt } : {}),
        ...(scope ? { scope } : {}),
        failedAttempts,
      },
      consents,
    },
    operational: {
      requestedSkills,
      ...(productCategory ? { productCategory } : {}),
      ...(priorityHint ? { priorityHint } : {}),
      vip,
      vulnerable,
      slaStartedAt: parts.receivedAt.toISOString(),
      ...(existingCaseId ? { existingCaseId } : {}),
      ...(caseType ? { caseType } : {}),
      collectedFields,
    },
    conversation: {
      transcript: [...kept, ...parts.transcript].slice(-5000),
      ...(sentiment ? { sentiment } : {}),
    },
  };
}

const AGENT_INTENT = /agent|human|person|representative|escalat|handoff|hand[-_ ]off|operator/i;
const FALLBACK_INTENT = /fallback|no[-_.]?match|no[-_.]?input|out[-_ ]?of[-_ ]?scope/i;

/** A best guess at why the bot escalated, from the last intent's name and outcome. */
export function guessReason(history: IntentInput[]): EscalationReason {
  const last = history[history.length - 1];
  if (!last) return 'other';
  if (AGENT_INTENT.test(last.name)) return 'customer_requested_agent';
  if (last.outcome === 'fallback' || FALLBACK_INTENT.test(last.name)) return 'fallback_loop';
  return 'other';
}

export function isFallbackName(name: string): boolean {
  return FALLBACK_INTENT.test(name);
}

/** Whether the handoff will not reach an agent (the bot tells the customer to try again). */
export function handoffFailed(state: HandoffState): boolean {
  return state === 'failed' || state === 'dead_lettered';
}

/** The session parameters / attributes / slots every native answer sets for the bot's later turns. */
export const ANSWER_FIELDS = {
  handoffId: 'fsc_handoff_id',
  caseNumber: 'fsc_case_number',
  status: 'fsc_handoff_status',
} as const;

/** The handoff.status / customer message for an accepted or failed handoff. */
export function customerMessage(caseNumber: string | null, failed: boolean): string {
  if (failed) return "Sorry, I couldn't reach an agent just now. Please try again in a few minutes.";
  return caseNumber
    ? `I'm connecting you with an agent now. Your reference is ${caseNumber}.`
    : "I'm connecting you with an agent now.";
}

export function objectOrUndefined(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}
