/** Text helpers the policy rules share: accent- and case-insensitive phrase matching. */

const NOT_ASCII = /[\u0080-\uffff]/;

/** Lower case, accents removed, runs of white space collapsed, typographic apostrophes made plain. */
export function normalizeText(s: string): string {
  // ASCII text has nothing to decompose, no combining marks and no typographic apostrophes.
  if (!NOT_ASCII.test(s)) return s.toLowerCase().replace(/\s+/g, ' ').trim();
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
 * Phrases and patterns have a map each, keyed by the configured string itself: a lookup builds no key
 * string, and the configured strings are the same objects on every call, so their hashes are cached.
 */
const COMPILED_MAX = 2000;

/** A configured phrase, normalised, with its whole-word expression. */
export interface CompiledPhrase {
  readonly phrase: string;
  /** The normalised phrase: the expression can only match where this occurs as a substring. */
  readonly needle: string;
  readonly expression: RegExp;
}

const phraseCache = new Map<string, CompiledPhrase | null>();
const patternCache = new Map<string, RegExp>();

/** `build(key)`, computed once per key; the cache is emptied when it reaches COMPILED_MAX keys. */
function once<V>(cache: Map<string, V>, key: string, build: (key: string) => V): V {
  let v = cache.get(key);
  if (v === undefined && !cache.has(key)) {
    v = build(key);
    if (cache.size >= COMPILED_MAX) cache.clear();
    cache.set(key, v);
  }
  return v as V;
}

/** The compiled phrase, or null when the phrase normalises to nothing (it never matches). */
function compiledPhrase(phrase: string): CompiledPhrase | null {
  return once(phraseCache, phrase, () => {
    const needle = normalizeText(phrase);
    return needle.length === 0
      ? null
      : {
          phrase,
          needle,
          expression: new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(needle)}(?![\\p{L}\\p{N}])`, 'u'),
        };
  });
}

/** The phrases of a list that can match, compiled, in list order (compile a list once per evaluation). */
export function compilePhrases(list: readonly string[]): CompiledPhrase[] {
  const out: CompiledPhrase[] = [];
  for (const phrase of list) {
    const c = compiledPhrase(phrase);
    if (c !== null) out.push(c);
  }
  return out;
}

/**
 * The first phrase (in list order) found as whole words in `haystack`, which must already be
 * normalised (`normalizeText`), so a message is normalised once however many phrases it is checked
 * against. A phrase whose normalised text is not even a substring cannot match, so the expression is
 * only run where it can.
 */
export function findCompiledPhrase(haystack: string, list: readonly CompiledPhrase[]): string | undefined {
  for (const c of list) {
    if (haystack.includes(c.needle) && c.expression.test(haystack)) return c.phrase;
  }
  return undefined;
}

/** Phrases by language (a rule's configuration), compiled once. */
export interface CompiledPhraseSet {
  /** In the configuration's order: languages as Object.entries lists them, phrases in list order. */
  readonly languages: readonly { readonly language: string; readonly phrases: readonly CompiledPhrase[] }[];
  /**
   * Finds any phrase's needle anywhere in a normalised text; a phrase can only match where its
   * needle occurs, so a text it does not match holds none of the phrases. Null: no phrase can match.
   */
  readonly anyNeedle: RegExp | null;
}

interface PhraseSetEntry {
  /** What the set was compiled from: each language, its list (the same array) and its phrases. */
  readonly from: readonly { language: string; list: readonly string[]; phrases: readonly string[] }[];
  readonly set: CompiledPhraseSet;
}

/** Keyed by the configuration's own object, checked against what it held when compiled. */
const phraseSets = new WeakMap<object, PhraseSetEntry>();

function stillCompiledFrom(
  entry: PhraseSetEntry,
  byLanguage: Readonly<Record<string, readonly string[]>>,
): boolean {
  const languages = Object.keys(byLanguage);
  if (languages.length !== entry.from.length) return false;
  for (let i = 0; i < languages.length; i++) {
    const was = entry.from[i];
    const language = languages[i] as string;
    const list = byLanguage[language];
    if (was === undefined || was.language !== language || was.list !== list || list === undefined)
      return false;
    if (list.length !== was.phrases.length) return false;
    for (let j = 0; j < list.length; j++) if (list[j] !== was.phrases[j]) return false;
  }
  return true;
}

/** A rule's phrases by language, compiled once for as long as the configuration holds the same phrases. */
export function compilePhraseSet(byLanguage: Readonly<Record<string, readonly string[]>>): CompiledPhraseSet {
  const cached = phraseSets.get(byLanguage);
  if (cached !== undefined && stillCompiledFrom(cached, byLanguage)) return cached.set;
  const from = Object.entries(byLanguage).map(([language, list]) => ({ language, list, phrases: [...list] }));
  const languages = from.map(({ language, phrases }) => ({ language, phrases: compilePhrases(phrases) }));
  const needles = languages.flatMap((l) => l.phrases.map((p) => escapeRegExp(p.needle)));
  const set: CompiledPhraseSet = {
    languages,
    anyNeedle: needles.length === 0 ? null : new RegExp(needles.join('|')),
  };
  phraseSets.set(byLanguage, { from, set });
  return set;
}

/**
 * The first phrase of the set found in a normalised text, trying languages in order and each
 * language's phrases in list order (as `findCompiledPhrase` per language), with its language.
 */
export function findInPhraseSet(
  haystack: string,
  set: CompiledPhraseSet,
): { phrase: string; language: string } | undefined {
  if (set.anyNeedle === null || !set.anyNeedle.test(haystack)) return undefined;
  for (const { language, phrases } of set.languages) {
    const phrase = findCompiledPhrase(haystack, phrases);
    if (phrase !== undefined) return { phrase, language };
  }
  return undefined;
}

const settingCache = new Map<string, string>();

/**
 * `normalizeText` of a configured value (a segment name, …), computed once per value rather than on
 * every evaluation. Only for configuration: a bounded set of strings, held by the configuration.
 */
export function normalizedSetting(s: string): string {
  return once(settingCache, s, normalizeText);
}

/** Whether a configured pattern (a case-insensitive regular expression) matches. */
export function matchesPattern(value: string, pattern: string): boolean {
  return once(patternCache, pattern, (p) => new RegExp(p, 'i')).test(value);
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
