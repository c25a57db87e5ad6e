/** A tiny app that mounts the adapter and escalation routers with a fake submit (no service, no org). */
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { jwtVerify, SignJWT } from 'jose';
import { handoffRequestSchema } from '../../../src/contract/handoff';
import type { HandoffAnswer } from '../../../src/contract/answer';
import { AppError, isAppError } from '../../../src/errors';
import {
  botFrameworkAdapterRouter,
  dialogflowCxAdapterRouter,
  lexV2AdapterRouter,
  rasaAdapterRouter,
} from '../../../src/http/routes/adapters';
import type { AdapterSubmitContext, AdapterSubmitResult } from '../../../src/http/routes/adapters';
import { escalationRoutes } from '../../../src/http/routes/escalations';
import { sharedSecretAuthSchema } from '../../../src/adapters';
import { defaultPolicy, defaultRouting } from '../../unit/policy/helpers';

const JWT_SECRET = new TextEncoder().encode('bot-framework-test-signing-secret-0123456789');
export const CX_BASIC = { username: 'cx-webhook', password: 'correct-horse-battery' };
export const LEX_TOKEN = 'lex-forwarder-token-000111';
export const RASA_TOKEN = 'rasa-action-token-000222';

export function botToken(sub = 'copilot-northbank'): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer('test-issuer')
    .setAudience('fsc-handoff')
    .setExpirationTime('5m')
    .sign(JWT_SECRET);
}

/** A bot authenticator like the service's: a bearer JWT, 401 otherwise. */
export const testBotAuthenticator = {
  async authenticate(
    authorization: string | undefined,
  ): Promise<{ subject: string; issuer: string; keyId: string | null; algorithm: string }> {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!token)
      throw new AppError({ code: 'AUTH_REQUIRED', status: 401, message: 'A bearer token is required.' });
    try {
      const { payload } = await jwtVerify(token, JWT_SECRET, {
        issuer: 'test-issuer',
        audience: 'fsc-handoff',
      });
      return { subject: payload.sub ?? 'unknown', issuer: 'test-issuer', keyId: null, algorithm: 'HS256' };
    } catch {
      throw new AppError({
        code: 'AUTH_INVALID_TOKEN',
        status: 401,
        message: 'The bearer token is not acceptable.',
      });
    }
  },
};

export interface SubmitCall {
  input: unknown;
  ctx: AdapterSubmitContext;
}

export function makeApp(options: { fail?: Error } = {}) {
  const calls: SubmitCall[] = [];
  const submit = (input: unknown, ctx: AdapterSubmitContext): Promise<AdapterSubmitResult> => {
    calls.push({ input, ctx });
    if (options.fail !== undefined) return Promise.reject(options.fail);
    const h = handoffRequestSchema.parse(input); // what the service validates
    const answer: HandoffAnswer = {
      handoffId: h.handoffId,
      status: 'accepted',
      statusUrl: `/v1/handoffs/${h.handoffId}`,
      caseId: null,
      caseNumber: null,
      handoffRecordId: null,
      enrichedExistingCase: false,
      routing: null,
      agent: null,
      salesforceApiCalls: 0,
      redactions: [],
      error: null,
    };
    return Promise.resolve({ outcome: 'pending', answer });
  };
  const now = () => new Date('2026-11-21T10:15:00Z');
  const app = express();
  const authenticator = testBotAuthenticator;
  app.use(botFrameworkAdapterRouter({ submit, authenticator, now }));
  app.use(
    dialogflowCxAdapterRouter({ submit, auth: sharedSecretAuthSchema.parse({ basic: [CX_BASIC] }), now }),
  );
  app.use(
    lexV2AdapterRouter({
      submit,
      auth: sharedSecretAuthSchema.parse({ tokens: [LEX_TOKEN], headerName: 'x-handoff-token' }),
      now,
    }),
  );
  app.use(rasaAdapterRouter({ submit, auth: sharedSecretAuthSchema.parse({ tokens: [RASA_TOKEN] }), now }));
  app.use(escalationRoutes({ authenticator, policy: defaultPolicy(), routing: defaultRouting(), now }));
  // stand-in for the app's central problem+json handler
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (isAppError(err) && err.status < 500) {
      res
        .status(err.status)
        .type('application/problem+json')
        .json({ status: err.status, code: err.code, detail: err.message, errors: err.errors });
      return;
    }
    res.status(500).type('application/problem+json').json({ status: 500, code: 'INTERNAL' });
  });
  return { app, calls };
}
