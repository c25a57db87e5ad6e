/**
 * The one shape every bot platform endpoint has: authenticate (before the body is read), read JSON
 * (gzip/deflate too), convert with the platform's adapter, submit the canonical handoff, answer in the
 * platform's format. Client errors are answered here in the platform's error shape (problem+json with
 * the platform's own error member), so a malformed platform payload never becomes a 500.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import express, { Router } from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { HandoffAnswer } from '../../../contract/answer';
import type { HandoffRequestInput } from '../../../contract/handoff';
import type { SourcePlatform } from '../../../adapters';
import { AppError, isAppError } from '../../../errors';
import type { FieldProblem } from '../../../errors';
import { requireJson } from '../../require-json';

/** The context the adapter passes to submit (a subset of the handoff service's SubmitContext). */
export interface AdapterSubmitContext {
  requestId: string;
  /** Who called: the bot's token subject, a basic user name, or "shared-token". */
  botSubject?: string;
  platform: SourcePlatform;
}

/** What submit resolves to: the answer, and the status (or the service's outcome) it was given with. */
export interface AdapterSubmitResult {
  answer: HandoffAnswer;
  httpStatus?: number;
  outcome?: 'delivered' | 'pending' | 'replay';
}

export type SubmitHandoff = (input: unknown, ctx: AdapterSubmitContext) => Promise<AdapterSubmitResult>;

/** Who called, or an AppError 401. */
export type Authenticate = (req: Request) => Promise<{ subject: string; challenge?: string }>;

export const STATUS_BY_OUTCOME = { delivered: 201, pending: 202, replay: 200 } as const;

/** A client error, as the platform's caller should see it. */
export interface AdapterProblem {
  status: number;
  code: string;
  detail: string;
  errors: FieldProblem[];
  actions: string[];
  requestId: string;
}

export interface AdapterRouteSpec<Reply> {
  path: string;
  platform: SourcePlatform;
  authenticate: Authenticate;
  /** WWW-Authenticate challenge on 401, e.g. 'Bearer', 'Basic realm="fsc-handoff"'. */
  challenge: string;
  submit: SubmitHandoff;
  toHandoff: (body: unknown, receivedAt: Date) => { input: HandoffRequestInput; reply: Reply };
  answer: (result: AdapterSubmitResult, reply: Reply) => { status: number; body: unknown };
  /**
   * What nativeError needs of the request body (Rasa: the action's name), taken before delivery, so
   * the body itself is not held while Salesforce answers. Without it, nativeError gets undefined.
   */
  errorContext?: (body: unknown) => unknown;
  /** The platform's own error member(s), merged into the problem document. */
  nativeError: (problem: AdapterProblem, context: unknown) => Record<string, unknown>;
  jsonBody?: RequestHandler;
  now?: () => Date;
}

function requestIdOf(req: Request, res: Response): string {
  const fromApp = res.locals.requestId as string | undefined;
  if (fromApp) return fromApp;
  const given = req.get('x-request-id');
  return given && /^[A-Za-z0-9._:-]{8,128}$/.test(given) ? given : randomUUID();
}

/** body-parser errors a client can cause, as problems; anything else is not a client error. */
function clientProblem(err: unknown): Omit<AdapterProblem, 'requestId'> | undefined {
  if (isAppError(err)) {
    if (err.status < 400 || err.status >= 500) return undefined;
    return {
      status: err.status,
      code: err.code,
      detail: err.message,
      errors: err.errors,
      actions: err.actions,
    };
  }
  const e = err as { type?: unknown; status?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object' || typeof e.status !== 'number' || e.status < 400 || e.status >= 500) {
    return undefined;
  }
  switch (e.type) {
    case 'entity.parse.failed':
      return {
        status: 400,
        code: 'MALFORMED_JSON',
        detail: 'The request body is not valid JSON.',
        errors: [],
        actions: [],
      };
    case 'entity.too.large':
      return {
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        detail: 'The request body is larger than this endpoint accepts.',
        errors: [],
        actions: [],
      };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return {
        status: 415,
        code: 'UNSUPPORTED_ENCODING',
        detail: 'The body encoding is not supported (send UTF-8 JSON, plain or gzip/deflate).',
        errors: [],
        actions: [],
      };
    default:
      // e.g. a gzip body that does not inflate
      return {
        status: e.status,
        code: 'BAD_REQUEST',
        detail: 'The request body could not be read.',
        errors: [],
        actions: [],
      };
  }
}

/** Where the route keeps errorContext's result once the body is let go (res.locals). */
const ERROR_CONTEXT = 'adapterErrorContext';

export function createAdapterRoute<Reply>(spec: AdapterRouteSpec<Reply>): Router {
  const router = Router();
  const jsonBody =
    spec.jsonBody ?? express.json({ limit: '2mb', type: ['application/json', 'application/*+json'] });
  const now = spec.now ?? (() => new Date());

  const authenticate: RequestHandler = async (req, res, next) => {
    const who = await spec.authenticate(req);
    res.locals.adapterSubject = who.subject;
    next();
  };
  /**
   * toHandoff → submit, synchronously: the platform's body and the handoff made from it stay in this
   * frame and are garbage once it returns (only the service's redacted copy goes on), not held by
   * the route while Salesforce answers. What an error answer needs of the body is kept instead.
   */
  function start(req: Request, res: Response): { submitted: Promise<AdapterSubmitResult>; reply: Reply } {
    const body = req.body as unknown;
    const { input, reply } = spec.toHandoff(body, now());
    res.locals[ERROR_CONTEXT] = spec.errorContext?.(body);
    const submitted = spec.submit(input, {
      requestId: requestIdOf(req, res),
      platform: spec.platform,
      ...(typeof res.locals.adapterSubject === 'string' ? { botSubject: res.locals.adapterSubject } : {}),
    });
    req.body = undefined;
    return { submitted, reply };
  }
  router.post(spec.path, authenticate, requireJson, jsonBody, async (req, res) => {
    const { submitted, reply } = start(req, res);
    const { status, body } = spec.answer(await submitted, reply);
    res.status(status).json(body);
  });
  router.all(spec.path, (_req, res) => {
    res.setHeader('Allow', 'POST');
    throw new AppError({ code: 'METHOD_NOT_ALLOWED', status: 405, message: 'Use POST here.' });
  });

  // Client errors in the platform's shape; anything else goes on to the app's error handler.
  router.use(spec.path, (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const problem = clientProblem(err);
    if (!problem || res.headersSent) {
      next(err);
      return;
    }
    const full: AdapterProblem = { ...problem, requestId: requestIdOf(req, res) };
    if (full.status === 401) res.setHeader('WWW-Authenticate', spec.challenge);
    res
      .status(full.status)
      .type('application/problem+json')
      .json({
        type: `urn:fsc-handoff:problem:${full.code.toLowerCase().replace(/_/g, '-')}`,
        title: STATUS_CODES[full.status] ?? 'Error',
        status: full.status,
        detail: full.detail,
        code: full.code,
        requestId: full.requestId,
        ...(full.errors.length > 0 ? { errors: full.errors } : {}),
        ...(full.actions.length > 0 ? { actions: full.actions } : {}),
        ...spec.nativeError(
          full,
          ERROR_CONTEXT in res.locals ? res.locals[ERROR_CONTEXT] : spec.errorContext?.(req.body),
        ),
      });
  });
  return router;
}

/** The HTTP status for a submit result: the one given, else the outcome's, else 200. */
export function statusOf(result: AdapterSubmitResult): number {
  return result.httpStatus ?? (result.outcome ? STATUS_BY_OUTCOME[result.outcome] : 200);
}
