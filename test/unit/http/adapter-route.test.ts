/**
 * The shared adapter route (src/http/routes/adapters/adapter-route.ts): the platform's body is let go
 * once the handoff is on its way, and an error answered after that still carries the platform's
 * own error members.
 */
import express, { type RequestHandler } from 'express';
import request from 'supertest';
import type { HandoffAnswer } from '../../../src/contract/answer';
import type { HandoffRequestInput } from '../../../src/contract/handoff';
import { AppError } from '../../../src/errors';
import {
  createAdapterRoute,
  type AdapterSubmitResult,
} from '../../../src/http/routes/adapters/adapter-route';
import { collectGarbage, gate } from '../../support/gc';

const PATH = '/adapters/test';

/** Parses the body itself (as express.json would) and keeps only a WeakRef to what it parsed. */
function weaklyWatchedBody(): { jsonBody: RequestHandler; parsed: WeakRef<object>[] } {
  const parsed: WeakRef<object>[] = [];
  const jsonBody: RequestHandler = (req, _res, next) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text) as object;
      parsed.push(new WeakRef(body));
      req.body = body;
      next();
    });
  };
  return { jsonBody, parsed };
}

function app(submit: (input: unknown) => Promise<AdapterSubmitResult>, jsonBody: RequestHandler) {
  const a = express();
  a.use(
    createAdapterRoute<string>({
      path: PATH,
      platform: 'rasa',
      challenge: 'Bearer',
      authenticate: () => Promise.resolve({ subject: 'bot' }),
      submit,
      toHandoff: (body) => ({
        // A stand-in: the fake submit never reads it.
        input: { copied: JSON.stringify(body) } as unknown as HandoffRequestInput,
        reply: String((body as { next_action?: unknown }).next_action),
      }),
      answer: (result, reply) => ({ status: 200, body: { reply, handoffId: result.answer.handoffId } }),
      errorContext: (body) => (body as { next_action?: unknown }).next_action,
      nativeError: (p, context) => ({ error: p.detail, action_name: context ?? null }),
      jsonBody,
    }),
  );
  return a;
}

const answer = { handoffId: 'ho-1' } as HandoffAnswer;

describe('adapter route', () => {
  it('does not hold the platform’s body while the handoff is delivered', async () => {
    const held = gate();
    const watched = weaklyWatchedBody();
    let submitted = (): void => undefined;
    const inSubmit = new Promise<void>((resolve) => (submitted = resolve));
    const a = app(async () => {
      submitted();
      await held.opened;
      return { answer, outcome: 'delivered' };
    }, watched.jsonBody);
    const res = request(a)
      .post(PATH)
      .set('Content-Type', 'application/json')
      .send({ next_action: 'action_handoff', transcript: 'x'.repeat(10_000) })
      .then((r) => r);
    await inSubmit;
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    let released: boolean;
    try {
      expect(watched.parsed).toHaveLength(1);
      released = watched.parsed[0]?.deref() === undefined;
    } finally {
      held.open(); // the answer goes out whatever was found, so a failure ends the test
    }
    const done = await res;
    expect(released).toBe(true);
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ reply: 'action_handoff', handoffId: 'ho-1' });
  });

  it('answers an error raised during delivery in the platform’s shape, from what it kept of the body', async () => {
    const watched = weaklyWatchedBody();
    const a = app(
      () =>
        Promise.reject(
          new AppError({
            code: 'HANDOFF_CONFLICT',
            status: 409,
            message: 'Handoff id ho-1 is already in use.',
          }),
        ),
      watched.jsonBody,
    );
    const res = await request(a)
      .post(PATH)
      .set('Content-Type', 'application/json')
      .send({ next_action: 'action_handoff' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      code: 'HANDOFF_CONFLICT',
      error: 'Handoff id ho-1 is already in use.',
      action_name: 'action_handoff',
    });
  });
});
