/**
 * RFC 9457 problem details: the one error body. Every error the app can meet is turned into a
 * Problem here (AppError, body-parser errors, anything else); 5xx bodies say only that something
 * went wrong and carry the request id.
 */
import { STATUS_CODES } from 'node:http';
import type { Problem } from '../contract/problem';
import { isAppError, type FieldProblem } from '../errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(code: string): string {
  return `urn:fsc-handoff:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

interface ProblemParts {
  status: number;
  code: string;
  detail: string;
  errors?: FieldProblem[];
  actions?: string[];
}

/** body-parser (express.json) errors carry a `type`; map the ones a client can cause. */
function fromBodyParser(err: { type?: unknown; status?: unknown; expose?: unknown }): ProblemParts | null {
  switch (err.type) {
    case 'entity.too.large':
      return {
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        detail: 'The request body is larger than this service accepts.',
        actions: ['Send a smaller body: split very long transcripts or drop attachments.'],
      };
    case 'entity.parse.failed':
      return {
        status: 400,
        code: 'MALFORMED_JSON',
        detail: 'The request body is not valid JSON.',
        actions: ['Send a JSON object with Content-Type: application/json.'],
      };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return {
        status: 415,
        code: 'UNSUPPORTED_ENCODING',
        detail: 'The request body encoding or charset is not supported.',
        actions: ['Send UTF-8 JSON, uncompressed or gzip/deflate/br.'],
      };
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'stream.not.readable':
    case 'parameters.too.many':
      return { status: 400, code: 'BAD_REQUEST', detail: 'The request body could not be read.' };
    default:
      // Any other client error http-errors marks as safe to expose (e.g. a body that fails to inflate).
      if (
        (typeof err.type === 'string' || err.expose === true) &&
        typeof err.status === 'number' &&
        err.status >= 400 &&
        err.status < 500
      ) {
        return { status: err.status, code: 'BAD_REQUEST', detail: 'The request could not be read.' };
      }
      return null;
  }
}

function partsOf(err: unknown): ProblemParts {
  if (isAppError(err)) {
    const status = err.status >= 400 && err.status <= 599 ? err.status : 500;
    if (status >= 500) {
      return {
        status,
        code: err.code,
        detail:
          status === 503
            ? 'The service cannot take handoffs right now. Retry later with the same handoffId.'
            : 'Something went wrong on our side. Quote the request id when you report it.',
        actions: status === 503 ? ['Retry with the same handoffId; nothing is created twice.'] : [],
      };
    }
    return { status, code: err.code, detail: err.message, errors: err.errors, actions: err.actions };
  }
  if (err && typeof err === 'object') {
    const parsed = fromBodyParser(err);
    if (parsed) return parsed;
  }
  return {
    status: 500,
    code: 'INTERNAL',
    detail: 'Something went wrong on our side. Quote the request id when you report it.',
  };
}

export function toProblem(err: unknown, requestId: string, instance?: string): Problem {
  const p = partsOf(err);
  return {
    type: problemType(p.code),
    title: STATUS_CODES[p.status] ?? 'Error',
    status: p.status,
    detail: p.detail,
    ...(instance ? { instance } : {}),
    code: p.code,
    requestId,
    ...(p.errors && p.errors.length > 0 ? { errors: p.errors } : {}),
    ...(p.actions && p.actions.length > 0 ? { actions: p.actions } : {}),
  };
}
