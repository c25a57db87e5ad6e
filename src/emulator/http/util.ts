import { randomBytes } from 'node:crypto';

/** A small deterministic PRNG (mulberry32): the same seed gives the same sequence. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 3-character case-safe suffix that turns a 15-character id into an 18-character one. */
export function idSuffix(id15: string): string {
  let out = '';
  for (let block = 0; block < 3; block++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const ch = id15.charAt(block * 5 + i);
      if (ch >= 'A' && ch <= 'Z') bits |= 1 << i;
    }
    out += SUFFIX.charAt(bits);
  }
  return out;
}

/** A random Salesforce-shaped id with the given 3-character key prefix (15 characters, or 18 when `long`). */
export function randomSfId(prefix: string, long = true): string {
  const bytes = randomBytes(12);
  let body = '';
  for (const b of bytes) body += BASE62.charAt(b % 62);
  const id15 = (prefix + '0' + body).slice(0, 15);
  return long ? id15 + idSuffix(id15) : id15;
}

/**
 * Orders work items that carry dependencies. `deps[i]` lists the indexes item i must run after.
 * Items that do not depend on each other carry no promise of order, so this deliberately avoids
 * the listed order: it picks among the ready items with the seeded PRNG, and if that still yields
 * the listed order while another valid order exists, it prefers the latest-listed ready item
 * instead. Returns the indexes in execution order, or null when the dependencies have a cycle.
 */
export function scheduleOrder(count: number, deps: number[][], rng: () => number): number[] | null {
  const attempt = (pick: (ready: number[]) => number): number[] | null => {
    const remaining = deps.map((d) => new Set(d));
    const done = new Set<number>();
    const order: number[] = [];
    while (order.length < count) {
      const ready: number[] = [];
      for (let i = 0; i < count; i++) {
        if (done.has(i)) continue;
        let ok = true;
        for (const d of remaining[i] ?? []) if (!done.has(d)) ok = false;
        if (ok) ready.push(i);
      }
      if (ready.length === 0) return null;
      const next = pick(ready);
      done.add(next);
      order.push(next);
    }
    return order;
  };
  const shuffled = attempt((ready) => ready[Math.floor(rng() * ready.length)] ?? (ready[0] as number));
  if (!shuffled) return null;
  const listed = shuffled.every((v, i) => v === i);
  if (!listed) return shuffled;
  return attempt((ready) => ready[ready.length - 1] as number);
}
