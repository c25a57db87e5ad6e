/**
 * A handoff full of personal data goes through the whole app (auth, validation, decide, redact,
 * delivery, a refusal and a failure); no captured log line may hold any of those values, the token
 * or a secret.
 */
import request from 'supertest';
import { appFixture } from '../../support/app-fixture';
import { handoff } from '../../support/handoff-factory';

const PII = {
  card: '4111 1111 1111 1111',
  cardCompact: '4111111111111111',
  ssn: '123-45-6789',
  name: 'Amelia Hartley-Quinn',
  email: 'amelia.hq@example.com',
  iban: 'GB82WEST12345698765432',
  phone: '+44 7700 900123',
  cvv: 'cvv 737',
  street: '221B Baker Street',
};

function piiHandoff() {
  const text = `I am ${PII.name}, card ${PII.card}, ${PII.cvv}, SSN ${PII.ssn}, mail ${PII.email}, IBAN ${PII.iban}, phone ${PII.phone}, I live at ${PII.street}`;
  return handoff({
    identity: { customer: { externalId: 'CUST-555001', name: PII.name, linkedProducts: [] } },
    intent: { escalation: { reason: 'customer_requested_agent', detail: text } },
    operational: { collectedFields: { card: PII.cardCompact, email: PII.email, ssn: PII.ssn } },
    conversation: {
      transcript: [
        { at: '2026-11-21T09:58:00Z', from: 'customer', text },
        { at: '2026-11-21T09:58:30Z', from: 'customer', text: `my email is ${PII.email}` },
      ],
    },
  });
}

describe('logs', () => {
  it('never hold personal data, the bearer token or secrets, whatever the request did', async () => {
    const f = await appFixture({
      deliver: () =>
        Promise.reject(
          new Error(
            `Subject: data value too large: ${PII.name} ${PII.card} (max length=255) token=${'x'.repeat(5)}`,
          ),
        ),
    });
    const auth = `Bearer ${f.token}`;
    // A failure deep inside (the error message echoes customer data).
    await request(f.app).post('/v1/handoffs').set('Authorization', auth).send(piiHandoff()).expect(500);
    // A validation failure whose body is full of PII.
    const bad = piiHandoff();
    (bad.identity as Record<string, unknown>).channel = PII.email;
    (bad as Record<string, unknown>)[PII.cardCompact] = PII.ssn;
    await request(f.app).post('/v1/handoffs').set('Authorization', auth).send(bad).expect(400);
    // A refused token, and malformed JSON carrying PII.
    await request(f.app).post('/v1/handoffs').set('Authorization', `${auth}x`).send(piiHandoff()).expect(401);
    await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', auth)
      .set('Content-Type', 'application/json')
      .send(`{"name": "${PII.name}", "card": "${PII.card}"`)
      .expect(400);
    // And a good one, through delivery.
    const ok = await appFixture();
    ok.lines.length = 0;
    await request(ok.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${ok.token}`)
      .send(piiHandoff())
      .expect(201);

    const lines = [...f.lines, ...ok.lines];
    expect(lines.length).toBeGreaterThan(6);
    for (const line of lines) {
      expect(() => JSON.parse(line) as unknown).not.toThrow();
      for (const value of [...Object.values(PII), f.token, ok.token, f.token.split('.')[2] as string]) {
        expect(line).not.toContain(value);
      }
      expect(line).not.toContain('unit-test-shared-secret');
    }
    // The lines are useful all the same: request ids, codes, the handoff id.
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.every((l) => typeof l.requestId === 'string' || l.message === undefined)).toBe(true);
    expect(parsed.some((l) => l.code === 'VALIDATION_FAILED')).toBe(true);
    expect(parsed.some((l) => l.message === 'handoff submitted')).toBe(true);
  });
});
