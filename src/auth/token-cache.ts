/**
 * A small cache of bot tokens that passed full verification, so a bot that reuses one token for its
 * lifetime is not RS256-verified on every request.
 *
 * - Keyed by the SHA-256 of the exact token string: a different token (another signature, one more
 *   character) is never served from the cache, and no usable token is kept in memory.
 * - An entry answers only while the time checks it passed still hold (exp, nbf, the maximum lifetime),
 *   computed again on every hit with the same tolerance; the caller re-verifies anything else.
 * - An entry verified with a key from a remote key set carries that set (`keySet`); the caller serves
 *   it only while the same set is current, so a rotated or refreshed key set ends it.
 * - Bounded: least recently used entries go first, so a flood of distinct tokens cannot grow memory.
 */
import { hash } from 'node:crypto';

export interface CachedToken<P> {
  /** What the verification answered (copied out on every hit). */
  readonly principal: P;
  /** `exp` claim, seconds since the epoch (required). */
  readonly exp: number;
  /** `nbf` claim, when the token has one. */
  readonly nbf?: number;
  /** The remote key set the verifying key came from, or null for a configured key or secret. */
  readonly keySet: object | null;
}

export const DEFAULT_TOKEN_CACHE_SIZE = 1000;

export function tokenCacheKey(token: string): string {
  // crypto.hash: the one-shot form, without a Hash object per call.
  return hash('sha256', token, 'base64url');
}

export class VerifiedTokenCache<P> {
  private readonly entries = new Map<string, CachedToken<P>>();

  constructor(readonly maxEntries: number = DEFAULT_TOKEN_CACHE_SIZE) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry for a key, marked as most recently used; undefined when there is none. */
  get(key: string): CachedToken<P> | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, entry: CachedToken<P>): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, entry);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
