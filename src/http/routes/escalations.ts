/**
 * POST /v1/escalations/evaluate: a bot asks, mid-conversation, whether to hand off. Takes a
 * conversation state; answers whether to hand off, every rule that fired and why, and the
 * recommended routing (skills, priority). Parse, call, map; errors go to the app's handler.
 */
import express, { Router } from 'express';
import type { RequestHandler } from 'express';
import { AppError } from '../../errors';
import { conversationStateSchema, decideRoutingForState, evaluateEscalation } from '../../policy';
import type { PolicyConfig, RoutingConfig } from '../../policy';
import { requireJson } from '../require-json';

export const ESCALATIONS_EVALUATE_PATH = '/v1/escalations/evaluate';

export interface EscalationRoutesDeps {
  /** The service's bot authenticator (bearer JWT). */
  authenticator: { authenticate(authorization: string | undefined): Promise<{ subject: string }> };
  policy: PolicyConfig;
  routing: RoutingConfig;
  now?: () => Date;
  jsonBody?: RequestHandler;
}

export function escalationRoutes(deps: EscalationRoutesDeps): Router {
  const router = Router();
  const jsonBody = deps.jsonBody ?? express.json({ limit: '2mb' });
  const now = deps.now ?? (() => new Date());

  router.post(
    ESCALATIONS_EVALUATE_PATH,
    async (req, _res, next) => {
      await deps.authenticator.authenticate(req.get('authorization'));
      next();
    },
    requireJson,
    jsonBody,
    (req, res) => {
      const parsed = conversationStateSchema.safeParse(req.body);
      if (!parsed.success) {
        throw new AppError({
          code: 'VALIDATION_FAILED',
          status: 400,
          message: 'The conversation state is not valid.',
          errors: parsed.error.issues.map((i) => ({
            path: i.path.map(String).join('.'),
            message: i.message,
          })),
          actions: ['Fix the fields listed in errors; see /openapi.json for the conversation state schema.'],
        });
      }
      const evaluation = evaluateEscalation(parsed.data, deps.policy, now());
      const routing = decideRoutingForState(parsed.data, evaluation, deps.routing);
      res.status(200).json({
        ...evaluation,
        recommendation: {
          mode: routing.mode,
          skills: routing.skills,
          priority: routing.priority,
          casePriority: routing.casePriority,
          urgency: routing.urgency,
          queue: routing.queue,
          reasons: routing.reasons,
        },
      });
    },
  );
  router.all(ESCALATIONS_EVALUATE_PATH, (_req, res) => {
    res.setHeader('Allow', 'POST');
    throw new AppError({ code: 'METHOD_NOT_ALLOWED', status: 405, message: 'Use POST here.' });
  });
  return router;
}
