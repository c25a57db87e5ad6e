import express from 'express';
import type { Express, NextFunction, Request, Response, Router } from 'express';
import {
  INVALID_SESSION_BODY,
  NOT_FOUND_BODY,
  REQUEST_LIMIT_BODY,
  sfErrorBody,
  unknownException,
  type RestResponse,
} from './errors';
import { bearerToken, OAuthError, type OAuthServer, type Session, type SessionStore } from './auth';
import { faultBody, serviceUnavailable, type Faults } from './faults';
import { parseDataUrl, type RestApi } from './rest';
import { familyOf, type ApiUsage } from './usage';

export interface EmulatorAppDeps {
  rest: RestApi;
  oauth: OAuthServer;
  sessions: SessionStore;
  usage: ApiUsage;
  faults: Faults;
  versions: readonly string[];
  /** The `/__emulator` admin router (faults never apply to it). */
  admin: Router;
  /** Reports unexpected errors (never request bodies). */
  onError?: (err: unknown) => void;
}

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
const MAX_BODY = '50mb';

/** The base URL a client reached us at, e.g. `http://127.0.0.1:4010`. */
export function requestBaseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

function sendJson(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (status === 204 || body === undefined) {
    res.status(status).end();
    return;
  }
  res.status(status).type('application/json;charset=UTF-8').send(JSON.stringify(body));
}

function lowerHeaders(req: Request): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers))
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
  });
}

/** Parses a JSON request body the way the REST API does: errors become 400 JSON_PARSER_ERROR. */
function parseJsonBody(req: Request): { ok: true; value: unknown } | { ok: false; message: string } {
  const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  if (raw.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (e) {
    return { ok: false, message: `Unexpected character in the request body: ${(e as Error).message}` };
  }
}

function recordIdFromSegments(segments: string[]): string | undefined {
  return segments.find((s) => /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(s) && /\d/.test(s));
}

/** The express app: OAuth, the REST data API, and the admin API. */
export function createEmulatorApp(deps: EmulatorAppDeps): Express {
  const { rest, oauth, sessions, usage, faults, versions } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');

  // Clients that keep a trailing slash on the instance URL send `//services/…`: one slash is meant.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    if (req.url.startsWith('//')) req.url = req.url.replace(/^\/+/, '/');
    next();
  });

  // Admin routes first: no auth, no faults, not counted.
  app.use('/__emulator', express.json({ limit: MAX_BODY }), deps.admin);

  const latency = async (): Promise<void> => {
    const ms = faults.delayMs();
    if (ms > 0) await sleep(ms);
  };

  // OAuth 2.0 token endpoint.
  app.post(
    '/services/oauth2/token',
    express.urlencoded({ extended: false, limit: '1mb', type: () => true }),
    async (req: Request, res: Response) => {
      usage.count('oauth');
      await latency();
      const params = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<
        string,
        unknown
      >;
      try {
        const token = await oauth.token(params, req.get('authorization'), requestBaseUrl(req));
        res.setHeader('Cache-Control', 'no-cache,must-revalidate,max-age=0,no-store,private');
        sendJson(res, 200, token);
      } catch (e) {
        if (e instanceof OAuthError) {
          sendJson(res, e.status, { error: e.error, error_description: e.description });
          return;
        }
        deps.onError?.(e);
        sendJson(res, 500, { error: 'server_error', error_description: 'internal error' });
      }
    },
  );

  const authenticate = (req: Request, res: Response): Session | undefined => {
    const token =
      bearerToken(req.get('authorization')) ??
      (typeof req.query.oauth_token === 'string' ? req.query.oauth_token : undefined);
    const session = sessions.check(token);
    if (!session) sendJson(res, 401, INVALID_SESSION_BODY);
    return session;
  };

  app.get('/services/oauth2/userinfo', async (req: Request, res: Response) => {
    usage.count('oauth');
    await latency();
    const session = authenticate(req, res);
    if (session) sendJson(res, 200, oauth.userinfo(requestBaseUrl(req), session));
  });

  app.get('/id/:orgId/:userId', async (req: Request, res: Response) => {
    usage.count('oauth');
    await latency();
    const session = authenticate(req, res);
    if (!session) return;
    if (req.params.userId !== session.userId || req.params.orgId !== sessions.orgId) {
      sendJson(res, 403, sfErrorBody('INSUFFICIENT_ACCESS', 'You do not have access to this identity'));
      return;
    }
    sendJson(res, 200, oauth.identity(requestBaseUrl(req), session));
  });

  // The version list needs no session.
  app.get(['/services/data', '/services/data/'], async (req: Request, res: Response) => {
    usage.count('versions');
    await latency();
    sendJson(
      res,
      200,
      versions.map((v) => ({ label: versionLabel(v), url: `/services/data/v${v}`, version: v })),
    );
  });

  app.use(
    '/services/data',
    express.raw({ type: () => true, limit: MAX_BODY }),
    async (req: Request, res: Response) => {
      const parsed = parseDataUrl(req.baseUrl + req.url);
      const segments = parsed?.segments ?? [];
      usage.count(parsed ? familyOf(segments) : 'other');
      await latency();
      if (!parsed || !versions.includes(parsed.version)) {
        sendJson(res, 404, NOT_FOUND_BODY);
        return;
      }
      const session = authenticate(req, res);
      if (!session) return;
      const limitHeader = (): Record<string, string> => ({ 'Sforce-Limit-Info': usage.limitInfo() });
      if (faults.inOutage()) {
        const r = serviceUnavailable();
        sendJson(res, r.status, r.body);
        return;
      }
      if (usage.exhausted()) {
        sendJson(res, 403, REQUEST_LIMIT_BODY, limitHeader());
        return;
      }
      usage.charge();
      const injected = faults.preCallFault();
      if (injected) {
        const r = faultBody(injected, recordIdFromSegments(segments));
        sendJson(res, r.status, r.body, limitHeader());
        return;
      }
      // Only writes carry a body; a GET or DELETE body is ignored.
      const body = WRITE_METHODS.has(req.method)
        ? parseJsonBody(req)
        : { ok: true as const, value: undefined };
      if (!body.ok) {
        sendJson(res, 400, sfErrorBody('JSON_PARSER_ERROR', body.message), limitHeader());
        return;
      }
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      let result: RestResponse;
      try {
        result = rest.handle({
          method,
          version: parsed.version,
          segments,
          query: parsed.query,
          headers: lowerHeaders(req),
          body: body.value,
          userId: session.userId,
        });
      } catch (e) {
        deps.onError?.(e);
        result = { status: 500, body: unknownException() };
      }
      if (WRITE_METHODS.has(req.method) && result.status < 300) {
        const lost = faults.postCommitFault();
        if (lost === 'drop') {
          req.socket.destroy();
          return;
        }
        if (lost === '503') {
          const r = serviceUnavailable();
          sendJson(res, r.status, r.body, limitHeader());
          return;
        }
      }
      sendJson(res, result.status, result.body, { ...(result.headers ?? {}), ...limitHeader() });
    },
  );

  // Anything else.
  app.use((_req: Request, res: Response) => {
    sendJson(res, 404, NOT_FOUND_BODY);
  });

  // Body parser errors and anything unexpected: Salesforce-shaped, never a crash.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    if (res.headersSent) return;
    if (req.path.startsWith('/services/oauth2')) {
      sendJson(res, 400, { error: 'invalid_request', error_description: 'malformed request' });
      return;
    }
    if (e.type === 'entity.too.large') {
      sendJson(res, 413, sfErrorBody('REQUEST_ENTITY_TOO_LARGE', 'The request body is too large'));
      return;
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      sendJson(res, 400, sfErrorBody('JSON_PARSER_ERROR', 'The request body could not be parsed'));
      return;
    }
    deps.onError?.(err);
    sendJson(res, 500, unknownException());
  });

  return app;
}

/** The release a version shipped in: 31.0 is Summer '14, then Winter, Spring, Summer … (63.0 is Spring '25). */
export function versionLabel(v: string): string {
  const n = Math.round(Number.parseFloat(v));
  if (!Number.isFinite(n) || n < 31) return `Version ${v}`;
  const idx = n - 31;
  const season = ['Summer', 'Winter', 'Spring'][idx % 3] ?? 'Summer';
  const year = 14 + Math.floor((idx + 2) / 3);
  return `${season} '${String(year).padStart(2, '0')}`;
}
