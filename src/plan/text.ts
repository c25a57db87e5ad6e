/**
 * Keeping values within their Salesforce columns. Nothing is shortened silently: summary-like text
 * gets a visible marker, JSON keeps its shape and says what it left out, and a value that must not
 * be shortened (an id, a key) is refused with a clear error.
 */
import { AppError } from '../errors';

export function truncationMarker(omitted: number): string {
  return ` … [truncated: ${omitted} more characters]`;
}

/** Text a reader can live without the end of (summaries, lists): cut with a visible marker. */
export function fitSummary(value: string, max: number): string {
  if (value.length <= max) return value;
  // The marker's own length depends on the count; two passes settle it.
  let keep = max - truncationMarker(value.length).length;
  keep = Math.max(0, keep);
  let out = value.slice(0, keep) + truncationMarker(value.length - keep);
  if (out.length > max) {
    keep = Math.max(0, max - truncationMarker(value.length - keep).length);
    out = value.slice(0, keep) + truncationMarker(value.length - keep);
  }
  return out.length > max ? out.slice(0, max) : out;
}

/** Values that must arrive whole (ids, keys, names); over the limit is a planning error. */
export function fitExact(value: string, max: number, field: string): string {
  if (value.length <= max) return value;
  throw new AppError({
    code: 'VALUE_TOO_LONG_FOR_SALESFORCE',
    status: 422,
    message: `${field} is ${value.length} characters; the Salesforce field holds ${max}`,
    actions: [`Shorten ${field}, or lengthen the field in the org and raise the mapping's length`],
  });
}

/**
 * A list as lines (`- item`), at most max characters; items that do not fit are counted in a
 * visible last line instead of being dropped silently.
 */
export function fitList(items: readonly string[], max: number, bullet = '- '): string {
  const lines = items.map((i) => bullet + i);
  const whole = lines.join('\n');
  if (whole.length <= max) return whole;
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    const more = `… and ${lines.length - i} more`;
    const sep = out.length === 0 ? 0 : 1;
    const remainingAfter = lines.length - i - 1;
    const tail = remainingAfter > 0 ? 1 + `… and ${remainingAfter} more`.length : 0;
    if (used + sep + line.length + tail <= max) {
      out.push(line);
      used += sep + line.length;
      continue;
    }
    // This item does not fit whole: cut it with a marker if room remains, then count the rest.
    const room = max - used - sep - tail;
    if (room > 40) {
      out.push(fitSummary(line, room));
      used += sep + Math.min(line.length, room);
      if (remainingAfter > 0) out.push(`… and ${remainingAfter} more`);
    } else {
      out.push(more);
    }
    break;
  }
  const text = out.join('\n');
  return text.length <= max ? text : fitSummary(whole, max);
}

/** Inline list joined by `sep` for a short Text field; what does not fit becomes `(+N more)`. */
export function fitInline(items: readonly string[], max: number, sep = '; '): string {
  const whole = items.join(sep);
  if (whole.length <= max) return whole;
  for (let n = items.length - 1; n >= 0; n -= 1) {
    const text = `${items.slice(0, n).join(sep)}${n > 0 ? sep : ''}(+${items.length - n} more)`;
    if (text.length <= max) return text;
  }
  return fitSummary(whole, max);
}

/**
 * A JSON object for a LongTextArea. When it does not fit, whole entries are left out from the end and
 * named under `_omitted` (keys are names chosen by the bot, never values), so the JSON stays valid.
 */
export function fitJsonRecord(record: Record<string, unknown>, max: number): string {
  const whole = JSON.stringify(record);
  if (whole.length <= max) return whole;
  const keys = Object.keys(record);
  const keep = (n: number): Record<string, unknown> =>
    Object.fromEntries(keys.slice(0, n).map((k) => [k, record[k]]));
  // Prefer naming what was left out; when even the names do not fit, give the count.
  for (let n = keys.length - 1; n >= 0; n -= 1) {
    const text = JSON.stringify({ ...keep(n), _omitted: keys.slice(n) });
    if (text.length <= max) return text;
  }
  for (let n = keys.length - 1; n >= 0; n -= 1) {
    const text = JSON.stringify({ ...keep(n), _omittedCount: keys.length - n });
    if (text.length <= max) return text;
  }
  return JSON.stringify({ _omittedCount: keys.length });
}

/** BCP 47 tag for a Text(10): drop trailing subtags (en-GB-oxendict → en-GB) until it fits. */
export function fitLanguage(tag: string, max: number): string {
  let parts = tag.split('-');
  while (parts.join('-').length > max && parts.length > 1) parts = parts.slice(0, -1);
  return fitExact(parts.join('-'), max, 'identity.language');
}
