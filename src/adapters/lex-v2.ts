/**
 * Amazon Lex V2: the Lambda input event (forwarded by a Lambda or API Gateway) → the canonical handoff;
 * a Lex V2 Lambda response (dialogAction Close, intent state, PlainText messages) back.
 *
 * `nluConfidence` is a number in the AWS documentation and a `{score}` object in aws-lambda-go: both are
 * read. A FallbackIntent interpretation has none. `sentimentResponse` is there only when enabled.
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
  isFallbackName,
  objectOrUndefined,
  stableHandoffId,
  turns,
  zodProblems,
} from './common';
import type { AdapterMapping } from './mapping';

const LABEL = 'Amazon Lex V2 Lambda input event';

const confidence = z.union([z.number().min(0).max(1), z.looseObject({ score: z.number().min(0).max(1) })], {
  error: 'must be a number 0..1 or {score: number}',
});

const slotValue = z.looseObject({
  originalValue: z.string().optional(),
  interpretedValue: z.string().optional(),
  resolvedValues: z.array(z.string()).optional(),
});
const slotSchema = z
  .looseObject({ value: slotValue.optional(), values: z.array(z.unknown()).optional() })
  .nullable();
const intentSchema = z.looseObject({
  name: z.string().min(1),
  slots: z.record(z.string(), slotSchema).optional(),
  state: z.string().optional(),
  confirmationState: z.string().optional(),
});
const dialogActionSchema = z.looseObject({
  type: z.string().optional(),
  slotToElicit: z.string().optional(),
});

const eventSchema = z.looseObject({
  messageVersion: z.string().optional(),
  invocationSource: z.string().optional(),
  inputMode: z.string().optional(),
  sessionId: z.string().min(1),
  inputTranscript: z.string().optional(),
  bot: z
    .looseObject({ name: z.string().optional(), localeId: z.string().optional(), id: z.string().optional() })
    .optional(),
  interpretations: z
    .array(
      z.looseObject({
        intent: intentSchema,
        nluConfidence: confidence.optional(),
        sentimentResponse: z
          .looseObject({
            sentiment: z.string(),
            sentimentScore: z
              .looseObject({
                positive: z.number().optional(),
                negative: z.number().optional(),
                neutral: z.number().optional(),
                mixed: z.number().optional(),
              })
              .optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  proposedNextState: z.looseObject({ dialogAction: dialogActionSchema.optional() }).optional(),
  requestAttributes: z.record(z.string(), z.string()).optional(),
  sessionState: z.looseObject({
    sessionAttributes: z.record(z.string(), z.string()).optional(),
    intent: intentSchema.optional(),
    dialogAction: dialogActionSchema.optional(),
    originatingRequestId: z.string().optional(),
  }),
});
type LexIntent = z.infer<typeof intentSchema>;

export interface LexReplyContext {
  intent: LexIntent | undefined;
  sessionAttributes: Record<string, string>;
  localeId?: string;
}

function scoreOf(c: z.infer<typeof confidence> | undefined): number | undefined {
  if (c === undefined) return undefined;
  return typeof c === 'number' ? c : c.score;
}

const SENTIMENT_LABELS: Record<string, 'positive' | 'negative' | 'neutral' | 'mixed'> = {
  POSITIVE: 'positive',
  NEGATIVE: 'negative',
  NEUTRAL: 'neutral',
  MIXED: 'mixed',
};

/** The canonical handoff for a Lex V2 event, and what the answer needs. */
export function lexV2ToHandoff(
  body: unknown,
  options: { mapping: AdapterMapping; receivedAt: Date },
): { input: HandoffRequestInput; reply: LexReplyContext } {
  if (!objectOrUndefined(body)) {
    throw invalidInput(LABEL, [
      { path: '', message: 'body must be a JSON object (a Lex V2 Lambda input event)' },
    ]);
  }
  const parsed = eventSchema.safeParse(body);
  if (!parsed.success) throw invalidInput(LABEL, zodProblems(parsed.error));
  const e = parsed.data;
  const at = options.receivedAt.toISOString();
  const interpretations = e.interpretations ?? [];
  const current = e.sessionState.intent ?? interpretations[0]?.intent;
  const interpretation = interpretations.find((i) => i.intent.name === current?.name) ?? interpretations[0];

  const elicited =
    e.sessionState.dialogAction?.slotToElicit ?? e.proposedNextState?.dialogAction?.slotToElicit;
  const entities: Record<string, string | number | boolean | null> = {};
  for (const [name, slot] of Object.entries(current?.slots ?? {})) {
    const v = slot?.value;
    const raw = v?.interpretedValue ?? v?.originalValue;
    if (raw !== undefined) {
      const ev = entityValue(raw);
      if (ev !== undefined) entities[entityKey(name)] = ev;
    } else if (name === elicited) {
      entities[entityKey(name)] = null; // the bot asked for it and has nothing
    }
  }

  const history: NonNullable<HandoffRequestInput['intent']['history']> = [];
  if (current) {
    const score = scoreOf(
      interpretation?.intent.name === current.name ? interpretation.nluConfidence : undefined,
    );
    history.push({
      name: current.name.slice(0, 255),
      ...(score === undefined ? {} : { confidence: score }),
      outcome: isFallbackName(current.name) ? 'fallback' : 'escalated',
      ...(Object.keys(entities).length > 0 ? { entities } : {}),
      at,
    });
  }

  const sr = interpretation?.sentimentResponse;
  const label = sr ? SENTIMENT_LABELS[sr.sentiment.toUpperCase()] : undefined;
  const scores = sr?.sentimentScore;
  const score =
    scores && (scores.positive !== undefined || scores.negative !== undefined)
      ? Math.max(-1, Math.min(1, (scores.positive ?? 0) - (scores.negative ?? 0)))
      : undefined;

  const requestAttributes = e.requestAttributes ?? {};
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(requestAttributes)) if (!k.startsWith('x-amz-lex:')) attributes[k] = v;
  Object.assign(attributes, e.sessionState.sessionAttributes ?? {});
  const channelHint =
    requestAttributes['x-amz-lex:channel-type'] ??
    requestAttributes['x-amz-lex:channels:platform'] ??
    (e.inputMode === 'Speech' ? 'voice' : undefined);

  const input = buildHandoffInput(
    {
      platform: 'lex_v2',
      label: LABEL,
      handoffId: stableHandoffId('lex', e.sessionId, e.sessionState.originatingRequestId ?? at),
      ...(e.bot?.name ? { botName: e.bot.name } : {}),
      conversationId: e.sessionId,
      conversationIdPath: 'sessionId',
      attributes,
      attributesPath: 'sessionState.sessionAttributes',
      history,
      transcript: e.inputTranscript ? turns(at, 'customer', e.inputTranscript) : [],
      ...(label ? { sentiment: { label, ...(score === undefined ? {} : { score }) } } : {}),
      ...(channelHint ? { channelHint } : {}),
      ...(e.bot?.localeId ? { languageHint: e.bot.localeId } : {}),
      defaultReason: guessReason(history),
      escalationDetail: `Amazon Lex V2${e.bot?.name ? ` bot ${e.bot.name}` : ''}${current ? `; intent ${current.name}` : ''}${e.invocationSource ? ` (${e.invocationSource})` : ''}`,
      receivedAt: options.receivedAt,
    },
    options.mapping,
  );
  return {
    input,
    reply: {
      intent: current,
      sessionAttributes: e.sessionState.sessionAttributes ?? {},
      ...(e.bot?.localeId ? { localeId: e.bot.localeId } : {}),
    },
  };
}

/** Session attributes the answer sets (Lex session attributes are strings). */
export const LEX_ANSWER_ATTRIBUTES = ANSWER_FIELDS;

export interface LexV2Response {
  sessionState: {
    sessionAttributes: Record<string, string>;
    dialogAction: { type: 'Close' };
    intent: { name: string; state: 'Fulfilled' | 'Failed'; confirmationState?: string; slots?: unknown };
  };
  messages: { contentType: 'PlainText'; content: string }[];
}

/** A Lex V2 Lambda response that closes the intent and tells the customer an agent is coming. */
export function lexV2Answer(answer: HandoffAnswer, reply: LexReplyContext): LexV2Response {
  const failed = handoffFailed(answer.status);
  return {
    sessionState: {
      sessionAttributes: {
        ...reply.sessionAttributes,
        [LEX_ANSWER_ATTRIBUTES.handoffId]: answer.handoffId,
        [LEX_ANSWER_ATTRIBUTES.status]: answer.status,
        ...(answer.caseNumber ? { [LEX_ANSWER_ATTRIBUTES.caseNumber]: answer.caseNumber } : {}),
      },
      dialogAction: { type: 'Close' },
      intent: {
        name: reply.intent?.name ?? 'FallbackIntent',
        state: failed ? 'Failed' : 'Fulfilled',
        ...(reply.intent?.confirmationState ? { confirmationState: reply.intent.confirmationState } : {}),
        ...(reply.intent?.slots ? { slots: reply.intent.slots } : {}),
      },
    },
    messages: [{ contentType: 'PlainText', content: customerMessage(answer.caseNumber, failed) }],
  };
}
