import { SalesforceApiError } from '../org/types';
import type { SfErrorItem } from '../org/types';
import { NOT_FOUND_MESSAGE, sfError } from '../org/errors';

export { NOT_FOUND_MESSAGE, notFound, sfError } from '../org/errors';

/** A REST answer before it is written to the wire: status, JSON body (or none) and extra headers. */
export interface RestResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function sfErrorBody(errorCode: string, message: string, fields?: string[]): SfErrorItem[] {
  return [fields ? { message, errorCode, fields } : { message, errorCode }];
}

export function badRequest(errorCode: string, message: string, fields?: string[]): SalesforceApiError {
  return sfError(400, errorCode, message, fields);
}

export function methodNotAllowed(method: string, allowed: string[]): SalesforceApiError {
  return sfError(
    405,
    'METHOD_NOT_ALLOWED',
    `HTTP Method '${method}' not allowed. Allowed are ${allowed.join(',')}`,
  );
}

export const NOT_FOUND_BODY: SfErrorItem[] = sfErrorBody('NOT_FOUND', NOT_FOUND_MESSAGE);
export const INVALID_SESSION_BODY: SfErrorItem[] = sfErrorBody(
  'INVALID_SESSION_ID',
  'Session expired or invalid',
);
export const REQUEST_LIMIT_BODY: SfErrorItem[] = sfErrorBody(
  'REQUEST_LIMIT_EXCEEDED',
  'TotalRequests Limit exceeded.',
);
export const PROCESSING_HALTED_MESSAGE =
  'The transaction was rolled back since another operation in the same transaction failed.';

export function unknownException(): SfErrorItem[] {
  const errorId = `${Math.floor(Math.random() * 1e9)}-${Math.floor(Math.random() * 1e5)}`;
  return sfErrorBody(
    'UNKNOWN_EXCEPTION',
    `An unexpected error occurred. Please include this ErrorId if you contact support: ${errorId}`,
  );
}

/**
 * Maps anything thrown while serving a request to the answer Salesforce would give: a
 * `SalesforceApiError` keeps its status and body; anything else is a 500 UNKNOWN_EXCEPTION.
 */
export function toRestResponse(err: unknown): RestResponse {
  if (err instanceof SalesforceApiError) {
    return { status: err.status, body: err.body };
  }
  return { status: 500, body: unknownException() };
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}
