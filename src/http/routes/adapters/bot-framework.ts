/** POST /v1/adapters/bot-framework: Bot Framework / Copilot Studio handoff.initiate events. */
import type { Router } from 'express';
import { botFrameworkAnswer, botFrameworkToHandoff, defaultMapping } from '../../../adapters';
import type { AdapterMapping } from '../../../adapters';
import type { RequestHandler } from 'express';
import { createAdapterRoute, statusOf } from './adapter-route';
import type { SubmitHandoff } from './adapter-route';

export const BOT_FRAMEWORK_PATH = '/v1/adapters/bot-framework';

export interface BotFrameworkRouteDeps {
  submit: SubmitHandoff;
  /** The service's bot authenticator (a bearer JWT), e.g. createBotAuthenticator(config.botAuth). */
  authenticator: { authenticate(authorization: string | undefined): Promise<{ subject: string }> };
  mapping?: AdapterMapping;
  jsonBody?: RequestHandler;
  now?: () => Date;
}

export function botFrameworkAdapterRouter(deps: BotFrameworkRouteDeps): Router {
  const mapping = deps.mapping ?? defaultMapping();
  return createAdapterRoute({
    path: BOT_FRAMEWORK_PATH,
    platform: 'bot_framework',
    challenge: 'Bearer',
    authenticate: async (req) => ({
      subject: (await deps.authenticator.authenticate(req.get('authorization'))).subject,
    }),
    submit: deps.submit,
    toHandoff: (body, receivedAt) => botFrameworkToHandoff(body, { mapping, receivedAt }),
    answer: (result, reply) => ({ status: statusOf(result), body: botFrameworkAnswer(result.answer, reply) }),
    // Bot Framework's ErrorResponse shape
    nativeError: (p) => ({ error: { code: p.code, message: p.detail } }),
    ...(deps.jsonBody ? { jsonBody: deps.jsonBody } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
}
