/**
 * Salesforce record ids: a 3-character key prefix, a 12-character body (15 characters, case-sensitive)
 * and a 3-character case-safe suffix that makes the 18-character form unambiguous when case is lost.
 *
 * Suffix: split the 15-character id into three 5-character chunks; in each chunk, character i (0-based)
 * contributes bit 2^i when it is an uppercase letter A–Z; each 5-bit number indexes
 * `ABCDEFGHIJKLMNOPQRSTUVWXYZ012345`.
 */

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID15 = /^[0-9A-Za-z]{15}$/;
const ID18 = /^[0-9A-Za-z]{15}[A-Z0-5]{3}$/;

/** The 3-character case-safe suffix of a 15-character id. */
export function checksumSuffix(id15: string): string {
  if (!ID15.test(id15)) throw new Error(`not a 15-character id: ${id15}`);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[bits] ?? '';
  }
  return suffix;
}

/** 15 → 18 characters (an 18-character id is returned as is when its suffix is right). */
export function toId18(id: string): string {
  const id15 = id.slice(0, 15);
  return id15 + checksumSuffix(id15);
}

/**
 * Normalises an id given on input (15 or 18 characters) to its 18-character form, or returns null when
 * it is not a well-formed id: wrong length, characters outside [0-9A-Za-z], or an 18-character id whose
 * suffix does not match its first 15 characters. The suffix comparison ignores case, as Salesforce does.
 */
export function normalizeId(id: unknown): string | null {
  if (typeof id !== 'string') return null;
  if (id.length === 15) return ID15.test(id) ? toId18(id) : null;
  if (id.length === 18) {
    const upper = id.slice(0, 15) + id.slice(15).toUpperCase();
    if (!ID18.test(upper)) return null;
    const expected = toId18(id);
    return expected === upper ? expected : null;
  }
  return null;
}

/** The key prefix (first 3 characters) of an id. */
export function keyPrefixOf(id: string): string {
  return id.slice(0, 3);
}

/**
 * Makes new ids. The body after the key prefix imitates a real one: a 2-character pod/instance part
 * (`5g`-style), a reserved `0` and a base-62 counter, so ids sort in creation order within an object
 * the way real ones roughly do, and the 18-character form always carries the right suffix.
 */
export class IdGenerator {
  private readonly counters = new Map<string, number>();

  constructor(private readonly instance = 'Dx') {
    if (!/^[0-9A-Za-z]{2}$/.test(instance)) throw new Error('instance must be 2 alphanumerics');
  }

  next(keyPrefix: string): string {
    if (!/^[0-9A-Za-z]{3}$/.test(keyPrefix)) throw new Error(`bad key prefix: ${keyPrefix}`);
    const n = (this.counters.get(keyPrefix) ?? 0) + 1;
    this.counters.set(keyPrefix, n);
    return toId18(keyPrefix + this.instance + '0' + base62(n, 9));
  }

  /** Counter state, for snapshots. */
  state(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  load(state: Record<string, number>): void {
    this.counters.clear();
    for (const [k, v] of Object.entries(state)) this.counters.set(k, v);
  }
}

function base62(n: number, width: number): string {
  let s = '';
  let v = n;
  while (v > 0) {
    s = (BASE62[v % 62] ?? '0') + s;
    v = Math.floor(v / 62);
  }
  return s.padStart(width, '0');
}
