/**
 * Rasa: an action-server request (`{next_action, sender_id, tracker, domain, version}`) or a bare
 * tracker → the canonical handoff; an action-server response (`{events, responses}`) back.
 *
 * The intent history and the transcript come from the tracker's `user` and `bot` events; slots are the
 * session attributes. The domain is not needed, so a domain digest (Rasa Pro) is fine as it is.
 */
import { z } from 'zod';
import type { HandoffAnswer } from '../contract/answer';
import type { HandoffRequestInput } from '../contract/handoff';
import {
  ANSWER_FIELDS,
  buildHandoffInput,
  customerMessage,
  entityKey,
  entityValue,
  guessReason,
  handoffFailed,
  invalidInput,
  isoTime,
  objectOrUndefined,
  stableHandoffId,
  turns,
  zodProblems,
} from './common';
import type { AdapterMapping } from './mapping';

const LABEL = 'Rasa action-server request';

const intentSchema = z.looseObject({
  name: z.string().nullish(),
  confidence: z.number().min(0).max(1).nullish(),
});
const parseDataSchema = z.looseObject({
  intent: intentSchema.nullish(),
  entities: z.array(z.looseObject({ entity: z.string(), value: z.unknown().optional() })).nullish(),
});
const eventSchema = z.looseObject({
  event: z.string(),
  timestamp: z.number().nullish(),
  text: z.string().nullish(),
  name: z.string().nullish(),
  value: z.unknown().optional(),
  parse_data: parseDataSchema.nullish(),
  input_channel: z.string().nullish(),
  message_id: z.string().nullish(),
});
const trackerSchema = z.looseObject({
  sender_id: z.string().min(1).optional(),
  slots: z.record(z.string(), z.unknown()).nullish(),
  latest_message: parseDataSchema
    .extend({ text: z.string().nullish(), message_id: z.string().nullish() })
    .nullish(),
  latest_event_time: z.number().nullish(),
  latest_input_channel: z.string().nullish(),
  events: z.array(eventSchema),
});
const requestSchema = z.looseObject({
  next_action: z.string().min(1).optional(),
  sender_id: z.string().min(1).optional(),
  tracker: trackerSchema,
  version: z.string().optional(),
});

export interface RasaReplyContext {
  nextAction: string | undefined;
}

const FALLBACK_ACTIONS = /^(action_default_fallback|action_two_stage_fallback|utter_default)$/;

/** The canonical handoff for a Rasa call, and what the answer needs. */
export function rasaToHandoff(
  body: unknown,
  options: { mapping: AdapterMapping; receivedAt: Date },
): { input: HandoffRequestInput; reply: RasaReplyContext } {
  const obj = objectOrUndefined(body);
  if (!obj) throw invalidInput(LABEL, [{ path: '', message: 'body must be a JSON object' }]);
  type Tracker = z.infer<typeof trackerSchema>;
  let tracker: Tracker;
  let nextAction: string | undefined;
  let senderId: string | undefined;
  if (obj.tracker !== undefined || obj.next_action !== undefined) {
    const parsed = requestSchema.safeParse(obj);
    if (!parsed.success) throw invalidInput(LABEL, zodProblems(parsed.error));
    tracker = parsed.data.tracker;
    nextAction = parsed.data.next_action;
    senderId = parsed.data.sender_id ?? tracker.sender_id;
  } else {
    const parsed = trackerSchema.safeParse(obj);
    if (!parsed.success) throw invalidInput(LABEL, zodProblems(parsed.error));
    tracker = parsed.data;
    senderId = tracker.sender_id;
  }
  if (!senderId) throw invalidInput(LABEL, [{ path: 'sender_id', message: 'required (the conversation)' }]);
  const received = options.receivedAt.toISOString();

  const history: NonNullable<HandoffRequestInput['intent']['history']> = [];
  const transcript: ReturnType<typeof turns> = [];
  let lastMessageId: string | undefined;
  let channel: string | undefined;
  let userEvents = 0;
  for (const ev of tracker.events) {
    const at = isoTime(ev.timestamp ?? undefined) ?? received;
    if (ev.event === 'user') {
      userEvents += 1;
      if (ev.text) transcript.push(...turns(at, 'customer', ev.text));
      lastMessageId = ev.message_id ?? lastMessageId;
      channel = ev.input_channel ?? channel;
      const intent = ev.parse_data?.intent;
      if (intent?.name) {
        const entities: Record<string, string | number | boolean | null> = {};
        for (const en of ev.parse_data?.entities ?? []) {
          const v = entityValue(en.value ?? null);
          if (v !== undefined) entities[entityKey(en.entity)] = v;
        }
        history.push({
          name: intent.name.slice(0, 255),
          ...(typeof intent.confidence === 'number' ? { confidence: intent.confidence } : {}),
          outcome: intent.name === 'nlu_fallback' ? 'fallback' : 'in_progress',
          ...(Object.keys(entities).length > 0 ? { entities } : {}),
          at,
        });
      }
    } else if (ev.event === 'bot') {
      if (ev.text) transcript.push(...turns(at, 'bot', ev.text));
    } else if (ev.event === 'action' && ev.name && FALLBACK_ACTIONS.test(ev.name)) {
      const last = history[history.length - 1];
      if (last) last.outcome = 'fallback';
    } else if (ev.event === 'restart' || ev.event === 'session_started') {
      // a new session: earlier turns belong to an earlier conversation
      history.length = 0;
      transcript.length = 0;
    }
  }
  const lm = tracker.latest_message;
  if (history.length === 0 && lm?.intent?.name) {
    history.push({
      name: lm.intent.name.slice(0, 255),
      ...(typeof lm.intent.confidence === 'number' ? { confidence: lm.intent.confidence } : {}),
      outcome: lm.intent.name === 'nlu_fallback' ? 'fallback' : 'in_progress',
      at: received,
    });
    if (lm.text && userEvents === 0) transcript.push(...turns(received, 'customer', lm.text));
  }

  const slots = tracker.slots ?? {};
  const last = history[history.length - 1];
  if (last) {
    if (last.outcome !== 'fallback') last.outcome = 'escalated';
    const requested = slots.requested_slot;
    if (typeof requested === 'string' && (slots[requested] === null || slots[requested] === undefined)) {
      last.entities = { ...(last.entities ?? {}), [entityKey(requested)]: null };
    }
  }

  const input = buildHandoffInput(
    {
      platform: 'rasa',
      label: LABEL,
      handoffId: stableHandoffId(
        'rasa',
        senderId,
        lastMessageId ?? lm?.message_id ?? String(tracker.latest_event_time ?? tracker.events.length),
      ),
      conversationId: senderId,
      conversationIdPath: 'sender_id',
      attributes: slots,
      attributesPath: 'tracker.slots',
      history,
      transcript,
      ...((tracker.latest_input_channel ?? channel)
        ? { channelHint: tracker.latest_input_channel ?? channel }
        : {}),
      defaultReason: guessReason(history),
      escalationDetail: `Rasa${nextAction ? ` action ${nextAction}` : ''}${last ? `; intent ${last.name}` : ''}`,
      receivedAt: options.receivedAt,
      consumed: ['requested_slot', 'session_started_metadata', 'session_start_metadata'],
    },
    options.mapping,
  );
  return { input, reply: { nextAction } };
}

/** Slots the answer sets; declare them in the domain to keep them. */
export const RASA_ANSWER_SLOTS = ANSWER_FIELDS;

export interface RasaActionResponse {
  events: { event: 'slot'; timestamp: null; name: string; value: string | null }[];
  responses: { text: string }[];
}

/** The action-server response: slots with the handoff and case, and a message for the customer. */
export function rasaAnswer(answer: HandoffAnswer, _reply: RasaReplyContext): RasaActionResponse {
  const failed = handoffFailed(answer.status);
  return {
    events: [
      { event: 'slot', timestamp: null, name: RASA_ANSWER_SLOTS.handoffId, value: answer.handoffId },
      { event: 'slot', timestamp: null, name: RASA_ANSWER_SLOTS.caseNumber, value: answer.caseNumber },
      { event: 'slot', timestamp: null, name: RASA_ANSWER_SLOTS.status, value: answer.status },
    ],
    responses: [{ text: customerMessage(answer.caseNumber, failed) }],
  };
}
