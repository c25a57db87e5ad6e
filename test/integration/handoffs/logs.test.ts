/**
 * The whole stack (HTTP, service, durable delivery, the Salesforce client, the agent poller) at debug
 * level, against the emulated org: no log line holds the customer's personal data, the bot's token
 * or the Salesforce credentials.
 */
import type { HandoffAnswer } from '../../../src/contract/answer';
import { handoff } from '../../support/handoff-factory';
import { eventually, startHarness, type Harness } from '../../support/harness';

const PII = {
  card: '4111 1111 1111 1111',
  ssn: '123-45-6789',
  email: 'tomasz.k@example.com',
  iban: 'GB82WEST12345698765432',
  street: '221B Baker Street',
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ logLevel: 'debug' });
});
afterAll(async () => {
  await h?.close();
});

it('keeps personal data, tokens and keys out of every log line of a real delivery', async () => {
  const text = `card ${PII.card}, SSN ${PII.ssn}, mail ${PII.email}, IBAN ${PII.iban}, I live at ${PII.street}`;
  const body = handoff({
    identity: { customer: { externalId: 'CUST-100002', name: 'Tomasz Kowalczyk', linkedProducts: [] } },
    intent: { escalation: { reason: 'customer_requested_agent', detail: text } },
    operational: { collectedFields: { note: text } },
    conversation: { transcript: [{ at: '2026-11-21T09:58:00Z', from: 'customer', text }] },
  });
  const res = await h.post(body);
  expect(res.status).toBe(201);
  const answer = (await res.json()) as HandoffAnswer;
  // Let the agent poller run too.
  await eventually(async () => {
    const s = (await (await h.get(answer.statusUrl)).json()) as HandoffAnswer;
    return s.status === 'agent_assigned';
  });
  // And a refused one, whose body is full of PII.
  await h.post({ ...body, identity: { ...body.identity, channel: PII.email } });

  expect(h.logs.length).toBeGreaterThan(3);
  const secrets = [
    ...Object.values(PII),
    h.token,
    h.token.split('.')[2] as string,
    'Tomasz Kowalczyk',
    h.config.salesforce.privateKey?.split('\n')[1] as string,
  ];
  for (const line of h.logs) {
    for (const s of secrets) expect(line).not.toContain(s);
  }
  const parsed = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(parsed.filter((l) => l.message === 'request').every((l) => typeof l.requestId === 'string')).toBe(
    true,
  );
});
