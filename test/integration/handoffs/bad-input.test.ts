/**
 * Each class of bad input, over real HTTP against the emulated org: a problem+json answer that says
 * what is wrong, and nothing written to Salesforce (the emulator counts no call).
 */
import type { Problem } from '../../../src/contract/problem';
import { cardDeclinedAbroad, handoff } from '../../support/handoff-factory';
import { startHarness, type Harness } from '../../support/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ config: { delivery: { agentPoll: { enabled: false } } } });
  // Log in and resolve ids once, so the counter below only moves for handoffs.
  const warm = await h.post({
    ...cardDeclinedAbroad(),
    identity: {
      ...cardDeclinedAbroad().identity,
      customer: { externalId: 'CUST-100001', linkedProducts: [] },
    },
  });
  expect(warm.status).toBe(201);
});
afterAll(async () => {
  await h?.close();
});

beforeEach(() => h.emulator.resetCalls());
afterEach(() => {
  // Nothing a refused request does reaches the org.
  const calls = h.emulator.calls();
  expect((calls.total ?? 0) - (calls.oauth ?? 0)).toBe(0);
});

async function problemOf(res: Response): Promise<Problem> {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await res.json()) as Problem;
}

describe('bad input over real HTTP', () => {
  it('authentication: missing, expired, wrong audience and forged tokens get 401 with a challenge', async () => {
    const body = JSON.stringify(cardDeclinedAbroad());
    const send = (auth?: string) =>
      fetch(`${h.baseUrl}/v1/handoffs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) },
        body,
      });
    const missing = await send();
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect((await problemOf(missing)).code).toBe('AUTH_REQUIRED');
    const tokens = [
      await h.tokenFor({ expiresIn: '-5m' }),
      await h.tokenFor({ aud: 'someone-else' }),
      `${h.token.slice(0, h.token.lastIndexOf('.'))}.${'A'.repeat(43)}`,
    ];
    for (const t of tokens) {
      const res = await send(`Bearer ${t}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect((await problemOf(res)).code).toBe('AUTH_INVALID_TOKEN');
    }
  });

  it('validation: 400 naming every offending field', async () => {
    const bad = handoff({
      handoffId: 'x',
      intent: { escalation: { reason: 'bored' as never } },
      identity: { language: 'english!', channel: 'pigeon' as never },
    });
    const res = await h.post(bad);
    expect(res.status).toBe(400);
    const problem = await problemOf(res);
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(
      ['handoffId', 'identity.channel', 'identity.language', 'intent.escalation.reason'].sort(),
    );
    expect(problem.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('conflict: the same handoffId with a different body gets 409 and the original stands', async () => {
    const body = {
      ...cardDeclinedAbroad(),
      identity: {
        ...cardDeclinedAbroad().identity,
        customer: { externalId: 'CUST-100002', linkedProducts: [] },
      },
    };
    const first = await h.post(body);
    expect(first.status).toBe(201);
    h.emulator.resetCalls();
    const changed = { ...body, intent: { ...body.intent, escalation: { reason: 'other' as const } } };
    const res = await h.post(changed);
    expect(res.status).toBe(409);
    expect((await problemOf(res)).code).toBe('HANDOFF_CONFLICT');
    const cases = await h
      .connection()
      .query(`SELECT Escalation_Reason__c FROM Case WHERE Handoff_Id__c = '${body.handoffId}'`);
    expect(cases.records).toEqual([
      expect.objectContaining({ Escalation_Reason__c: 'customer_requested_agent' }),
    ]);
    h.emulator.resetCalls();
  });

  it('oversized: a body over 2 MB gets 413', async () => {
    const big = handoff({ operational: { collectedFields: { notes: 'x'.repeat(2.5 * 1024 * 1024) } } });
    const res = await h.post(big);
    expect(res.status).toBe(413);
    expect((await problemOf(res)).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('malformed JSON gets 400 and a body that is not JSON gets 415', async () => {
    const broken = await h.post('{"handoffId": "ho-broken-0001", ');
    expect(broken.status).toBe(400);
    expect((await problemOf(broken)).code).toBe('MALFORMED_JSON');
    const text = await h.post('hello', { headers: { 'Content-Type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect((await problemOf(text)).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('is ready against the emulator, and serves its OpenAPI document', async () => {
    const ready = await fetch(`${h.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    const doc = (await (await fetch(`${h.baseUrl}/openapi.json`)).json()) as { openapi: string };
    expect(doc.openapi).toBe('3.1.0');
  });

  it('an unknown handoff id gets 404', async () => {
    const res = await h.get('/v1/handoffs/ho-does-not-exist-1');
    expect(res.status).toBe(404);
    expect((await problemOf(res)).code).toBe('HANDOFF_NOT_FOUND');
  });
});
