import { conversationStateFromHandoff, evaluateEscalation, policyConfigSchema } from '../../../src/policy';
import { defaultMapping, lexV2Answer, lexV2ToHandoff } from '../../../src/adapters';
import { readConfigJson } from '../policy/helpers';
import { answer, canonical, fixture, longText, RECEIVED_AT, refusal } from './fixtures';

const mapping = defaultMapping();
const convert = (body: unknown) => lexV2ToHandoff(body, { mapping, receivedAt: RECEIVED_AT });
type Event = Record<string, unknown> & {
  interpretations: Record<string, unknown>[];
  sessionState: { sessionAttributes: Record<string, unknown> };
};

describe('Amazon Lex V2 adapter', () => {
  it('reads a numeric nluConfidence and a sentimentResponse', () => {
    const h = canonical(convert(fixture('lex-v2/event-confidence-number.json')).input);
    const current = h.intent.history[h.intent.history.length - 1];
    expect(current).toEqual({
      name: 'SendPayment',
      confidence: 0.58,
      outcome: 'escalated',
      entities: { amount: '12500', payee: null }, // payee is being elicited; reference was never asked
      at: RECEIVED_AT.toISOString(),
    });
    expect(h.conversation.sentiment).toEqual({ label: 'negative', score: -0.89 });
  });

  it('reads nluConfidence given as {score}, without a sentimentResponse', () => {
    const h = canonical(convert(fixture('lex-v2/event-confidence-score-object.json')).input);
    expect(h.intent.history).toEqual([
      {
        name: 'BlockCard',
        confidence: 0.93,
        outcome: 'escalated',
        entities: { cardType: 'debit' },
        at: RECEIVED_AT.toISOString(),
      },
    ]);
    expect(h.conversation.sentiment).toBeUndefined();
    expect(h.identity.channel).toBe('sms');
    expect(h.identity.language).toBe('en-US');
    expect(h.operational.vulnerable).toBe(true);
  });

  it('gives a FallbackIntent no confidence and the fallback outcome', () => {
    const e = fixture<Event>('lex-v2/event-confidence-score-object.json');
    const fallback = { name: 'FallbackIntent', slots: {}, state: 'InProgress', confirmationState: 'None' };
    e.interpretations = [{ intent: fallback }, ...e.interpretations];
    e.sessionState = { ...e.sessionState, intent: fallback } as Event['sessionState'];
    const h = canonical(convert(e).input);
    expect(h.intent.history).toEqual([
      { name: 'FallbackIntent', outcome: 'fallback', at: RECEIVED_AT.toISOString() },
    ]);
    expect(h.intent.escalation.reason).toBe('fallback_loop');
  });

  it('maps identity from session attributes (strings), epoch verified_at included', () => {
    const h = canonical(convert(fixture('lex-v2/event-confidence-number.json')).input);
    expect(h.identity).toMatchObject({
      customer: { externalId: 'NB-0077340', segment: 'private' },
      channel: 'voice',
      language: 'en-GB',
      verification: { verified: true, method: 'voice_id', verifiedAt: '2026-11-21T09:56:40.000Z' },
    });
    expect(h.source).toEqual({
      platform: 'lex_v2',
      botName: 'NorthbankPayments',
      conversationId: 'lex-sess-310077',
    });
    expect(h.handoffId).toBe('lex:lex-sess-310077:3b9f27c1-7d44-4e0a-9c5e-1f2a3b4c5d6e');
  });

  it('puts the kept transcript first and the current utterance last', () => {
    const h = canonical(convert(fixture('lex-v2/event-confidence-number.json')).input);
    expect(h.conversation.transcript.map((t) => [t.from, t.text])).toEqual([
      ['customer', 'I need to send 12,500 to my builder'],
      ['bot', 'Who is the payee?'],
      ['customer', 'this is useless, it still wants the payee and I gave it'],
    ]);
  });

  it('feeds the policy: low confidence twice, missing payee, frustration, high value all fire', () => {
    const h = canonical(convert(fixture('lex-v2/event-confidence-number.json')).input);
    const policy = policyConfigSchema.parse(readConfigJson('policy.json'));
    const ev = evaluateEscalation(conversationStateFromHandoff(h), policy, RECEIVED_AT);
    expect(ev.fired.map((f) => f.rule)).toEqual([
      'low-confidence-twice',
      'critical-entity-missing',
      'negative-sentiment',
      'high-value',
    ]);
  });

  it('passes a transcript over 4 KB (JSON in a session attribute) through intact', () => {
    const e = fixture<Event>('lex-v2/event-confidence-score-object.json');
    const texts = [1, 2, 3, 4, 5].map(longText);
    e.sessionState.sessionAttributes.transcript = JSON.stringify(
      texts.map((text) => ({ from: 'customer', text })),
    );
    const h = canonical(convert(e).input);
    expect(h.conversation.transcript.slice(0, 5).map((t) => t.text)).toEqual(texts);
    expect(JSON.stringify(texts).length).toBeGreaterThan(4096);
  });

  it.each([
    [
      'nluConfidence as a string',
      (e: Event) => (e.interpretations[0]!.nluConfidence = 'high'),
      ['interpretations.0.nluConfidence'],
    ],
    [
      'nluConfidence {score} above 1',
      (e: Event) => (e.interpretations[0]!.nluConfidence = { score: 9 }),
      ['interpretations.0.nluConfidence.score'],
    ],
    ['no sessionId', (e: Event) => delete e.sessionId, ['sessionId']],
    [
      'a numeric session attribute',
      (e: Event) => (e.sessionState.sessionAttributes.vip = 1),
      ['sessionState.sessionAttributes.vip'],
    ],
    [
      'a transcript attribute that is not a list',
      (e: Event) => (e.sessionState.sessionAttributes.transcript = 'hello'),
      ['sessionState.sessionAttributes.transcript'],
    ],
  ])('refuses %s with a 400 naming the field', (_what, mutate, paths) => {
    const e = fixture<Event>('lex-v2/event-confidence-score-object.json');
    mutate(e);
    expect(refusal(() => convert(e))).toMatchObject({ status: 400, paths });
  });

  it('answers with a Lex V2 response: Close, intent Fulfilled, a PlainText message, the case in session attributes', () => {
    const { reply } = convert(fixture('lex-v2/event-confidence-score-object.json'));
    expect(lexV2Answer(answer(), reply)).toEqual({
      sessionState: {
        sessionAttributes: {
          customer_id: 'NB-0100002',
          vulnerable: 'yes',
          fsc_handoff_id: 'ho-answer-0001',
          fsc_handoff_status: 'routed',
          fsc_case_number: '00001042',
        },
        dialogAction: { type: 'Close' },
        intent: {
          name: 'BlockCard',
          state: 'Fulfilled',
          confirmationState: 'Confirmed',
          slots: {
            cardType: {
              value: { originalValue: 'debit', interpretedValue: 'debit', resolvedValues: ['DEBIT'] },
            },
          },
        },
      },
      messages: [
        {
          contentType: 'PlainText',
          content: "I'm connecting you with an agent now. Your reference is 00001042.",
        },
      ],
    });
    expect(lexV2Answer(answer({ status: 'failed', caseNumber: null }), reply).sessionState.intent.state).toBe(
      'Failed',
    );
  });
});
