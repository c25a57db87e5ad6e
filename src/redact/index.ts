/**
 * Redaction before anything leaves the service (Salesforce, the durable store, logs).
 *
 * `redactHandoff` walks every free-text field of a validated handoff (transcript, intent entities,
 * collected fields, summary, escalation detail, verification notes, consent and product labels, …)
 * and masks card numbers, CVV/PIN, national identifiers and account numbers. Identifiers the service
 * needs to work (handoff id, conversation id, the bank customer number, Salesforce ids, dates, enum
 * values, the callback URL) are left as they are. It reports kinds and counts, never values.
 *
 * `scrubText` is for log lines and Salesforce error messages, which echo submitted values
 * (STRING_TOO_LONG, restricted picklists, unknown foreign external ids): the echoed value is removed,
 * the field name kept, and the rest is redacted like any other text.
 */
import type { Handoff } from '../contract/handoff';
import type { RedactionCount } from '../contract/answer';
import { REDACTION_KINDS, redactString, type Counts } from './detectors';

export { luhnValid, ibanValid, redactString, REDACTION_KINDS } from './detectors';
export type { RedactionKind } from './detectors';

/**
 * Keys whose string values are identifiers, timestamps or enum values rather than free text. They are
 * never rewritten: changing the customer number or a date would break linking and validation.
 */
const NOT_FREE_TEXT = new Set([
  'handoffId',
  'conversationId',
  'externalId',
  'salesforceAccountId',
  'existingCaseId',
  'callbackUrl',
  'at',
  'verifiedAt',
  'capturedAt',
  'slaStartedAt',
  'language',
  'last4',
  'platform',
  'channel',
  'method',
  'outcome',
  'reason',
  'urgency',
  'priorityHint',
  'label',
  'from',
  'requestedSkills',
]);

/** `label` is an enum for sentiment but free text on a masked account; the parent decides. */
function isFreeText(key: string, parentKey: string | undefined): boolean {
  // Keys inside entities and collected fields are names the bot chose: every value there is free text.
  if (parentKey === 'entities' || parentKey === 'collectedFields') return true;
  if (key === 'label') return parentKey === 'maskedAccounts';
  if (key === 'reason') return parentKey !== 'escalation';
  return !NOT_FREE_TEXT.has(key);
}

function walk(value: unknown, key: string, parentKey: string | undefined, counts: Counts): unknown {
  if (typeof value === 'string') {
    return isFreeText(key, parentKey) ? redactString(value, counts) : value;
  }
  if (typeof value === 'number') {
    // A long integer in an entity or collected field (e.g. a card number sent as a JSON number).
    // Only a Luhn-valid card length, or any 8+ digit number under an account-ish key, is masked:
    // amounts are numbers too and must survive.
    if (Number.isInteger(value) && Math.abs(value) >= 1e7 && isFreeText(key, parentKey)) {
      const text = String(Math.abs(value));
      const asText = /acc(?:oun)?t|iban|a\/c/i.test(key) ? `account ${text}` : text;
      const redacted = redactString(asText, counts);
      if (redacted !== asText) return redacted.replace(/^account /, '');
    }
    return value;
  }
  // Copy on write: an array or object comes back as it is unless something under it was masked, so
  // a handoff with little to mask costs no copy of its tree (the validated handoff it is read from is
  // the service's own, and garbage once prepared).
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const next = walk(item, key, parentKey, counts);
      if (out) out.push(next);
      else if (next !== item) {
        out = value.slice(0, i);
        out.push(next);
      }
    }
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    const source = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(source)) {
      // Record keys of entities/collectedFields are names chosen by the bot, not values: keep them.
      const item = source[k];
      const next = walk(item, k, key, counts);
      if (next !== item) {
        out ??= { ...source };
        out[k] = next;
      }
    }
    return out ?? source;
  }
  return value;
}

function toList(counts: Counts): RedactionCount[] {
  const list: RedactionCount[] = [];
  for (const kind of REDACTION_KINDS) {
    const count = counts[kind];
    if (count !== undefined && count > 0) list.push({ kind, count });
  }
  return list;
}

/** Returns the handoff with personal data masked, and what was masked (kinds and counts only). */
export function redactHandoff(h: Handoff): { handoff: Handoff; redactions: RedactionCount[] } {
  const counts: Counts = {};
  const handoff = walk(h, '', undefined, counts) as Handoff;
  return { handoff, redactions: toList(counts) };
}

/** `card_number:2, national_id:1` — the Redaction_Summary__c text. */
export function formatRedactions(redactions: readonly RedactionCount[]): string {
  return redactions.map((r) => `${r.kind}:${r.count}`).join(', ');
}

const REMOVED = '[value removed]';

/**
 * Salesforce messages that echo a submitted value. Each keeps the part naming the field and replaces
 * the value. Ordered from the most to the least specific.
 */
const ECHOES: { pattern: RegExp; replace: string }[] = [
  // "Subject: data value too large: <value> (max length=255)"
  {
    pattern: /(data value too large:\s*)[\s\S]*?(\s*\(max length=\d+\))/gi,
    replace: `$1${REMOVED}$2`,
  },
  // "Urgency: bad value for restricted picklist field: <value>"
  {
    pattern: /(bad value for restricted picklist field:\s*)[^\n]*?(?=\s*(?:\]|"|$))/gim,
    replace: `$1${REMOVED}`,
  },
  // "Foreign key external ID: <value> not found for field Bank_Customer_Id__c in entity Account"
  {
    pattern: /(Foreign key external ID:\s*)[\s\S]*?(\s+not found for field\b)/gi,
    replace: `$1${REMOVED}$2`,
  },
  // "Account ID: id value of incorrect type: <value>"
  {
    pattern: /(id value of incorrect type:\s*)\S+/gi,
    replace: `$1${REMOVED}`,
  },
  // "Sentiment Score: value not of required type: <value>"
  {
    pattern: /(value not of required type:\s*)[^\n]*/gi,
    replace: `$1${REMOVED}`,
  },
  // "invalid date/time: <value>", "invalid number: <value>", "invalid email address: <value>"
  {
    pattern: /(invalid (?:date\/time|date|number|email address|boolean):\s*)[^\n]*/gi,
    replace: `$1${REMOVED}`,
  },
  // "duplicate value found: Handoff_Id__c duplicates value on record with id: <id>" keeps the id (a
  // Salesforce record id, not customer data).
];

/**
 * Any of the echo patterns, in one pass: a text none of them matches has nothing to remove (the usual
 * case), so the patterns run one by one only on a text that has an echo. 'm' for the picklist
 * pattern's end of line; the others have no anchors.
 */
const ANY_ECHO = new RegExp(ECHOES.map((e) => `(?:${e.pattern.source})`).join('|'), 'im');

/** Removes echoed values and redacts personal data from a log line or an error message. */
export function scrubText(s: string): string {
  let out = s;
  if (ANY_ECHO.test(out)) for (const echo of ECHOES) out = out.replace(echo.pattern, echo.replace);
  return redactString(out, {});
}
