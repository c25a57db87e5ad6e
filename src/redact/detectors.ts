/**
 * Detectors for the personal data a bank must never send to Salesforce or write to a log: payment card
 * numbers, card security codes and PINs (only in context), national identifiers, IBANs and account
 * numbers. Each detector finds candidates with a regular expression and then confirms them (Luhn,
 * IBAN mod-97, check letters, reserved ranges) so ordinary numbers (amounts, dates, phone numbers,
 * order references) are left alone.
 *
 * Masking style, one for every kind: `[<label> ••••<last four>]`, e.g. `[card ••••4821]`. Codes that
 * are secret in full (CVV, PIN) keep no digits: `[cvv •••]`.
 */

export const REDACTION_KINDS = [
  'card_number',
  'card_security_code',
  'pin',
  'national_id',
  'iban',
  'account_number',
] as const;
export type RedactionKind = (typeof REDACTION_KINDS)[number];

export type Counts = Partial<Record<RedactionKind, number>>;

const DOTS = '••••';

function digitsOf(s: string): string {
  return s.replace(/[^0-9]/g, '');
}

function lastFour(s: string): string {
  const alnum = s.replace(/[^0-9A-Za-z]/g, '');
  return alnum.slice(-4);
}

export function luhnValid(digits: string): boolean {
  if (!/^[0-9]+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const v of value) remainder = (remainder * 10 + (v.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

function spanishIdValid(raw: string): boolean {
  const s = raw.toUpperCase();
  let numeric: string;
  if (/^[XYZ][0-9]{7}[A-Z]$/.test(s)) {
    numeric = String('XYZ'.indexOf(s[0] ?? 'X')) + s.slice(1, 8);
  } else if (/^[0-9]{8}[A-Z]$/.test(s)) {
    numeric = s.slice(0, 8);
  } else {
    return false;
  }
  return DNI_LETTERS[Number(numeric) % 23] === s[8];
}

function ssnValid(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area.startsWith('9')) return false;
  if (group === '00' || serial === '0000') return false;
  return true;
}

interface Rule {
  kind: RedactionKind;
  /**
   * What any match of `pattern` needs, in ASCII digits: at least `minDigits` of them and a run of at
   * least `minRun` adjacent ones. A text with fewer cannot match, so the scan is skipped (most text
   * has no digits at all).
   */
  minDigits: number;
  minRun: number;
  pattern: RegExp;
  /** Returns the replacement, or null to leave the match as it is (not confirmed). */
  replace: (match: RegExpExecArray) => string | null;
}

// Letters allowed in a UK National Insurance number prefix (HMRC: D, F, I, Q, U, V never used; O not
// second; BG, GB, KN, NK, NT, TN, ZZ not allocated).
const NINO_BAD_PREFIXES = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);

const ACCOUNT_WORDS = String.raw`(?:account|acct|a\/c|acc)(?:\s*(?:number|num|no\.?|nr\.?|#))?|(?:sort\s*code\s*(?:and|&)\s*account(?:\s*number)?)`;

/** A gap between a context word and its value: no digits, no line breaks, no masks already applied. */
const GAP = String.raw`[^0-9\n•\[\]]{0,24}?`;

const RULES: Rule[] = [
  {
    // IBAN first: its digits could otherwise look like a card or account number.
    kind: 'iban',
    minDigits: 2, // [0-9]{2}
    minRun: 2,
    pattern: /\b([A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)\b/g,
    replace: (m) => (ibanValid(m[1] ?? '') ? `[iban ${DOTS}${lastFour(m[1] ?? '')}]` : null),
  },
  {
    // 13–19 digits, optionally grouped by single spaces or dashes; only a Luhn-valid run is a card.
    kind: 'card_number',
    minDigits: 13, // [0-9](?:[ -]?[0-9]){12,18}
    minRun: 1,
    pattern: /(?<![0-9A-Za-z-])([0-9](?:[ -]?[0-9]){12,18})(?![0-9]|-[0-9])/g,
    replace: (m) => {
      const d = digitsOf(m[1] ?? '');
      if (d.length < 13 || d.length > 19 || !luhnValid(d) || /^0+$/.test(d)) return null;
      return `[card ${DOTS}${d.slice(-4)}]`;
    },
  },
  {
    // US Social Security number, formatted 123-45-6789 (unformatted only in context, below).
    kind: 'national_id',
    minDigits: 9, // [0-9]{3}-[0-9]{2}-[0-9]{4}
    minRun: 4,
    pattern: /(?<![0-9-])([0-9]{3})-([0-9]{2})-([0-9]{4})(?![0-9-])/g,
    replace: (m) =>
      ssnValid(m[1] ?? '', m[2] ?? '', m[3] ?? '') ? `[national id ${DOTS}${m[3] ?? ''}]` : null,
  },
  {
    // US SSN written without dashes, or with spaces, after the word SSN / social security.
    kind: 'national_id',
    minDigits: 9, // [0-9]{3}[ ]?[0-9]{2}[ ]?[0-9]{4}
    minRun: 4,
    pattern: new RegExp(
      String.raw`\b(?:ssn|social\s+security(?:\s+(?:number|no\.?))?)\b${GAP}([0-9]{3})[ ]?([0-9]{2})[ ]?([0-9]{4})(?![0-9])`,
      'gi',
    ),
    replace: (m) => {
      if (!ssnValid(m[1] ?? '', m[2] ?? '', m[3] ?? '')) return null;
      const value = `${m[1] ?? ''}`;
      const start = m[0].lastIndexOf(value);
      return `${m[0].slice(0, start)}[national id ${DOTS}${m[3] ?? ''}]`;
    },
  },
  {
    // UK National Insurance number: two letters, six digits, suffix A–D (spaces allowed).
    kind: 'national_id',
    minDigits: 6, // [0-9]{2} ?[0-9]{2} ?[0-9]{2}
    minRun: 2,
    pattern: /\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?([0-9]{2}) ?([0-9]{2}) ?([0-9]{2}) ?([A-D])\b/gi,
    replace: (m) => {
      const prefix = (m[1] ?? '').toUpperCase();
      if (NINO_BAD_PREFIXES.has(prefix)) return null;
      return `[national id ${DOTS}${lastFour(m[0]).toUpperCase()}]`;
    },
  },
  {
    // Spanish DNI / NIE with its check letter (mod 23): 12345678Z, X1234567L.
    kind: 'national_id',
    minDigits: 7, // [0-9]{8}[A-Z] or [XYZ][0-9]{7}[A-Z]
    minRun: 7,
    pattern: /\b([0-9]{8}[A-Z]|[XYZ][0-9]{7}[A-Z])\b/gi,
    replace: (m) => (spanishIdValid(m[1] ?? '') ? `[national id ${DOTS}${lastFour(m[1] ?? '')}]` : null),
  },
  {
    // Canadian SIN 123-456-782 / 123 456 782 (Luhn); the plain 9-digit form only in context.
    kind: 'national_id',
    minDigits: 9, // [0-9]{3}[ -][0-9]{3}[ -][0-9]{3}
    minRun: 3,
    pattern: /(?<![0-9-])([0-9]{3})([ -])([0-9]{3})\2([0-9]{3})(?![0-9-])/g,
    replace: (m) => {
      const d = `${m[1] ?? ''}${m[3] ?? ''}${m[4] ?? ''}`;
      return luhnValid(d) && !d.startsWith('0') ? `[national id ${DOTS}${d.slice(-4)}]` : null;
    },
  },
  {
    kind: 'national_id',
    minDigits: 9, // [0-9]{9}
    minRun: 9,
    pattern: new RegExp(
      String.raw`\b(?:sin|social\s+insurance(?:\s+number)?)\b${GAP}([0-9]{9})(?![0-9])`,
      'gi',
    ),
    replace: (m) => {
      const d = m[1] ?? '';
      if (!luhnValid(d)) return null;
      return `${m[0].slice(0, m[0].length - d.length)}[national id ${DOTS}${d.slice(-4)}]`;
    },
  },
  {
    // A run of 8–17 digits (spaces/dashes allowed) after an account-ish word.
    kind: 'account_number',
    minDigits: 8, // [0-9](?:[ -]?[0-9]){7,16}
    minRun: 1,
    pattern: new RegExp(String.raw`\b(?:${ACCOUNT_WORDS})\b${GAP}([0-9](?:[ -]?[0-9]){7,16})(?![0-9])`, 'gi'),
    replace: (m) => {
      const value = m[1] ?? '';
      const d = digitsOf(value);
      if (d.length < 8 || d.length > 17) return null;
      return `${m[0].slice(0, m[0].length - value.length)}[account ${DOTS}${d.slice(-4)}]`;
    },
  },
  {
    // Card security code, only next to its name: "cvv 123", "security code: 1234".
    kind: 'card_security_code',
    minDigits: 3, // [0-9]{3,4}
    minRun: 3,
    pattern: new RegExp(
      String.raw`\b(?:cvv2?|cvc2?|cid|csc|card\s+verification\s+(?:value|code)|security\s+code)\b${GAP}([0-9]{3,4})(?![0-9])`,
      'gi',
    ),
    replace: (m) => {
      const value = m[1] ?? '';
      return `${m[0].slice(0, m[0].length - value.length)}[cvv •••]`;
    },
  },
  {
    // PIN, only next to the word: "my pin is 4821", "PIN: 123456".
    kind: 'pin',
    minDigits: 4, // [0-9]{4,6}
    minRun: 4,
    pattern: new RegExp(String.raw`\bpin(?:\s*(?:number|code|no\.?))?\b${GAP}([0-9]{4,6})(?![0-9])`, 'gi'),
    replace: (m) => {
      const value = m[1] ?? '';
      return `${m[0].slice(0, m[0].length - value.length)}[pin ••••]`;
    },
  },
];

/** How many ASCII digits a text has, and its longest run of adjacent ones. */
function digitShape(s: string): { digits: number; run: number } {
  let digits = 0;
  let run = 0;
  let current = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      current++;
      if (current > run) run = current;
    } else {
      current = 0;
    }
  }
  return { digits, run };
}

/** Redacts one string, adding what it found to `counts`. */
export function redactString(input: string, counts: Counts): string {
  let out = input;
  let shape = digitShape(out);
  // Every detector needs digits: a text without any is returned as it is, without a scan.
  if (shape.digits === 0) return out;
  for (const rule of RULES) {
    if (shape.digits < rule.minDigits || shape.run < rule.minRun) continue;
    rule.pattern.lastIndex = 0;
    let result = '';
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = rule.pattern.exec(out)) !== null) {
      const replacement = rule.replace(m);
      if (replacement === null) {
        // Not confirmed: let the scan continue one character further so an overlapping candidate
        // (e.g. a card number that starts inside a longer non-card run) is still seen.
        rule.pattern.lastIndex = m.index + 1;
        continue;
      }
      result += out.slice(last, m.index) + replacement;
      last = m.index + m[0].length;
      counts[rule.kind] = (counts[rule.kind] ?? 0) + 1;
    }
    if (last > 0) {
      // Later detectors see the masked text (as before), so its digits are counted again.
      out = result + out.slice(last);
      shape = digitShape(out);
    }
  }
  return out;
}
