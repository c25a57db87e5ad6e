import { defaultMapping, rasaAnswer, rasaToHandoff } from '../../../src/adapters';
import { answer, canonical, fixture, longText, RECEIVED_AT, refusal } from './fixtures';

const mapping = defaultMapping();
const convert = (body: unknown) => rasaToHandoff(body, { mapping, receivedAt: RECEIVED_AT });
type Request = Record<string, unknown> & {
  tracker: Record<string, unknown> & { events?: Record<string, unknown>[] };
};

describe('Rasa adapter', () => {
  it('turns an action-server request into a canonical handoff', () => {
    const h = canonical(convert(fixture('rasa/action-request-handoff.json')).input);
    expect(h.handoffId).toBe('rasa:wa-447700900123:m-0005');
    expect(h.source).toEqual({ platform: 'rasa', conversationId: 'wa-447700900123' });
    expect(h.identity).toMatchObject({
      customer: { externalId: 'NB-0033012' },
      channel: 'whatsapp',
      language: 'fr',
      verification: { verified: false, method: 'none', failedAttempts: 3 },
    });
    expect(h.operational.collectedFields).toEqual({ income_drop: 'lost my job' });
  });

  it('builds the intent history from user events: confidences, nlu_fallback, the requested slot', () => {
    const h = canonical(convert(fixture('rasa/action-request-handoff.json')).input);
    expect(h.intent.history).toEqual([
      { name: 'greet', confidence: 0.99, outcome: 'in_progress', at: '2026-11-21T10:00:10.000Z' },
      {
        name: 'hardship_request',
        confidence: 0.52,
        outcome: 'in_progress',
        entities: { product: 'loan' },
        at: '2026-11-21T10:00:40.000Z',
      },
      { name: 'nlu_fallback', confidence: 0.31, outcome: 'fallback', at: '2026-11-21T10:01:20.000Z' },
      {
        name: 'human_handoff',
        confidence: 0.97,
        outcome: 'escalated',
        entities: { account_number: null },
        at: '2026-11-21T10:02:00.500Z',
      },
    ]);
    expect(h.intent.escalation.reason).toBe('customer_requested_agent');
  });

  it('builds the transcript from user and bot events, in order', () => {
    const h = canonical(convert(fixture('rasa/action-request-handoff.json')).input);
    expect(h.conversation.transcript.map((t) => t.from)).toEqual([
      'customer',
      'bot',
      'customer',
      'bot',
      'customer',
      'bot',
      'customer',
    ]);
    expect(h.conversation.transcript[6]?.text).toBe('je veux parler à un conseiller');
  });

  it('reads an event timestamp beyond the range of a date as the time received, and refuses such a verified_at', () => {
    const body = fixture<Request>('rasa/action-request-handoff.json');
    const first = body.tracker.events?.find((e) => e.event === 'user');
    if (first) first.timestamp = 1e308;
    const h = canonical(convert(body).input);
    expect(h.intent.history[0]).toMatchObject({ name: 'greet', at: RECEIVED_AT.toISOString() });

    const slots = body.tracker.slots as Record<string, unknown>;
    Object.assign(slots, { verified: true, verification_method: 'otp', verified_at: 1e308 });
    expect(refusal(() => convert(body))).toMatchObject({ status: 400, paths: ['tracker.slots.verified_at'] });
  });

  it('accepts a bare tracker too', () => {
    const request = fixture<Request>('rasa/action-request-handoff.json');
    const h = canonical(convert(request.tracker).input);
    expect(h.source.conversationId).toBe('wa-447700900123');
    expect(h.intent.history).toHaveLength(4);
  });

  it('marks an intent followed by action_default_fallback as a fallback', () => {
    const request = fixture<Request>('rasa/action-request-handoff.json');
    request.tracker.events?.splice(6, 0, {
      event: 'action',
      name: 'action_default_fallback',
      timestamp: 1795255240.2,
    });
    const h = canonical(convert(request).input);
    expect(h.intent.history[1]).toMatchObject({ name: 'hardship_request', outcome: 'fallback' });
  });

  it('passes a transcript over 4 KB through intact', () => {
    const request = fixture<Request>('rasa/action-request-handoff.json');
    const texts = [1, 2, 3, 4, 5].map(longText);
    request.tracker.events = texts.map((text, i) => ({
      event: i % 2 ? 'bot' : 'user',
      text,
      timestamp: 1795255200 + i,
    }));
    const h = canonical(convert(request).input);
    expect(h.conversation.transcript.map((t) => t.text)).toEqual(texts);
  });

  it.each([
    ['no tracker events', (r: Request) => delete r.tracker.events, ['tracker.events']],
    [
      'an event without its type',
      (r: Request) => delete r.tracker.events![3]!.event,
      ['tracker.events.3.event'],
    ],
    [
      'a confidence above 1',
      (r: Request) =>
        ((r.tracker.events![3]!.parse_data as { intent: { confidence: number } }).intent.confidence = 5),
      ['tracker.events.3.parse_data.intent.confidence'],
    ],
    [
      'no sender',
      (r: Request) => {
        delete r.sender_id;
        delete r.tracker.sender_id;
      },
      ['sender_id'],
    ],
    [
      'a bad failed_auth_attempts slot',
      (r: Request) => ((r.tracker.slots as Record<string, unknown>).failed_auth_attempts = 'many'),
      ['tracker.slots.failed_auth_attempts'],
    ],
  ])('refuses %s with a 400 naming the field', (_what, mutate, paths) => {
    const request = fixture<Request>('rasa/action-request-handoff.json');
    mutate(request);
    expect(refusal(() => convert(request))).toMatchObject({ status: 400, paths });
  });

  it('answers with slot events and a text response', () => {
    const { reply } = convert(fixture('rasa/action-request-handoff.json'));
    expect(rasaAnswer(answer(), reply)).toEqual({
      events: [
        { event: 'slot', timestamp: null, name: 'fsc_handoff_id', value: 'ho-answer-0001' },
        { event: 'slot', timestamp: null, name: 'fsc_case_number', value: '00001042' },
        { event: 'slot', timestamp: null, name: 'fsc_handoff_status', value: 'routed' },
      ],
      responses: [{ text: "I'm connecting you with an agent now. Your reference is 00001042." }],
    });
  });
});
