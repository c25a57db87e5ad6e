/**
 * Last line of defence for error text kept in the store, logs and callbacks. Outcomes from
 * src/salesforce are already scrubbed; this removes what may still slip through (values Salesforce
 * echoes in STRING_TOO_LONG / picklist messages, long digit runs, e-mail addresses) and bounds the
 * length.
 */
const MAX_LEN = 500;

export function scrubErrorText(text: string): string {
  let s = text
    // "…: data value too large: <VALUE> (max length=N)" and "bad value for restricted picklist field: <VALUE>"
    .replace(/(data value too large:)\s*.*?(\(max length=\d+\))/gis, '$1 [redacted] $2')
    .replace(/(bad value for restricted picklist field:)\s*.*/gi, '$1 [redacted]')
    .replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '[email]')
    .replace(/\d[\d -]{7,}\d/g, '[number]');
  // eslint-disable-next-line no-control-regex
  s = s.replace(/[\u0000-\u001F\u007F]/g, ' ');
  return s.length > MAX_LEN ? `${s.slice(0, MAX_LEN - 1)}…` : s;
}

export function scrubError(error: { code: string; message: string }): { code: string; message: string } {
  return {
    code: error.code.replace(/[^A-Za-z0-9_.:-]/g, '').slice(0, 80) || 'UNKNOWN',
    message: scrubErrorText(error.message),
  };
}
