import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { handoffRequestSchema } from '../../../src/contract/handoff';
import { AppError } from '../../../src/errors';
import { fixture } from '../../unit/adapters/fixtures';
import { botToken, CX_BASIC, LEX_TOKEN, makeApp, RASA_TOKEN } from './app';

const basic = `Basic ${Buffer.from(`${CX_BASIC.username}:${CX_BASIC.password}`).toString('base64')}`;

describe('POST /v1/adapters/bot-framework', () => {
  it('with a valid bot JWT, submits the canonical handoff and answers with a handoff.status event', async () => {
    const { app, calls } = makeApp();
    const res = await request(app)
      .post('/v1/adapters/bot-framework')
      .set('Authorization', `Bearer ${await botToken()}`)
      .send(fixture('bot-framework/copilot-handoff-initiate.json'));
    expect(res.status).toBe(202);
    expect(res.body.activities[0]).toMatchObject({
      type: 'event',
      name: 'handoff.status',
      value: { state: 'accepted' },
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.ctx).toMatchObject({ platform: 'bot_framework', botSubject: 'copilot-northbank' });
    expect(handoffRequestSchema.safeParse(calls[0]?.input).success).toBe(true);
  });

  it('without a token answers 401 with a Bearer challenge, and never submits', async () => {
    const { app, calls } = makeApp();
    const res = await request(app).post('/v1/adapters/bot-framework').send({});
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body.error).toEqual({ code: 'AUTH_REQUIRED', message: 'A bearer token is required.' });
    expect(calls).toHaveLength(0);
  });

  it('answers a malformed activity with a 400 naming the field, in Bot Framework error shape', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/v1/adapters/bot-framework')
      .set('Authorization', `Bearer ${await botToken()}`)
      .send({ type: 'message', conversation: { id: 'c-1' } });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({
      code: 'ADAPTER_INPUT_INVALID',
      errors: [
        { path: 'type', message: 'must be "event"' },
        { path: 'name', message: 'must be "handoff.initiate"' },
      ],
      error: { code: 'ADAPTER_INPUT_INVALID' },
    });
  });

  it('answers broken JSON with 400 and a non-JSON content type with 415, never 500', async () => {
    const { app } = makeApp();
    const token = `Bearer ${await botToken()}`;
    const broken = await request(app)
      .post('/v1/adapters/bot-framework')
      .set('Authorization', token)
      .set('Content-Type', 'application/json')
      .send('{"type": "event",');
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe('MALFORMED_JSON');
    const text = await request(app)
      .post('/v1/adapters/bot-framework')
      .set('Authorization', token)
      .type('text/plain')
      .send('hi');
    expect(text.status).toBe(415);
  });

  it('answers GET with 405 and Allow: POST', async () => {
    const { app } = makeApp();
    const res = await request(app).get('/v1/adapters/bot-framework');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });
});

describe('POST /v1/adapters/dialogflow-cx', () => {
  it('with the webhook basic credentials, answers a WebhookResponse with liveAgentHandoff', async () => {
    const { app, calls } = makeApp();
    const res = await request(app)
      .post('/v1/adapters/dialogflow-cx')
      .set('Authorization', basic)
      .send(fixture('dialogflow-cx/webhook-request-dispute.json'));
    expect(res.status).toBe(200);
    expect(res.body.fulfillmentResponse.messages[1].liveAgentHandoff.metadata).toMatchObject({
      handoffId: 'dfcx:cx-sess-88c1f0:5f0e2c61-93b4-4a8e-9d1e-2b7c4a0d7e19',
      status: 'accepted',
    });
    expect(calls[0]?.ctx).toMatchObject({ platform: 'dialogflow_cx', botSubject: 'cx-webhook' });
  });

  it('refuses a Dialogflow ES request with 400 and a Google-style error naming it', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/v1/adapters/dialogflow-cx')
      .set('Authorization', basic)
      .send(fixture('dialogflow-cx/es-v2-webhook-request.must-fail.json'));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(res.body.error.message).toMatch(/Dialogflow ES \(v2\)/);
  });

  it('refuses wrong credentials with 401 and a Basic challenge', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/v1/adapters/dialogflow-cx')
      .set('Authorization', `Basic ${Buffer.from('cx-webhook:nope').toString('base64')}`)
      .send({});
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="fsc-handoff"');
  });

  it('maps a conflict from the service (same id, other body) to 409 in Google error shape', async () => {
    const { app } = makeApp({
      fail: new AppError({
        code: 'HANDOFF_CONFLICT',
        status: 409,
        message: 'Handoff id reused with another body',
      }),
    });
    const res = await request(app)
      .post('/v1/adapters/dialogflow-cx')
      .set('Authorization', basic)
      .send(fixture('dialogflow-cx/webhook-request-dispute.json'));
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 409, status: 'ALREADY_EXISTS' });
  });

  it('lets a server-side failure go to the app error handler', async () => {
    const { app } = makeApp({ fail: new Error('store down') });
    const res = await request(app)
      .post('/v1/adapters/dialogflow-cx')
      .set('Authorization', basic)
      .send(fixture('dialogflow-cx/webhook-request-dispute.json'));
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ status: 500, code: 'INTERNAL' });
  });
});

describe('POST /v1/adapters/lex-v2', () => {
  it('with the forwarding token header, answers a Lex V2 response', async () => {
    const { app, calls } = makeApp();
    const res = await request(app)
      .post('/v1/adapters/lex-v2')
      .set('x-handoff-token', LEX_TOKEN)
      .send(fixture('lex-v2/event-confidence-score-object.json'));
    expect(res.status).toBe(200);
    expect(res.body.sessionState.dialogAction).toEqual({ type: 'Close' });
    expect(res.body.sessionState.intent).toMatchObject({ name: 'BlockCard', state: 'Fulfilled' });
    expect(res.body.messages[0].contentType).toBe('PlainText');
    expect(handoffRequestSchema.safeParse(calls[0]?.input).success).toBe(true);
  });

  it('answers a bad nluConfidence with a 400 naming it', async () => {
    const { app } = makeApp();
    const event = fixture<{ interpretations: Record<string, unknown>[] }>(
      'lex-v2/event-confidence-score-object.json',
    );
    event.interpretations[0]!.nluConfidence = 'very sure';
    const res = await request(app)
      .post('/v1/adapters/lex-v2')
      .set('Authorization', `Bearer ${LEX_TOKEN}`)
      .send(event);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { path: 'interpretations.0.nluConfidence', message: 'must be a number 0..1 or {score: number}' },
    ]);
    expect(res.body.message).toMatch(/interpretations\.0\.nluConfidence/);
  });
});

describe('POST /v1/adapters/rasa', () => {
  it('reads a gzip-compressed action-server request and answers {events, responses}', async () => {
    const { app, calls } = makeApp();
    const body = gzipSync(Buffer.from(JSON.stringify(fixture('rasa/action-request-handoff.json'))));
    const res = await request(app)
      .post('/v1/adapters/rasa')
      .set('Authorization', `Bearer ${RASA_TOKEN}`)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize((raw: unknown) => raw as string) // send the bytes as they are
      .send(body);
    expect(res.status).toBe(200);
    expect((res.body as { events: { name: string }[] }).events.map((e) => e.name)).toEqual([
      'fsc_handoff_id',
      'fsc_case_number',
      'fsc_handoff_status',
    ]);
    expect(res.body.responses).toEqual([{ text: "I'm connecting you with an agent now." }]);
    expect(calls[0]?.ctx.platform).toBe('rasa');
  });

  it('answers a corrupt gzip body with a 4xx, not a 500', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/v1/adapters/rasa')
      .set('Authorization', `Bearer ${RASA_TOKEN}`)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize((raw: unknown) => raw as string)
      .send(Buffer.from('definitely not gzip'));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('answers malformed input in the Rasa SDK error shape {error, action_name}', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/v1/adapters/rasa')
      .set('Authorization', `Bearer ${RASA_TOKEN}`)
      .send({ next_action: 'action_handoff_to_agent', sender_id: 'u1', tracker: { events: 'none' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      action_name: 'action_handoff_to_agent',
      errors: [{ path: 'tracker.events' }],
    });
    expect(res.body.error).toMatch(/tracker\.events/);
  });
});
