import { defaultMapping, dialogflowCxAnswer, dialogflowCxToHandoff } from '../../../src/adapters';
import { answer, canonical, fixture, longText, RECEIVED_AT, refusal } from './fixtures';

const mapping = defaultMapping();
const convert = (body: unknown) => dialogflowCxToHandoff(body, { mapping, receivedAt: RECEIVED_AT });

describe('Dialogflow CX adapter', () => {
  it('turns a WebhookRequest into a canonical handoff', () => {
    const h = canonical(convert(fixture('dialogflow-cx/webhook-request-dispute.json')).input);
    expect(h.handoffId).toBe('dfcx:cx-sess-88c1f0:5f0e2c61-93b4-4a8e-9d1e-2b7c4a0d7e19');
    expect(h.source).toEqual({
      platform: 'dialogflow_cx',
      botName: '7c1d9a44-0b1e-4f55-a3c2-0d2f7b9e1a10',
      conversationId: 'cx-sess-88c1f0',
    });
    expect(h.identity).toMatchObject({
      customer: { externalId: 'NB-0091157', segment: 'retail' },
      language: 'en-GB',
      verification: { verified: true, method: 'pin', failedAttempts: 1 },
    });
    expect(h.operational.collectedFields).toEqual({ card_type: 'credit' });
  });

  it('reads intentInfo displayName and confidence, parameters and the form state', () => {
    const h = canonical(convert(fixture('dialogflow-cx/webhook-request-dispute.json')).input);
    expect(h.intent.history).toEqual([
      {
        name: 'transaction.dispute',
        confidence: 0.71,
        outcome: 'escalated',
        // resolvedValue wins; an amount object becomes its amount; a required INVALID form parameter is null
        entities: { merchant: 'STREAMFLIX', amount: 79.99, transaction_date: null },
        at: RECEIVED_AT.toISOString(),
      },
    ]);
  });

  it('reads the flat sentimentAnalysisResult {score, magnitude}', () => {
    const h = canonical(convert(fixture('dialogflow-cx/webhook-request-dispute.json')).input);
    expect(h.conversation.sentiment).toEqual({ label: 'negative', score: -0.6 });
    const mixed = fixture<Record<string, unknown>>('dialogflow-cx/webhook-request-dispute.json');
    mixed.sentimentAnalysisResult = { score: 0.1, magnitude: 2.5 };
    expect(convert(mixed).input.conversation?.sentiment).toEqual({ label: 'mixed', score: 0.1 });
  });

  it('takes the customer text and the bot messages of the turn as transcript', () => {
    const h = canonical(convert(fixture('dialogflow-cx/webhook-request-dispute.json')).input);
    expect(h.conversation.transcript.map((t) => [t.from, t.text])).toEqual([
      ['customer', 'it was last tuesday or maybe wednesday, I do not know'],
      ['bot', 'Let me get a colleague to look at this dispute.'],
    ]);
  });

  it('refuses a Dialogflow ES (v2) request by name', () => {
    const r = refusal(() => convert(fixture('dialogflow-cx/es-v2-webhook-request.must-fail.json')));
    expect(r.status).toBe(400);
    expect(r.message).toMatch(/Dialogflow ES \(v2\) WebhookRequest \(queryResult\)/);
    expect(r.paths).toEqual(['queryResult']);
  });

  it('passes a transcript over 4 KB through intact (kept in a session parameter)', () => {
    const req = fixture<{ sessionInfo: { parameters: Record<string, unknown> } }>(
      'dialogflow-cx/webhook-request-dispute.json',
    );
    const texts = [1, 2, 3, 4, 5].map(longText);
    req.sessionInfo.parameters.transcript = texts.map((text, i) => ({
      from: i % 2 ? 'bot' : 'user',
      text,
      at: `2026-11-21T10:0${i}:00Z`,
    }));
    const h = canonical(convert(req).input);
    expect(h.conversation.transcript.slice(0, 5).map((t) => t.text)).toEqual(texts);
    expect(texts.join('').length).toBeGreaterThan(4096);
    expect(h.operational.collectedFields).not.toHaveProperty('transcript');
  });

  it('reads earlier intents from the intent_history parameter, so the policy sees low confidence twice', () => {
    const req = fixture<{ sessionInfo: { parameters: Record<string, unknown> } }>(
      'dialogflow-cx/webhook-request-dispute.json',
    );
    req.sessionInfo.parameters.intent_history = [
      { name: 'transaction.dispute', confidence: 0.44, outcome: 'fallback' },
    ];
    const h = canonical(convert(req).input);
    expect(h.intent.history.map((i) => i.confidence)).toEqual([0.44, 0.71]);
  });

  it.each([
    ['no sessionInfo', (r: Record<string, unknown>) => delete r.sessionInfo, ['sessionInfo']],
    [
      'a session that is not a session path',
      (r: Record<string, unknown>) => ((r.sessionInfo as Record<string, unknown>).session = 'cx-sess-1'),
      ['sessionInfo.session'],
    ],
    [
      'a confidence of 71',
      (r: Record<string, unknown>) => ((r.intentInfo as Record<string, unknown>).confidence = 71),
      ['intentInfo.confidence'],
    ],
    [
      'a sentiment score out of range',
      (r: Record<string, unknown>) => (r.sentimentAnalysisResult = { score: -3 }),
      ['sentimentAnalysisResult.score'],
    ],
  ])('refuses %s with a 400 naming the field', (_what, mutate, paths) => {
    const req = fixture<Record<string, unknown>>('dialogflow-cx/webhook-request-dispute.json');
    mutate(req);
    expect(refusal(() => convert(req))).toMatchObject({ status: 400, paths });
  });

  it('ignores fields it does not know (Google may add some)', () => {
    const req = fixture<Record<string, unknown>>('dialogflow-cx/webhook-request-dispute.json');
    req.someFutureField = { nested: true };
    expect(() => canonical(convert(req).input)).not.toThrow();
  });

  it('answers with a liveAgentHandoff message carrying the case, and a text for the customer', () => {
    const { reply } = convert(fixture('dialogflow-cx/webhook-request-dispute.json'));
    const body = dialogflowCxAnswer(answer(), reply);
    expect(body.fulfillmentResponse.messages).toEqual([
      { text: { text: ["I'm connecting you with an agent now. Your reference is 00001042."] } },
      {
        liveAgentHandoff: {
          metadata: {
            handoffId: 'ho-answer-0001',
            status: 'routed',
            caseId: '500000000000001AAA',
            caseNumber: '00001042',
            statusUrl: '/v1/handoffs/ho-answer-0001',
            queue: null,
            skills: ['Disputes'],
            priority: 2,
            urgency: 'high',
          },
        },
      },
    ]);
    expect(body.sessionInfo.parameters).toEqual({
      fsc_handoff_id: 'ho-answer-0001',
      fsc_case_number: '00001042',
      fsc_handoff_status: 'routed',
    });
  });
});
