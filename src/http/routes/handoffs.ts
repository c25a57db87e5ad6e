/** POST /v1/handoffs and GET /v1/handoffs/{id}: authenticate, parse, call the service, map. */
import { Router, type RequestHandler, type Response } from 'express';
import type { BotAuthenticator, BotPrincipal } from '../../auth';
import { AppError } from '../../errors';
import type { Logger } from '../../log';
import type { Caller } from '../../contract/prepared';
import type { HandoffService } from '../../service';
import { requestIdOf } from '../request-id';
import { requireJson } from '../require-json';

export interface HandoffRoutesDeps {
  handoffs: HandoffService;
  authenticator: BotAuthenticator;
  logger: Logger;
  /** express.json with the configured body limit. */
  jsonBody: RequestHandler;
}

const STATUS_BY_OUTCOME = { delivered: 201, pending: 202, replay: 200 } as const;

/** The request's child logger (set by the app for every request). */
export function requestLogger(res: Response, fallback: Logger): Logger {
  return (res.locals.logger as Logger | undefined) ?? fallback;
}

export function botOf(res: Response): BotPrincipal | undefined {
  return res.locals.bot as BotPrincipal | undefined;
}

/** The authenticated bot as the service records it (issuer and subject of its token). */
export function callerOf(res: Response): Caller | undefined {
  const bot = botOf(res);
  return bot ? { kind: 'jwt', issuer: bot.issuer, subject: bot.subject } : undefined;
}

/** Verifies the bearer token before anything else is read; keeps the principal in res.locals.bot. */
export function authenticate(authenticator: BotAuthenticator, fallback: Logger): RequestHandler {
  return async (req, res, next) => {
    res.locals.bot = await authenticator.authenticate(req.get('authorization'), requestLogger(res, fallback));
    next();
  };
}

export function methodNotAllowed(allow: string): RequestHandler {
  return (_req, res) => {
    res.setHeader('Allow', allow);
    throw new AppError({
      code: 'METHOD_NOT_ALLOWED',
      status: 405,
      message: `Use ${allow} here.`,
    });
  };
}

export function handoffRoutes(deps: HandoffRoutesDeps): Router {
  const router = Router();
  const auth = authenticate(deps.authenticator, deps.logger);

  router.post('/v1/handoffs', auth, requireJson, deps.jsonBody, async (req, res) => {
    const submitted = deps.handoffs.submit(req.body as unknown, {
      requestId: requestIdOf(res),
      botSubject: botOf(res)?.subject,
      caller: callerOf(res),
      logger: requestLogger(res, deps.logger),
    });
    // The body has been validated, copied and redacted by now: it is not held while Salesforce answers.
    req.body = undefined;
    const { outcome, answer } = await submitted;
    if (outcome !== 'replay') res.setHeader('Location', answer.statusUrl);
    res.status(STATUS_BY_OUTCOME[outcome]).json(answer);
  });
  router.all('/v1/handoffs', methodNotAllowed('POST'));

  router.get('/v1/handoffs/:handoffId', auth, async (req, res) => {
    const answer = await deps.handoffs.status(req.params.handoffId as string, {
      logger: requestLogger(res, deps.logger),
      caller: callerOf(res),
    });
    res.status(200).json(answer);
  });
  router.all('/v1/handoffs/:handoffId', methodNotAllowed('GET'));

  return router;
}
