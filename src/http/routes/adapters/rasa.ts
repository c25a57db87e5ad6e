/** POST /v1/adapters/rasa: a Rasa action-server call (or a tracker), gzip bodies included. */
import type { RequestHandler, Router } from 'express';
import { defaultMapping, rasaAnswer, rasaToHandoff } from '../../../adapters';
import type { AdapterMapping, SharedSecretAuth } from '../../../adapters';
import { createAdapterRoute } from './adapter-route';
import type { SubmitHandoff } from './adapter-route';
import { challengeFor, sharedSecretAuth } from './shared-secret-auth';

export const RASA_PATH = '/v1/adapters/rasa';

export interface RasaRouteDeps {
  submit: SubmitHandoff;
  /** A bearer token or token header from endpoints.yml `headers`, basic_auth, or (if enabled) `token`. */
  auth: SharedSecretAuth;
  mapping?: AdapterMapping;
  jsonBody?: RequestHandler;
  now?: () => Date;
}

function actionName(body: unknown): string | null {
  const v = body && typeof body === 'object' ? (body as Record<string, unknown>).next_action : undefined;
  return typeof v === 'string' ? v : null;
}

export function rasaAdapterRouter(deps: RasaRouteDeps): Router {
  const mapping = deps.mapping ?? defaultMapping();
  return createAdapterRoute({
    path: RASA_PATH,
    platform: 'rasa',
    challenge: challengeFor(deps.auth),
    authenticate: sharedSecretAuth(deps.auth),
    submit: deps.submit,
    toHandoff: (body, receivedAt) => rasaToHandoff(body, { mapping, receivedAt }),
    answer: (result, reply) => ({ status: 200, body: rasaAnswer(result.answer, reply) }),
    // The Rasa SDK's error shape: {error, action_name}
    errorContext: actionName,
    nativeError: (p, name) => ({ error: p.detail, action_name: typeof name === 'string' ? name : null }),
    ...(deps.jsonBody ? { jsonBody: deps.jsonBody } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
}
