import express from 'express';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { SalesforceApiError } from '../org/types';
import type { SObjectRecord } from '../org/types';
import type { AgentView } from '../omni/omni';
import { OAuthError, type TokenResponse } from './auth';
import type { FaultSettingsInput } from './faults';

/** What the admin API can do: implemented by createEmulator. */
export interface AdminActions {
  info(baseUrl: string): Record<string, unknown>;
  reset(): Record<string, unknown>;
  seed(doc: unknown, merge: boolean): Record<string, unknown>;
  getFaults(): Record<string, unknown>;
  setFaults(input: FaultSettingsInput): Record<string, unknown>;
  expireSessions(): number;
  token(username: string | undefined, baseUrl: string): TokenResponse;
  jwt(baseUrl: string): Record<string, unknown> | undefined;
  records(sobject: string): SObjectRecord[];
  calls(): Record<string, number>;
  resetCalls(): void;
  setLimits(input: { dailyMax?: number; used?: number }): Record<string, unknown>;
  agents(): AgentView[];
  setPresence(agent: string, online: boolean): boolean;
  settle(): number;
  closeWork(agentWorkId: string): boolean;
}

const presenceSchema = z.object({ online: z.boolean() }).strict();
const presenceListSchema = z.array(z.object({ username: z.string().min(1), online: z.boolean() }).strict());
const tokenSchema = z.object({ username: z.string().min(1).optional() }).strict();
const limitsSchema = z
  .object({ dailyMax: z.number().int().min(0).optional(), used: z.number().int().min(0).optional() })
  .strict();

function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

function problem(res: Response, status: number, error: string, message: string, issues?: unknown): void {
  res.status(status).json({ error, message, ...(issues ? { issues } : {}) });
}

/** Runs a handler, answering bad input with 400 and a Salesforce error with its status. */
function guard(fn: (req: Request, res: Response) => void) {
  return (req: Request, res: Response): void => {
    try {
      fn(req, res);
    } catch (e) {
      if (e instanceof z.ZodError) {
        problem(
          res,
          400,
          'invalid_request',
          e.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
          e.issues,
        );
      } else if (e instanceof OAuthError) {
        problem(res, 400, e.error, e.description);
      } else if (e instanceof SalesforceApiError) {
        res.status(e.status).json(e.body);
      } else {
        problem(res, 400, 'invalid_request', e instanceof Error ? e.message : String(e));
      }
    }
  };
}

/** The admin API under `/__emulator/` (JSON; no auth, no faults, not counted as API calls). */
export function createAdminRouter(actions: AdminActions): Router {
  const r = express.Router();
  r.get(
    '/info',
    guard((req, res) => {
      res.json(actions.info(baseUrl(req)));
    }),
  );
  r.post(
    '/reset',
    guard((_req, res) => {
      res.json(actions.reset());
    }),
  );
  r.post(
    '/seed',
    guard((req, res) => {
      res.json(actions.seed(req.body, req.query.mode === 'merge'));
    }),
  );
  r.get(
    '/faults',
    guard((_req, res) => {
      res.json(actions.getFaults());
    }),
  );
  r.put(
    '/faults',
    guard((req, res) => {
      res.json(actions.setFaults((req.body ?? {}) as FaultSettingsInput));
    }),
  );
  r.delete(
    '/faults',
    guard((_req, res) => {
      res.json(actions.setFaults({}));
    }),
  );
  r.post(
    '/sessions/expire',
    guard((_req, res) => {
      res.json({ expired: actions.expireSessions() });
    }),
  );
  r.post(
    '/token',
    guard((req, res) => {
      const body = tokenSchema.parse(req.body ?? {});
      res.json(actions.token(body.username, baseUrl(req)));
    }),
  );
  r.get(
    '/jwt',
    guard((req, res) => {
      const info = actions.jwt(baseUrl(req));
      if (!info) {
        problem(res, 404, 'not_found', 'no connected app with a generated key is seeded');
        return;
      }
      res.json(info);
    }),
  );
  r.get(
    '/records/:sobject',
    guard((req, res) => {
      const records = actions.records(String(req.params.sobject));
      res.json({ totalSize: records.length, records });
    }),
  );
  r.get(
    '/calls',
    guard((_req, res) => {
      res.json(actions.calls());
    }),
  );
  r.post(
    '/calls/reset',
    guard((_req, res) => {
      actions.resetCalls();
      res.json(actions.calls());
    }),
  );
  r.put(
    '/limits',
    guard((req, res) => {
      res.json(actions.setLimits(limitsSchema.parse(req.body ?? {})));
    }),
  );
  r.get(
    '/agents',
    guard((_req, res) => {
      res.json(actions.agents());
    }),
  );
  r.put(
    '/agents',
    guard((req, res) => {
      const list = presenceListSchema.parse(req.body);
      const unknown = list.filter((a) => !actions.setPresence(a.username, a.online)).map((a) => a.username);
      if (unknown.length > 0) {
        problem(res, 404, 'not_found', `unknown agents: ${unknown.join(', ')}`);
        return;
      }
      res.json(actions.agents());
    }),
  );
  r.put(
    '/agents/:agent/presence',
    guard((req, res) => {
      const { online } = presenceSchema.parse(req.body);
      if (!actions.setPresence(String(req.params.agent), online)) {
        problem(res, 404, 'not_found', `unknown agent: ${String(req.params.agent)}`);
        return;
      }
      res.json(
        actions.agents().find((a) => a.username === req.params.agent || a.userId === req.params.agent),
      );
    }),
  );
  r.post(
    '/omni/settle',
    guard((_req, res) => {
      res.json({ actions: actions.settle() });
    }),
  );
  r.post(
    '/omni/work/:id/close',
    guard((req, res) => {
      if (!actions.closeWork(String(req.params.id))) {
        problem(res, 404, 'not_found', 'no active AgentWork with that id');
        return;
      }
      res.json({ closed: true });
    }),
  );
  r.use((_req: Request, res: Response) => {
    problem(res, 404, 'not_found', 'no such admin route');
  });
  return r;
}
