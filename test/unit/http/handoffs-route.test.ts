import request from 'supertest';
import { handoffAnswerSchema } from '../../../src/contract/answer';
import { problemSchema } from '../../../src/contract/problem';
import { appFixture, botToken, TEST_ISSUER } from '../../support/app-fixture';
import { cardDeclinedAbroad, handoff } from '../../support/handoff-factory';
import { neverInBudget } from '../../support/memory-deliverer';

const PROBLEM_TYPE = /^application\/problem\+json/;

describe('POST /v1/handoffs', () => {
  it('when delivered within the budget, then 201 with the case, the routing and a Location', async () => {
    const f = await appFixture();
    const body = cardDeclinedAbroad();
    const res = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .send(body);
    expect(res.status).toBe(201);
    const answer = handoffAnswerSchema.parse(res.body);
    expect(answer).toMatchObject({ handoffId: body.handoffId, status: 'routed', salesforceApiCalls: 1 });
    expect(answer.caseId).toMatch(/^500/);
    expect(answer.routing?.mode).toBe('skills_based');
    expect(answer.routing?.skills.map((s) => s.developerName)).toContain('Cards');
    expect(res.headers.location).toBe(`/v1/handoffs/${body.handoffId}`);
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('hands delivery a redacted, decided handoff and never the raw card number', async () => {
    const f = await appFixture();
    const body = handoff({
      conversation: {
        transcript: [
          { at: '2026-11-21T09:58:00Z', from: 'customer', text: 'my card is 4111 1111 1111 1111' },
        ],
      },
    });
    await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .send(body)
      .expect(201);
    const prepared = f.deliverer.submitted[0];
    expect(JSON.stringify(prepared)).not.toContain('4111 1111 1111 1111');
    expect(prepared?.redactions.length).toBeGreaterThan(0);
    expect(prepared?.evaluation?.fired.length).toBeGreaterThan(0);
    // The body's SHA-256, bound to the caller that sent it.
    expect(prepared?.bodyHash).toMatch(/^[0-9a-f]{64}\.[0-9a-f]{32}$/);
    expect(prepared?.caller).toEqual({ kind: 'jwt', issuer: TEST_ISSUER, subject: 'penny-bot' });
  });

  it('when the budget runs out, then 202 with Location and statusUrl, and GET shows it', async () => {
    const f = await appFixture({ deliver: neverInBudget });
    const body = cardDeclinedAbroad();
    const res = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .send(body);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'delivering',
      caseId: null,
      statusUrl: `/v1/handoffs/${body.handoffId}`,
    });
    expect(res.headers.location).toBe(res.body.statusUrl);
    const status = await request(f.app).get(res.body.statusUrl).set('Authorization', `Bearer ${f.token}`);
    expect(status.status).toBe(200);
    expect(status.body.handoffId).toBe(body.handoffId);
  });

  it('when the same handoff arrives twice, then 200 with the same answer and nothing new is stored', async () => {
    const f = await appFixture();
    const body = cardDeclinedAbroad();
    const first = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .send(body);
    // Key order and whitespace do not make it a different body.
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(body).reverse()), null, 2);
    const again = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .set('Content-Type', 'application/json')
      .send(reordered);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(f.deliverer.records.size).toBe(1);
  });

  it('when the same handoffId arrives with a different body, then 409 problem+json', async () => {
    const f = await appFixture();
    const body = cardDeclinedAbroad();
    await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .send(body)
      .expect(201);
    const changed = { ...body, source: { ...body.source, conversationId: 'another-conversation' } };
    const res = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .send(changed);
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
    expect(problemSchema.parse(res.body).code).toBe('HANDOFF_CONFLICT');
    expect(f.deliverer.records.size).toBe(1);
  });

  it('names every offending field in one 400', async () => {
    const f = await appFixture();
    const bad = handoff({
      intent: { escalation: { reason: 'bored' as never } },
      identity: { language: 'english!', channel: 'pigeon' as never },
    });
    (bad as Record<string, unknown>).surprise = 1;
    const res = await request(f.app).post('/v1/handoffs').set('Authorization', `Bearer ${f.token}`).send(bad);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
    const problem = problemSchema.parse(res.body);
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.errors?.map((e) => e.path)).toEqual(
      expect.arrayContaining([
        'intent.escalation.reason',
        'identity.language',
        'identity.channel',
        'surprise',
      ]),
    );
    expect(f.deliverer.submitted).toHaveLength(0);
  });

  it('refuses a missing or bad token with 401, WWW-Authenticate and no hint of the failed check', async () => {
    const f = await appFixture();
    const none = await request(f.app).post('/v1/handoffs').send(cardDeclinedAbroad());
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="fsc-handoff"');
    expect(none.body.code).toBe('AUTH_REQUIRED');
    const wrongAud = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${await botToken({ aud: 'other' })}`)
      .send(cardDeclinedAbroad());
    expect(wrongAud.status).toBe(401);
    expect(wrongAud.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(wrongAud.body.code).toBe('AUTH_INVALID_TOKEN');
    const forged = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token.slice(0, -4)}AAAA`)
      .send(cardDeclinedAbroad());
    // Wrong audience and a forged signature read the same, apart from the request id.
    expect({ ...forged.body, requestId: '' }).toEqual({ ...wrongAud.body, requestId: '' });
    expect(f.deliverer.submitted).toHaveLength(0);
  });

  it('answers 413 problem+json for a body over the limit', async () => {
    const f = await appFixture({ bodyLimitBytes: 64 * 1024 });
    const body = handoff({ operational: { collectedFields: { notes: 'x'.repeat(70 * 1024) } } });
    const res = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .send(body);
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 400 MALFORMED_JSON for broken JSON and 415 for a body that is not JSON', async () => {
    const f = await appFixture();
    const broken = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .set('Content-Type', 'application/json')
      .send('{"handoffId": "abc",');
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ code: 'MALFORMED_JSON', status: 400 });
    const text = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .set('Content-Type', 'text/plain')
      .send('hello');
    expect(text.status).toBe(415);
    expect(text.headers['content-type']).toMatch(PROBLEM_TYPE);
  });

  it('keeps a sane X-Request-Id and replaces an unsafe one', async () => {
    const f = await appFixture();
    const kept = await request(f.app).get('/healthz').set('X-Request-Id', 'bot-req-12345678');
    expect(kept.headers['x-request-id']).toBe('bot-req-12345678');
    const replaced = await request(f.app).get('/healthz').set('X-Request-Id', 'evil\tvalue <script>');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await request(f.app)
      .post('/v1/handoffs')
      .set('X-Request-Id', 'bot-req-87654321')
      .send({});
    expect(problem.body.requestId).toBe('bot-req-87654321');
  });
});

describe('GET /v1/handoffs/{id}', () => {
  it('answers 404 problem+json for an unknown id and 400 for an impossible one', async () => {
    const f = await appFixture();
    const unknown = await request(f.app)
      .get('/v1/handoffs/ho-never-seen-1')
      .set('Authorization', `Bearer ${f.token}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('HANDOFF_NOT_FOUND');
    const impossible = await request(f.app)
      .get('/v1/handoffs/%20x')
      .set('Authorization', `Bearer ${f.token}`);
    expect(impossible.status).toBe(400);
  });

  it('requires a token', async () => {
    const f = await appFixture();
    const res = await request(f.app).get('/v1/handoffs/ho-never-seen-1');
    expect(res.status).toBe(401);
  });
});

describe('the rest of the edge', () => {
  it('answers health, readiness and 404/405 as problem+json', async () => {
    const f = await appFixture();
    await request(f.app).get('/healthz').expect(200, { status: 'ok', version: 'test' });
    const ready = await request(f.app).get('/readyz');
    expect(ready.status).toBe(200);
    f.deliverer.ready = false;
    const notReady = await request(f.app).get('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body.status).toBe('not_ready');
    const missing = await request(f.app).get('/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(PROBLEM_TYPE);
    const wrongMethod = await request(f.app).delete('/v1/handoffs').set('Authorization', `Bearer ${f.token}`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
  });

  it('turns an unexpected failure into a 500 that carries the request id and no internals', async () => {
    const f = await appFixture({
      deliver: () =>
        Promise.reject(new Error('connection string postgres://admin:hunter2@db failed at /srv/app.js:12')),
    });
    const res = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .set('X-Request-Id', 'req-500-abcdefgh')
      .send(cardDeclinedAbroad());
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
    expect(res.body).toMatchObject({ code: 'INTERNAL', requestId: 'req-500-abcdefgh' });
    expect(JSON.stringify(res.body)).not.toMatch(/hunter2|postgres|app\.js/);
    expect(f.lines.join('\n')).not.toContain('hunter2');
  });
});

describe('status isolation: a handoff belongs to the bot that sent it', () => {
  it('another bot gets 404 on GET, exactly as for an unknown id; the sender reads it', async () => {
    const f = await appFixture();
    const body = cardDeclinedAbroad();
    await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .send(body)
      .expect(201);
    const other = await botToken({ sub: 'other-bot' });

    const foreign = await request(f.app)
      .get(`/v1/handoffs/${body.handoffId}`)
      .set('Authorization', `Bearer ${other}`);
    const unknown = await request(f.app)
      .get('/v1/handoffs/ho-test-never-sent-1')
      .set('Authorization', `Bearer ${other}`);
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(foreign.body.code).toBe(unknown.body.code);
    // (not a bare /500/: the random request id can hold "500")
    expect(JSON.stringify(foreign.body)).not.toMatch(/"status":500|routed|caseId/);

    const own = await request(f.app)
      .get(`/v1/handoffs/${body.handoffId}`)
      .set('Authorization', `Bearer ${f.token}`);
    expect(own.status).toBe(200);
    expect(own.body.caseId).toMatch(/^500/);
  });

  it('a replay of the same handoffId by another bot is 409 and tells nothing about the first', async () => {
    const f = await appFixture();
    const body = cardDeclinedAbroad();
    const first = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .send(body)
      .expect(201);
    const other = await botToken({ sub: 'other-bot' });
    for (const sent of [body, { ...body, intent: { ...body.intent, escalation: { reason: 'other' } } }]) {
      const res = await request(f.app)
        .post('/v1/handoffs')
        .set('Authorization', `Bearer ${other}`)
        .send(sent);
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
      expect(res.body.code).toBe('HANDOFF_CONFLICT');
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(String(first.body.caseId));
      expect(text).not.toContain('statusUrl');
      expect(text).not.toContain('GET ');
    }
    // Nothing new was stored or sent; the sender still replays it.
    expect(f.deliverer.submitted).toHaveLength(3);
    const replay = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .send(body);
    expect(replay.status).toBe(200);
    expect(replay.body.caseId).toBe(first.body.caseId);
  });
});
