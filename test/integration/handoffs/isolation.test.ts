/**
 * Status isolation over real HTTP against the emulated org: a handoff belongs to the bot that sent it.
 * Another bot's GET is 404 (as for an unknown id); its POST of the same handoffId is 409 and reveals
 * nothing of the first answer; nothing new reaches the org.
 */
import type { HandoffAnswer } from '../../../src/contract/answer';
import { handoff } from '../../support/handoff-factory';
import { startHarness, type Harness } from '../../support/harness';

describe('a handoff belongs to the bot that sent it', () => {
  let h: Harness;
  let other: string;

  const as = (token: string, path: string, body?: unknown) =>
    fetch(`${h.baseUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    h = await startHarness({ config: { delivery: { agentPoll: { enabled: false } } } });
    other = await h.tokenFor({ sub: 'another-bot' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('when another bot asks for its status or replays its id, then 404 and 409 without the answer', async () => {
    const body = handoff();
    const res = await h.post(body);
    expect(res.status).toBe(201);
    const answer = (await res.json()) as HandoffAnswer;

    const foreign = await as(other, answer.statusUrl);
    const unknown = await as(other, '/v1/handoffs/ho-test-never-sent-0001');
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    const foreignBody = (await foreign.json()) as Record<string, unknown>;
    const unknownBody = (await unknown.json()) as Record<string, unknown>;
    expect(foreignBody.code).toBe(unknownBody.code);

    const before = h.emulator.calls()['composite/graph'] ?? 0;
    const replay = await as(other, '/v1/handoffs', body);
    expect(replay.status).toBe(409);
    const text = await replay.text();
    expect(text).not.toContain(answer.caseId!);
    expect(text).not.toContain('statusUrl');
    expect(h.emulator.calls()['composite/graph'] ?? 0).toBe(before);

    // The sender still reads and replays it.
    expect((await h.get(answer.statusUrl)).status).toBe(200);
    const again = await h.post(body);
    expect(again.status).toBe(200);
    expect(((await again.json()) as HandoffAnswer).caseId).toBe(answer.caseId);
  });
});
