/** POST /v1/adapters/dialogflow-cx: Dialogflow CX webhook (WebhookRequest in, WebhookResponse out). */
import type { RequestHandler, Router } from 'express';
import { defaultMapping, dialogflowCxAnswer, dialogflowCxToHandoff } from '../../../adapters';
import type { AdapterMapping, SharedSecretAuth } from '../../../adapters';
import { createAdapterRoute } from './adapter-route';
import type { SubmitHandoff } from './adapter-route';
import { challengeFor, sharedSecretAuth } from './shared-secret-auth';

export const DIALOGFLOW_CX_PATH = '/v1/adapters/dialogflow-cx';

export interface DialogflowCxRouteDeps {
  submit: SubmitHandoff;
  /** The bearer token or basic credentials configured on the CX webhook. */
  auth: SharedSecretAuth;
  mapping?: AdapterMapping;
  jsonBody?: RequestHandler;
  now?: () => Date;
}

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'INVALID_ARGUMENT',
  409: 'ALREADY_EXISTS',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
};

export function dialogflowCxAdapterRouter(deps: DialogflowCxRouteDeps): Router {
  const mapping = deps.mapping ?? defaultMapping();
  return createAdapterRoute({
    path: DIALOGFLOW_CX_PATH,
    platform: 'dialogflow_cx',
    challenge: challengeFor(deps.auth),
    authenticate: sharedSecretAuth(deps.auth),
    submit: deps.submit,
    toHandoff: (body, receivedAt) => dialogflowCxToHandoff(body, { mapping, receivedAt }),
    // CX expects 200 with a WebhookResponse; anything else is a webhook error in the flow.
    answer: (result, reply) => ({ status: 200, body: dialogflowCxAnswer(result.answer, reply) }),
    // Google's error shape
    nativeError: (p) => ({
      error: { code: p.status, message: p.detail, status: GOOGLE_STATUS[p.status] ?? 'FAILED_PRECONDITION' },
    }),
    ...(deps.jsonBody ? { jsonBody: deps.jsonBody } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
}
