/**
 * The HTTP edge: createApp(deps) builds the app without listening. Routes only authenticate, parse,
 * call the service and map; one error handler turns every error into problem+json.
 */
import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Router } from 'express';
import { bearerChallenge, type BotAuthenticator } from '../auth';
import type { ServerConfig } from '../config/schema';
import type { Logger } from '../log';
import type { HandoffService } from '../service';
import { buildOpenApiDocument } from './openapi';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';
import { requestId, requestIdOf } from './request-id';
import { botOf, handoffRoutes, requestLogger } from './routes/handoffs';
import { AppError } from '../errors';

/** What a mounted router (platform adapters, escalations) gets to work with. */
export interface MountContext {
  handoffs: HandoffService;
  authenticator: BotAuthenticator;
  logger: Logger;
  /** express.json with the configured body limit. */
  jsonBody: RequestHandler;
}

export interface AppDeps {
  readonly version: string;
  readonly server: Pick<ServerConfig, 'bodyLimitBytes'>;
  readonly handoffs: HandoffService;
  readonly authenticator: BotAuthenticator;
  readonly logger: Logger;
  /** Prometheus registry served at GET /metrics (delivery metrics and the like). */
  readonly metrics?: { contentType: string; metrics(): Promise<string> };
  /** Extra routers (adapters, escalations), mounted after the canonical routes. */
  readonly mounts?: ReadonlyArray<(ctx: MountContext) => Router>;
}

/** Builds the HTTP app without listening, so tests can drive it with supertest or on port 0. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  const jsonBody = express.json({
    limit: deps.server.bodyLimitBytes,
    strict: true,
    type: ['application/json', 'application/*+json'],
  });

  app.use(requestId);
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    const logger = deps.logger.child({ requestId: requestIdOf(res) });
    res.locals.logger = logger;
    res.on('finish', () => {
      logger.info('request', {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n),
        bot: botOf(res)?.subject,
      });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: deps.version });
  });
  app.get('/readyz', async (_req, res) => {
    let checks;
    try {
      checks = await deps.handoffs.readiness();
    } catch (err) {
      requestLogger(res, deps.logger).warn('readiness check failed', { error: err });
      checks = [{ name: 'deliverer', ok: false, detail: 'readiness check failed' }];
    }
    const ready = checks.every((c) => c.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  const metrics = deps.metrics;
  if (metrics) {
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.contentType).send(await metrics.metrics());
    });
  }
  const openapi = buildOpenApiDocument(deps.version);
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  const ctx: MountContext = {
    handoffs: deps.handoffs,
    authenticator: deps.authenticator,
    logger: deps.logger,
    jsonBody,
  };
  app.use(handoffRoutes(ctx));
  for (const mount of deps.mounts ?? []) app.use(mount(ctx));

  app.use(() => {
    throw new AppError({
      code: 'NOT_FOUND',
      status: 404,
      message: 'No such resource.',
      actions: ['See /openapi.json.'],
    });
  });
  app.use(errorHandler(deps.logger));
  return app;
}

/** The one place errors become HTTP: problem+json, WWW-Authenticate on 401, no internals on 5xx. */
export function errorHandler(fallback: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const id = requestIdOf(res);
    const problem = toProblem(err, id, req.path);
    const logger = requestLogger(res, fallback);
    if (problem.status >= 500) {
      logger.error('request failed', { code: problem.code, error: err });
    } else {
      logger.info('request refused', {
        code: problem.code,
        status: problem.status,
        fields: problem.errors?.slice(0, 20).map((e) => e.path),
      });
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    if (problem.status === 401) res.setHeader('WWW-Authenticate', bearerChallenge(problem.code));
    if (problem.status === 503) res.setHeader('Retry-After', '5');
    res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  };
}
