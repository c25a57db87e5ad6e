/**
 * Salesforce failures in the service's error model: an AppError with a stable code, a scrubbed
 * message (Salesforce echoes submitted values), and how delivery should treat it:
 *
 * - transient: try again later (network before the request went out, 5xx, UNABLE_TO_LOCK_ROW, a
 *   session still refused after one re-login, halted graphs)
 * - rate_limited: REQUEST_LIMIT_EXCEEDED (back off longer)
 * - permanent: the data or the configuration is wrong (REQUIRED_FIELD_MISSING, STRING_TOO_LONG,
 *   INVALID_FIELD, restricted picklists, …): dead-letter, retrying cannot help
 * - unknown_outcome: the request was sent and no answer came (timeout, connection reset): it may
 *   have been written; look before writing again (findDelivered)
 */
import { AppError } from '../errors';
import { scrubText } from '../redact';

export type RetryClass = 'transient' | 'rate_limited' | 'permanent' | 'unknown_outcome';

export class SalesforceError extends AppError {
  readonly retry: RetryClass;
  /** Salesforce's errorCode (e.g. STRING_TOO_LONG), or the network error code. */
  readonly salesforceCode: string | undefined;

  constructor(options: {
    code: string;
    message: string;
    retry: RetryClass;
    salesforceCode?: string;
    status?: number;
    cause?: unknown;
  }) {
    super({
      code: options.code,
      message: scrubText(options.message),
      status: options.status ?? (options.retry === 'permanent' ? 502 : 503),
      transient: options.retry !== 'permanent',
      cause: options.cause,
    });
    this.name = 'SalesforceError';
    this.retry = options.retry;
    this.salesforceCode = options.salesforceCode;
  }
}

export function isSalesforceError(err: unknown): err is SalesforceError {
  return err instanceof SalesforceError;
}

const TRANSIENT_CODES = new Set([
  'UNABLE_TO_LOCK_ROW',
  'SERVER_UNAVAILABLE',
  'SERVICE_UNAVAILABLE',
  'INVALID_SESSION_ID',
  'PROCESSING_HALTED',
  'QUERY_TIMEOUT',
  'TXN_SECURITY_METERING_ERROR',
  'UNKNOWN_EXCEPTION',
  'ERROR_HTTP_500',
  'ERROR_HTTP_502',
  'ERROR_HTTP_503',
  'ERROR_HTTP_420',
  'ERROR_HTTP_429',
]);

const RATE_LIMITED_CODES = new Set(['REQUEST_LIMIT_EXCEEDED', 'CONCURRENT_REQUEST_LIMIT_EXCEEDED']);

/** Network failures before anything reached Salesforce: safe to retry. */
const NOT_SENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'CERT_HAS_EXPIRED',
]);

/** Network failures after the request may have been sent: outcome unknown for writes. */
const MAYBE_SENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'ECONNABORTED',
]);

/** How delivery should treat a Salesforce errorCode found in a response. */
export function classifyErrorCode(code: string): RetryClass {
  if (RATE_LIMITED_CODES.has(code)) return 'rate_limited';
  if (TRANSIENT_CODES.has(code)) return 'transient';
  // 504 from an edge: the org may still have done the work.
  if (code === 'ERROR_HTTP_504') return 'unknown_outcome';
  return 'permanent';
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
}

function asErrorLike(err: unknown): ErrorLike {
  return typeof err === 'object' && err !== null ? err : { message: String(err) };
}

/** First `{errorCode|statusCode, message}` of a Salesforce error body (array or object). */
export function firstSalesforceError(body: unknown): { code: string; message: string } | undefined {
  const list = Array.isArray(body) ? (body as unknown[]) : [body];
  for (const item of list) {
    if (typeof item !== 'object' || item === null) continue;
    const o = item as Record<string, unknown>;
    const code =
      typeof o.errorCode === 'string'
        ? o.errorCode
        : typeof o.statusCode === 'string'
          ? o.statusCode
          : undefined;
    if (code) return { code, message: typeof o.message === 'string' ? o.message : code };
    if (typeof o.error === 'string') {
      return {
        code: o.error,
        message: typeof o.error_description === 'string' ? o.error_description : o.error,
      };
    }
  }
  return undefined;
}

/**
 * Turns anything a data call threw into a SalesforceError: ours pass through (an error answer is
 * classified where it is read, by salesforceErrorFromCode); the rest are the transport's timeout and
 * node's network errors.
 * `write`: the request changes data (POST/PATCH): a lost answer means an unknown outcome.
 */
export function toSalesforceError(err: unknown, write: boolean): SalesforceError {
  if (err instanceof SalesforceError) return err;
  const e = asErrorLike(err);
  const message = typeof e.message === 'string' ? e.message : 'Salesforce request failed';
  const netCode = typeof e.code === 'string' ? e.code : undefined;

  // No answer in time (the transport's TimeoutError) or a connection dropped after the request went
  // out (node's "socket hang up").
  if (e.name === 'TimeoutError' || /socket hang up/i.test(message)) {
    return new SalesforceError({
      code: 'SALESFORCE_TIMEOUT',
      message: `Salesforce did not answer in time: ${message}`,
      retry: write ? 'unknown_outcome' : 'transient',
      salesforceCode: netCode,
      cause: err,
    });
  }
  if (netCode && NOT_SENT_NETWORK_CODES.has(netCode)) {
    return new SalesforceError({
      code: 'SALESFORCE_UNREACHABLE',
      message: `Salesforce could not be reached (${netCode})`,
      retry: 'transient',
      salesforceCode: netCode,
      cause: err,
    });
  }
  if (netCode && MAYBE_SENT_NETWORK_CODES.has(netCode)) {
    return new SalesforceError({
      code: 'SALESFORCE_CONNECTION_LOST',
      message: `The connection to Salesforce was lost (${netCode})`,
      retry: write ? 'unknown_outcome' : 'transient',
      salesforceCode: netCode,
      cause: err,
    });
  }
  return new SalesforceError({
    code: 'SALESFORCE_ERROR',
    message,
    retry: write ? 'unknown_outcome' : 'transient',
    cause: err,
  });
}

/** The error for a Salesforce errorCode (or ERROR_HTTP_<status>), classified for delivery. */
export function salesforceErrorFromCode(sfCode: string, message: string, cause?: unknown): SalesforceError {
  const retry = classifyErrorCode(sfCode);
  return new SalesforceError({
    code: retry === 'rate_limited' ? 'SALESFORCE_RATE_LIMITED' : `SALESFORCE_${sfCode}`,
    message: `${sfCode}: ${message}`,
    retry,
    salesforceCode: sfCode,
    status: retry === 'rate_limited' ? 503 : undefined,
    cause,
  });
}
