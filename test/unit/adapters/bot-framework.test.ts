import {
  botFrameworkAnswer,
  botFrameworkToHandoff,
  defaultMapping,
  handoffStatusActivity,
} from '../../../src/adapters';
import { answer, canonical, fixture, longText, RECEIVED_AT, refusal } from './fixtures';

const mapping = defaultMapping();
const convert = (body: unknown) => botFrameworkToHandoff(body, { mapping, receivedAt: RECEIVED_AT });

describe('Bot Framework / Copilot Studio adapter', () => {
  it('turns a handoff.initiate event into a canonical handoff', () => {
    const h = canonical(convert(fixture('bot-framework/copilot-handoff-initiate.json')).input);
    expect(h.source).toEqual({
      platform: 'bot_framework',
      botName: 'Northbank Assist',
      conversationId: 'Kq3vPz8aLm2-handoff',
    });
    expect(h.handoffId).toBe('bf:Kq3vPz8aLm2-handoff:Kq3vPz8aLm2-handoff-0000011');
    expect(h.identity).toMatchObject({
      customer: { externalId: 'NB-0048213', name: 'Priya Natarajan', segment: 'premier' },
      channel: 'web_chat',
      language: 'en-GB',
      verification: { verified: true, method: 'otp', verifiedAt: '2026-11-21T10:12:40.000Z' },
      consents: [{ type: 'call_recording', granted: true }],
    });
    expect(h.intent.history).toEqual([
      { name: 'Dispute a transaction', outcome: 'in_progress' },
      { name: 'Escalate', outcome: 'escalated' },
    ]);
    expect(h.intent.escalation.reason).toBe('customer_requested_agent');
    expect(h.intent.escalation.detail).toContain('last phrase: "I want to speak to someone please"');
    expect(h.operational.productCategory).toBe('credit_card');
    // other variables reach the agent; va_* and mapped ones do not repeat there
    expect(h.operational.collectedFields).toEqual({ disputed_merchant: 'STREAMFLIX' });
  });

  it('reads the Transcript attachment: messages only, speakers by role, times kept', () => {
    const h = canonical(convert(fixture('bot-framework/copilot-handoff-initiate.json')).input);
    expect(h.conversation.transcript.map((t) => [t.from, t.at])).toEqual([
      ['customer', '2026-11-21T10:13:05.500Z'],
      ['bot', '2026-11-21T10:13:06.100Z'],
      ['customer', '2026-11-21T10:14:40.000Z'],
    ]);
  });

  it('finds the event in a Direct Line page and reads va_LastPhrase (singular) and va_Phrases', () => {
    const { input, reply } = convert(fixture('bot-framework/direct-line-page-last-phrase.json'));
    const h = canonical(input);
    expect(h.identity.language).toBe('es-ES');
    expect(h.intent.history).toEqual([
      { name: 'Greeting', outcome: 'in_progress' },
      { name: 'Fallback', outcome: 'fallback' },
    ]);
    expect(h.intent.escalation).toEqual({
      reason: 'fallback_loop',
      detail: 'Copilot Studio topic: Fallback; last phrase: "necesito hablar con una persona"',
    });
    // no transcript attachment: the phrases are what the customer said
    expect(h.conversation.transcript.map((t) => t.text)).toEqual(['hola', 'necesito hablar con una persona']);
    expect(h.identity.verification).toMatchObject({ verified: false, method: 'none' });
    expect(reply.conversation).toEqual({ id: 'Zt81mmQ0-conv' });
  });

  it('removes control characters from topic names and refuses a conversation id of nothing else, by paths in the page', () => {
    const page = fixture<{ activities: Record<string, unknown>[] }>(
      'bot-framework/direct-line-page-last-phrase.json',
    );
    const index = page.activities.findIndex((a) => a.name === 'handoff.initiate');
    const event = page.activities[index] as { value: Record<string, unknown>; conversation: { id: string } };
    event.value.va_Topics = ['Greet\u0007ing', '\u0000', 'Fallback'];
    expect(canonical(convert(page).input).intent.history.map((i) => i.name)).toEqual([
      'Greeting',
      'Fallback',
    ]);

    event.conversation.id = '\u0000';
    event.value.verified = 'perhaps';
    expect(refusal(() => convert(page))).toMatchObject({
      status: 400,
      paths: [`activities.${index}.value.verified`, `activities.${index}.conversation.id`],
    });
  });

  it('accepts both va_LastPhrases and va_LastPhrase and gives the same detail', () => {
    const plural = fixture<{ value: Record<string, unknown> }>('bot-framework/copilot-handoff-initiate.json');
    const singular = fixture<{ value: Record<string, unknown> }>(
      'bot-framework/copilot-handoff-initiate.json',
    );
    singular.value.va_LastPhrase = singular.value.va_LastPhrases;
    delete singular.value.va_LastPhrases;
    expect(convert(singular).input.intent.escalation).toEqual(convert(plural).input.intent.escalation);
  });

  it('passes a transcript over 4 KB through intact', () => {
    const event = fixture<{ attachments: { content: { activities: Record<string, unknown>[] } }[] }>(
      'bot-framework/copilot-handoff-initiate.json',
    );
    const texts = [1, 2, 3, 4, 5, 6].map(longText);
    event.attachments[0]!.content.activities = texts.map((text, i) => ({
      type: 'message',
      timestamp: `2026-11-21T10:1${i}:00Z`,
      from: { id: 'dl_user-7731', role: 'user' },
      text,
    }));
    const h = canonical(convert(event).input);
    const joined = h.conversation.transcript.map((t) => t.text).join('');
    expect(Buffer.byteLength(joined)).toBeGreaterThan(4096);
    expect(h.conversation.transcript.map((t) => t.text)).toEqual(texts);
  });

  it('splits one message longer than a turn holds instead of cutting it', () => {
    const event = fixture<{ attachments: { content: { activities: Record<string, unknown>[] } }[] }>(
      'bot-framework/copilot-handoff-initiate.json',
    );
    const huge = 'x'.repeat(25000);
    event.attachments[0]!.content.activities = [{ type: 'message', from: { role: 'user' }, text: huge }];
    const h = canonical(convert(event).input);
    expect(h.conversation.transcript.map((t) => t.text.length)).toEqual([10000, 10000, 5000]);
    expect(h.conversation.transcript.map((t) => t.text).join('')).toBe(huge);
  });

  it.each([
    ['a message activity', { type: 'message', text: 'hi', conversation: { id: 'c1' } }, ['type', 'name']],
    ['an intra-bot handoff activity', { type: 'handoff', conversation: { id: 'c1' } }, ['type']],
    ['an event without a conversation', { type: 'event', name: 'handoff.initiate' }, ['conversation']],
    [
      'a page without handoff.initiate',
      { activities: [{ type: 'typing', conversation: { id: 'c' } }] },
      ['activities'],
    ],
    [
      'a string value',
      { type: 'event', name: 'handoff.initiate', conversation: { id: 'c1' }, value: 'x' },
      ['value'],
    ],
    ['an array body', [], ['']],
  ])('refuses %s with a 400 naming the field', (_what, body, paths) => {
    const r = refusal(() => convert(body));
    expect(r.status).toBe(400);
    expect(r.code).toBe('ADAPTER_INPUT_INVALID');
    expect(r.paths).toEqual(paths);
  });

  it('refuses a verified customer without a method or time, naming the variables', () => {
    const event = fixture<{ value: Record<string, unknown> }>('bot-framework/copilot-handoff-initiate.json');
    delete event.value.verification_method;
    delete event.value.verified_at;
    expect(refusal(() => convert(event)).paths).toEqual(['value.verification_method', 'value.verified_at']);
  });

  it('refuses attribute values of the wrong kind, all at once', () => {
    const event = fixture<{ value: Record<string, unknown> }>('bot-framework/copilot-handoff-initiate.json');
    Object.assign(event.value, {
      verified: 'perhaps',
      verification_method: 'fingerprint',
      channel: 'pigeon',
      consents: '{',
    });
    expect(refusal(() => convert(event)).paths).toEqual([
      'value.verified',
      'value.verification_method',
      'value.consents',
      'value.channel',
    ]);
  });

  it('reads the configured variable names', () => {
    const event = fixture<{ value: Record<string, unknown> }>('bot-framework/copilot-handoff-initiate.json');
    event.value.CustomerNumber = event.value.customer_id;
    delete event.value.customer_id;
    const custom = { ...mapping, attributes: { ...mapping.attributes, customerId: 'CustomerNumber' } };
    const h = canonical(botFrameworkToHandoff(event, { mapping: custom, receivedAt: RECEIVED_AT }).input);
    expect(h.identity.customer.externalId).toBe('NB-0048213');
  });

  it('answers with the handoff and a handoff.status event for the bot', () => {
    const { reply } = convert(fixture('bot-framework/copilot-handoff-initiate.json'));
    const body = botFrameworkAnswer(answer(), reply);
    expect(body).toMatchObject({ id: 'ho-answer-0001', caseNumber: '00001042', status: 'routed' });
    expect(body.activities[0]).toEqual({
      type: 'event',
      name: 'handoff.status',
      value: {
        state: 'accepted',
        message: "I'm connecting you with an agent now. Your reference is 00001042.",
      },
      conversation: { id: 'Kq3vPz8aLm2-handoff' },
      relatesTo: expect.objectContaining({ activityId: 'Kq3vPz8aLm2-handoff|0000010' }),
      channelId: 'directline',
      serviceUrl: 'https://directline.botframework.com/',
    });
    expect(botFrameworkAnswer(answer({ status: 'dead_lettered' }), reply).activities[0]?.value.state).toBe(
      'failed',
    );
  });

  it('builds handoff.status events for each state', () => {
    const reply = { conversation: { id: 'c-1' } };
    expect(handoffStatusActivity(reply, 'failed', 'timed out')).toEqual({
      type: 'event',
      name: 'handoff.status',
      value: { state: 'failed', message: 'timed out' },
      conversation: { id: 'c-1' },
    });
    expect(handoffStatusActivity(reply, 'completed').value).toEqual({ state: 'completed' });
  });
});
