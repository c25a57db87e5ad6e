/** Text helpers the policy rules share: accent- and case-insensitive phrase matching. */

/** Lower case, accents removed, runs of white space collapsed, typographic apostrophes made plain. */
export function normalizeText(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[\u2018\u2019\u02BC]/g, "'")
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Expressions built from configured phrases and patterns (a bounded set), compiled once instead of per
 * message and rule. Neither flag set uses `g` or `y`, so a shared RegExp keeps no state between calls.
 */
const compiled = new Map<string, RegExp | null>();
const COMPILED_MAX = 2000;

function once<T extends RegExp | null>(key: string, build: () => T): T {
  let re = compiled.get(key) as T | undefined;
  if (re === undefined) {
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    re = build();
    compiled.set(key, re);
  }
  return re;
}

/** The whole-word expression for a phrase, or null when the phrase normalises to nothing. */
function phraseExpression(phrase: string): RegExp | null {
  return once(`phrase\u0000${phrase}`, () => {
    const needle = normalizeText(phrase);
    if (needle.length === 0) return null;
    return new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(needle)}(?![\\p{L}\\p{N}])`, 'u');
  });
}

/** The first phrase found in `text` as whole words, or undefined. */
export function findPhrase(text: string, phrases: readonly string[]): string | undefined {
  const haystack = normalizeText(text);
  return phrases.find((phrase) => phraseExpression(phrase)?.test(haystack) === true);
}

/** Whether a configured pattern (a case-insensitive regular expression) matches. */
export function matchesPattern(value: string, pattern: string): boolean {
  return once(`pattern\u0000${pattern}`, () => new RegExp(pattern, 'i')).test(value);
}

/** Whether a string compiles as a regular expression (used by the config schemas). */
export function isValidPattern(pattern: string): boolean {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
}

/** A number from an entity value: 184.5, "184.50", "12,500.00", "EUR 12 500" (undefined if none). */
export function amountOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const cleaned = value.replace(/[^\d.,-]/g, '');
  if (!/\d/.test(cleaned)) return undefined;
  let normalized = cleaned;
  const lastComma = cleaned.lastIndexOf(',');
  const lastDot = cleaned.lastIndexOf('.');
  if (lastComma > lastDot) {
    // "12.500,50" or "184,50": the comma is the decimal separator when two digits or fewer follow it.
    const decimals = cleaned.length - lastComma - 1;
    normalized = decimals <= 2 ? cleaned.replace(/\./g, '').replace(',', '.') : cleaned.replace(/,/g, '');
  } else {
    normalized = cleaned.replace(/,/g, '');
  }
  const n = Number.parseFloat(normalized);
  return Number.isFinite(n) ? n : undefined;
}

/** "card.declined_abroad" → "Card declined abroad". */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[._\-/:]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.length === 0 ? name : words.charAt(0).toUpperCase() + words.slice(1);
}
