/** POST /v1/adapters/lex-v2: an Amazon Lex V2 Lambda input event forwarded by a Lambda or API Gateway. */
import type { RequestHandler, Router } from 'express';
import { defaultMapping, lexV2Answer, lexV2ToHandoff } from '../../../adapters';
import type { AdapterMapping, SharedSecretAuth } from '../../../adapters';
import { createAdapterRoute } from './adapter-route';
import type { SubmitHandoff } from './adapter-route';
import { challengeFor, sharedSecretAuth } from './shared-secret-auth';

export const LEX_V2_PATH = '/v1/adapters/lex-v2';

export interface LexV2RouteDeps {
  submit: SubmitHandoff;
  /** A bearer token, or a token header (e.g. headerName "x-handoff-token") set by the forwarding Lambda. */
  auth: SharedSecretAuth;
  mapping?: AdapterMapping;
  jsonBody?: RequestHandler;
  now?: () => Date;
}

export function lexV2AdapterRouter(deps: LexV2RouteDeps): Router {
  const mapping = deps.mapping ?? defaultMapping();
  return createAdapterRoute({
    path: LEX_V2_PATH,
    platform: 'lex_v2',
    challenge: challengeFor(deps.auth),
    authenticate: sharedSecretAuth(deps.auth),
    submit: deps.submit,
    toHandoff: (body, receivedAt) => lexV2ToHandoff(body, { mapping, receivedAt }),
    // The Lambda returns this body to Lex as is.
    answer: (result, reply) => ({ status: 200, body: lexV2Answer(result.answer, reply) }),
    // The Lambda sees an error it can log; Lex itself never sees this body.
    nativeError: (p) => ({ message: p.detail }),
    ...(deps.jsonBody ? { jsonBody: deps.jsonBody } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
}
