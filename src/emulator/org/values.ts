/** Converting a JSON value from a write body to the stored value of a field, as Salesforce validates it. */
import type { FieldDef } from '../schema/model';
import {
  badRestrictedPicklist,
  cannotDeserialize,
  invalidEmail,
  numberOutOfRange,
  stringTooLong,
} from './errors';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;
const EMAIL_RE =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/** Salesforce's datetime wire format: `2024-05-01T09:30:00.000+0000`. */
export function formatDateTime(d: Date): string {
  return d.toISOString().replace('Z', '+0000');
}

/** Parses a datetime literal (ISO 8601 with optional zone, GMT when absent) or returns null. */
export function parseDateTime(s: string): Date | null {
  const m = DATETIME_RE.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  let iso = `${y}-${mo}-${d}T${h}:${mi}:${sec ?? '00'}.${(frac ?? '0').padEnd(3, '0').slice(0, 3)}`;
  if (!zone || zone === 'Z') iso += 'Z';
  else iso += zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const date = new Date(t);
  // Reject impossible calendar values that Date would roll over (2024-02-31).
  if (!zone || zone === 'Z') {
    if (date.getUTCDate() !== Number(d) || date.getUTCMonth() + 1 !== Number(mo)) return null;
  }
  return date;
}

/**
 * A datetime literal in the stored format, or null when it is not one. Remembered by text (bounded):
 * a parse and a format per datetime field of every write add up, and clients send the same few.
 */
function storedDateTime(s: string): string | null {
  const known = storedDateTimes.get(s);
  if (known !== undefined) return known;
  const d = parseDateTime(s);
  const out = d ? formatDateTime(d) : null;
  if (storedDateTimes.size >= STORED_DATETIMES_MAX) storedDateTimes.clear();
  storedDateTimes.set(s, out);
  return out;
}

const storedDateTimes = new Map<string, string | null>();
const STORED_DATETIMES_MAX = 10_000;

export function isValidDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return (
    !Number.isNaN(d.getTime()) && d.getUTCDate() === Number(m[3]) && d.getUTCMonth() + 1 === Number(m[2])
  );
}

function toNumber(f: FieldDef, value: unknown, typeName: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  throw cannotDeserialize(typeName, value);
}

/** Rounds half away from zero to `scale` decimals. */
function roundTo(n: number, scale: number): number {
  const f = 10 ** scale;
  return (Math.sign(n) * Math.round(Math.abs(n) * f)) / f;
}

/**
 * Validates and normalises `value` for field `f`. Returns the value to store (null for empty).
 * Does not check reference targets (the org does) nor required-ness.
 */
export function coerceValue(f: FieldDef, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (f.type) {
    case 'string':
    case 'textarea':
    case 'email':
    case 'phone':
    case 'url':
    case 'picklist':
    case 'multipicklist': {
      let s: string;
      if (typeof value === 'string') s = value;
      else if (typeof value === 'number' || typeof value === 'boolean') s = String(value);
      else throw cannotDeserialize('string', value);
      if (s === '') return null;
      if (f.length > 0 && s.length > f.length) throw stringTooLong(f.label, s, f.length, f.name);
      if (f.type === 'email' && !EMAIL_RE.test(s)) throw invalidEmail(f.label, s, f.name);
      if (f.type === 'picklist' && f.restrictedPicklist) {
        if (!f.picklistValues.some((p) => p.active && p.value === s))
          throw badRestrictedPicklist(f.label, s, f.name);
      }
      if (f.type === 'multipicklist') {
        const parts = s
          .split(';')
          .map((p) => p.trim())
          .filter((p) => p !== '');
        if (f.restrictedPicklist) {
          for (const p of parts) {
            if (!f.picklistValues.some((v) => v.active && v.value === p)) {
              throw badRestrictedPicklist(f.label, p, f.name);
            }
          }
        }
        return [...new Set(parts)].join(';') || null;
      }
      return s;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') {
        const l = value.toLowerCase();
        if (l === 'true') return true;
        if (l === 'false') return false;
      }
      throw cannotDeserialize('boolean', value);
    }
    case 'int': {
      const n = toNumber(f, value, 'int');
      if (!Number.isInteger(n)) throw cannotDeserialize('int', value);
      const max = f.precision > 0 ? 10 ** f.precision : 2 ** 31;
      if (Math.abs(n) >= max) throw numberOutOfRange(f.label, value, f.name);
      return n;
    }
    case 'double':
    case 'currency':
    case 'percent': {
      const n = toNumber(f, value, 'double');
      const rounded = roundTo(n, f.scale);
      const intDigits = Math.max(0, f.precision - f.scale);
      if (f.precision > 0 && Math.abs(rounded) >= 10 ** intDigits)
        throw numberOutOfRange(f.label, value, f.name);
      return rounded;
    }
    case 'date': {
      if (typeof value !== 'string' || !isValidDate(value)) throw cannotDeserialize('date', value);
      return value;
    }
    case 'datetime': {
      if (typeof value !== 'string') throw cannotDeserialize('datetime', value);
      const stored = storedDateTime(value);
      if (stored === null) throw cannotDeserialize('datetime', value);
      return stored;
    }
    case 'reference':
    case 'id': {
      if (typeof value !== 'string') throw cannotDeserialize('id', value);
      return value === '' ? null : value;
    }
  }
}
