/**
 * The validate step: the bot's JSON → a typed Handoff, or an AppError naming every offending field.
 * Before zod sees it, the raw value is checked for keys that could reach an object's prototype and
 * for nesting deeper than any valid handoff.
 */
import { hash } from 'node:crypto';
import type { z } from 'zod';
import { handoffRequestSchema, type Handoff } from '../contract/handoff';
import type { Caller } from '../contract/prepared';
import { AppError, type FieldProblem } from '../errors';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** A valid handoff nests 6 levels deep; anything far deeper is refused before zod walks it. */
const MAX_DEPTH = 16;
/** Problems listed in one answer; the rest are counted. */
const MAX_PROBLEMS = 100;
const MAX_KEY_IN_PATH = 60;

function segment(key: string | number): string {
  const s = String(key);
  return s.length > MAX_KEY_IN_PATH ? `${s.slice(0, MAX_KEY_IN_PATH)}…` : s;
}

/** A value still to inspect, and how it was reached (its path is only spelled out for a problem). */
interface RawFrame {
  value: object;
  key: string | undefined;
  parent: RawFrame | undefined;
  depth: number;
}

function pathOf(frame: RawFrame): string[] {
  const keys: string[] = [];
  for (let f: RawFrame | undefined = frame; f?.key !== undefined; f = f.parent) keys.push(segment(f.key));
  return keys.reverse();
}

/** Paths of forbidden keys, and whether the value nests too deeply; iterative (no stack to blow). */
function inspectRaw(raw: object): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const stack: RawFrame[] = [{ value: raw, key: undefined, parent: undefined, depth: 0 }];
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const frame = stack.pop() as RawFrame;
    if (frame.depth > MAX_DEPTH) {
      problems.push({
        path: pathOf(frame).join('.') || '(body)',
        message: `nests deeper than ${MAX_DEPTH} levels`,
      });
      continue;
    }
    const value = frame.value as Record<string, unknown>;
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        problems.push({
          path: [...pathOf(frame), segment(key)].join('.'),
          message: 'this key is not allowed',
        });
        continue;
      }
      // Only objects and arrays can hold a key or nest; anything else has nothing to inspect.
      const child = value[key];
      if (child !== null && typeof child === 'object') {
        stack.push({ value: child, key, parent: frame, depth: frame.depth + 1 });
      }
    }
  }
  return problems;
}

function issueProblems(issue: z.core.$ZodIssue): FieldProblem[] {
  const path = issue.path.map((p) => segment(typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({
      path: [...path, segment(k)].join('.'),
      message: 'is not a known field',
    }));
  }
  return [{ path: path.join('.') || '(body)', message: issue.message }];
}

export function validationError(problems: FieldProblem[]): AppError {
  const listed = problems.slice(0, MAX_PROBLEMS);
  if (problems.length > MAX_PROBLEMS) {
    listed.push({ path: '(body)', message: `${problems.length - MAX_PROBLEMS} more problems not listed` });
  }
  return new AppError({
    code: 'VALIDATION_FAILED',
    status: 400,
    message: `The handoff has ${problems.length} invalid field${problems.length === 1 ? '' : 's'}.`,
    errors: listed,
    actions: ['Fix every field listed in errors and send the handoff again; see /openapi.json.'],
  });
}

/** Parses the bot's JSON into a Handoff, or throws AppError 400 listing every problem. */
export function validateHandoff(raw: unknown): Handoff {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw validationError([{ path: '(body)', message: 'must be a JSON object' }]);
  }
  const rawProblems = inspectRaw(raw);
  if (rawProblems.length > 0) throw validationError(rawProblems);
  const parsed = handoffRequestSchema.safeParse(raw);
  if (!parsed.success) throw validationError(parsed.error.issues.flatMap(issueProblems));
  return parsed.data;
}

/**
 * The definition of canonical JSON (stored body hashes depend on it byte for byte): arrays in order,
 * object keys (own, enumerable) sorted by UTF-16 code units with undefined values left out, anything
 * else as JSON.stringify writes it, or `null`.
 */
function canonicalJsonByParts(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJsonByParts).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJsonByParts((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What sortedCopy answers for a value JSON.stringify would not write as canonicalJsonByParts does. */
const NOT_PLAIN: unique symbol = Symbol('not plain JSON data');

/**
 * A copy of plain JSON data with every object's keys inserted in sorted order, so JSON.stringify (in
 * native code) writes exactly canonicalJsonByParts's text. NOT_PLAIN where they would differ: a
 * function, symbol, bigint or undefined that would be written (JSON.stringify omits or refuses
 * them, the definition writes null), an array hole, or a key JSON.stringify would not keep in
 * insertion order (an array index such as "10": objects list those first, numerically) or that
 * cannot be copied as data (`__proto__`).
 */
function sortedCopy(value: unknown): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      return NOT_PLAIN;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i]);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      out.push(item);
    }
    return out;
  }
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of sortedKeys(obj)) {
    const v = obj[k];
    if (v === undefined) continue;
    const c = k.charCodeAt(0);
    if ((c >= 48 && c <= 57) || k === '__proto__') return NOT_PLAIN;
    const item = sortedCopy(v);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    out[k] = item;
  }
  return out;
}

/**
 * An object's own keys in the order Array.prototype.sort() gives strings (UTF-16 code units), sorted
 * in place by insertion when there are a few: a handoff's objects have a handful of keys, and the
 * built-in sort copies its array into a work area on every call (28 KB of garbage per handoff, a
 * tenth of the request path's allocation, in the bench's allocation profile). Larger objects (a
 * bot's free-form entities) take the built-in sort, which stays O(n log n).
 */
function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > k) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/** JSON with object keys sorted, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  // A validated handoff is plain data: a sorted copy written by JSON.stringify is about twice as fast
  // as building the text piece by piece, and byte-identical; anything unusual takes the definition.
  const copy = sortedCopy(value);
  return copy === NOT_PLAIN ? canonicalJsonByParts(value) : JSON.stringify(copy);
}

/** SHA-256 (hex) of the validated request (defaults applied) as canonical JSON. */
export function bodyHash(h: Handoff): string {
  // crypto.hash: the one-shot form of createHash().update().digest(), without a Hash object.
  return hash('sha256', canonicalJson(h), 'hex');
}

/** A stable key for a caller (JSON, so no two callers share one). */
export function callerKey(c: Caller): string {
  switch (c.kind) {
    case 'jwt':
      return JSON.stringify(['jwt', c.issuer, c.subject]);
    case 'jwt_subject':
      return JSON.stringify(['jwt_subject', c.subject]);
    case 'adapter':
      return JSON.stringify(['adapter', c.platform, c.principal]);
  }
}

/** 32 hex characters naming the caller inside a bodyHash. */
export function callerTag(c: Caller): string {
  return hash('sha256', `fsc-handoff caller\0${callerKey(c)}`, 'hex').slice(0, 32);
}

/**
 * The idempotency fingerprint the store compares: the body's SHA-256, bound to the caller when there
 * is one (`<body sha256>.<caller tag>`). The same body from another caller is therefore never a replay
 * of this one, and the caller can be told from the stored record (the durable store keeps bodyHash).
 */
export function boundBodyHash(h: Handoff, caller: Caller | undefined): string {
  const body = bodyHash(h);
  return caller ? `${body}.${callerTag(caller)}` : body;
}

/** The parts of a stored bodyHash; `tag` is absent for handoffs stored before callers were bound. */
export function splitBodyHash(stored: string): { body: string; tag?: string } {
  const dot = stored.indexOf('.');
  return dot < 0 ? { body: stored } : { body: stored.slice(0, dot), tag: stored.slice(dot + 1) };
}
