/**
 * What may reach a log line. Values under secret-looking keys are replaced whole; every other string
 * goes through src/redact's scrubText (cards, national ids, account numbers, …) and loses anything
 * shaped like a bearer token, a JWT or a PEM key.
 */
import { scrubText } from '../redact';

export const REDACTED = '[redacted]';

/** Keys whose values never reach a log line, whatever they hold. */
const SECRET_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key)$|token|secret|passw(or)?d|private[-_]?key|privatekey|assertion|signature|api[-_]?key|credential|connection[-_]?string|^pem$|^jwk$/i;

const JWT = /\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
const PEM = /-----BEGIN [A-Z ]+-----[\s\S]*?(-----END [A-Z ]+-----|$)/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi;

const MAX_DEPTH = 6;
const MAX_STRING = 4000;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function scrubString(s: string): string {
  const clipped = s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}…` : s;
  // Each replacement is skipped where its pattern cannot match: a PEM block needs "-----BEGIN ", a
  // JWT "eyJ", URL credentials and e-mail addresses "@" (no replacement adds one where there was none).
  let masked = clipped;
  if (masked.includes('-----BEGIN ')) masked = masked.replace(PEM, REDACTED);
  if (masked.includes('eyJ')) masked = masked.replace(JWT, '[jwt]');
  masked = masked.replace(BEARER, '$1 [redacted]');
  if (masked.includes('@')) {
    masked = masked.replace(URL_CREDENTIALS, '$1[redacted]@').replace(EMAIL, '[email]');
  }
  return scrubText(masked);
}

/** A scrubbed copy of any value (objects and arrays copied, depth-limited). */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[deep]';
  if (value instanceof Error) {
    return { name: value.name, message: scrubString(value.message) };
  }
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrubValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[scrubString(k)] = isSecretKey(k) ? REDACTED : scrubValue(v, depth + 1);
  }
  return out;
}
