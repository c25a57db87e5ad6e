/** The adapter and escalation mounts, in the service's own app (createApp), with a fake service. */
import request from 'supertest';
import { sharedSecretAuthSchema } from '../../../src/adapters';
import type { HandoffAnswer } from '../../../src/contract/answer';
import { handoffRequestSchema } from '../../../src/contract/handoff';
import { createApp } from '../../../src/http/app';
import { adapterMounts, escalationMount } from '../../../src/http/routes/adapters';
import { createSilentLogger } from '../../../src/log';
import type { HandoffService } from '../../../src/service';
import { fixture } from '../../unit/adapters/fixtures';
import { defaultPolicy, defaultRouting } from '../../unit/policy/helpers';
import { botToken, testBotAuthenticator, LEX_TOKEN } from './app';

function fakeService(): HandoffService & { submitted: unknown[] } {
  const submitted: unknown[] = [];
  return {
    submitted,
    submit(raw) {
      submitted.push(raw);
      const h = handoffRequestSchema.parse(raw);
      const answer: HandoffAnswer = {
        handoffId: h.handoffId,
        status: 'routed',
        statusUrl: `/v1/handoffs/${h.handoffId}`,
        caseId: '500000000000002AAA',
        caseNumber: '00001043',
        handoffRecordId: 'a01000000000002AAA',
        enrichedExistingCase: false,
        routing: null,
        agent: null,
        salesforceApiCalls: 1,
        redactions: [],
        error: null,
      };
      return Promise.resolve({ outcome: 'delivered', answer });
    },
    status: () => Promise.reject(new Error('not used')),
    readiness: () => Promise.resolve([]),
  };
}

function app(service: HandoffService) {
  return createApp({
    version: 'test',
    server: { bodyLimitBytes: 1_000_000 },
    handoffs: service,
    authenticator: testBotAuthenticator,
    logger: createSilentLogger(),
    mounts: [
      ...adapterMounts({ secrets: { lexV2: sharedSecretAuthSchema.parse({ tokens: [LEX_TOKEN] }) } }),
      escalationMount({ policy: defaultPolicy(), routing: defaultRouting() }),
    ],
  });
}

describe('adapter mounts in createApp', () => {
  it('serves Bot Framework with the service bot authenticator: 201 when delivered', async () => {
    const service = fakeService();
    const res = await request(app(service))
      .post('/v1/adapters/bot-framework')
      .set('Authorization', `Bearer ${await botToken()}`)
      .send(fixture('bot-framework/copilot-handoff-initiate.json'));
    expect(res.status).toBe(201);
    expect(res.body.caseNumber).toBe('00001043');
    expect(res.headers['x-request-id']).toBeDefined();
    expect(service.submitted).toHaveLength(1);
  });

  it('serves Lex with its secret and leaves Dialogflow CX and Rasa unmounted without one', async () => {
    const a = app(fakeService());
    const lex = await request(a)
      .post('/v1/adapters/lex-v2')
      .set('Authorization', `Bearer ${LEX_TOKEN}`)
      .send(fixture('lex-v2/event-confidence-score-object.json'));
    expect(lex.status).toBe(200);
    expect(lex.body.sessionState.sessionAttributes.fsc_case_number).toBe('00001043');
    const cx = await request(a).post('/v1/adapters/dialogflow-cx').send({});
    expect(cx.status).toBe(404);
  });

  it('answers a malformed Lex event with a 400 problem carrying the app request id', async () => {
    const res = await request(app(fakeService()))
      .post('/v1/adapters/lex-v2')
      .set('Authorization', `Bearer ${LEX_TOKEN}`)
      .set('X-Request-Id', 'req-lex-malformed-1')
      .send({ sessionState: {} });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ requestId: 'req-lex-malformed-1', errors: [{ path: 'sessionId' }] });
  });

  it('serves the escalation evaluation; an invalid state is a problem+json 400 from the app handler', async () => {
    const a = app(fakeService());
    const token = `Bearer ${await botToken()}`;
    const ok = await request(a)
      .post('/v1/escalations/evaluate')
      .set('Authorization', token)
      .send({ transfers: 2 });
    expect(ok.body).toMatchObject({ handoff: true, recommendation: { queue: 'Handoff_Senior' } });
    const bad = await request(a)
      .post('/v1/escalations/evaluate')
      .set('Authorization', token)
      .send({ transfers: 'two' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.body.errors).toEqual([{ path: 'transfers', message: expect.any(String) }]);
  });
});
