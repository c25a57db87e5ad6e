/**
 * Dialogflow CX webhook: a WebhookRequest → the canonical handoff; a WebhookResponse whose
 * fulfillmentResponse carries a `liveAgentHandoff` message (plus text for the customer) back.
 *
 * Parsed leniently (Google may add fields). A Dialogflow ES (v2) request (`queryResult`) is refused by
 * name: its fields differ (intentDetectionConfidence, queryTextSentiment) and would be misread.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { HandoffAnswer } from '../contract/answer';
import type { HandoffRequestInput } from '../contract/handoff';
import { AppError } from '../errors';
import {
  ADAPTER_INPUT_INVALID,
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

const LABEL = 'Dialogflow CX WebhookRequest';

const webhookRequestSchema = z.looseObject({
  detectIntentResponseId: z.string().optional(),
  text: z.string().optional(),
  transcript: z.string().optional(),
  triggerIntent: z.string().optional(),
  triggerEvent: z.string().optional(),
  dtmfDigits: z.string().optional(),
  languageCode: z.string().optional(),
  fulfillmentInfo: z.looseObject({ tag: z.string().optional() }).optional(),
  intentInfo: z
    .looseObject({
      lastMatchedIntent: z.string().optional(),
      displayName: z.string().min(1).optional(),
      parameters: z
        .record(
          z.string(),
          z.looseObject({ originalValue: z.unknown().optional(), resolvedValue: z.unknown().optional() }),
        )
        .optional(),
      confidence: z.number().min(0).max(1).optional(),
    })
    .optional(),
  pageInfo: z
    .looseObject({
      currentPage: z.string().optional(),
      displayName: z.string().optional(),
      formInfo: z
        .looseObject({
          parameterInfo: z
            .array(
              z.looseObject({
                displayName: z.string().optional(),
                required: z.boolean().optional(),
                state: z.string().optional(),
                value: z.unknown().optional(),
                justCollected: z.boolean().optional(),
              }),
            )
            .optional(),
        })
        .optional(),
    })
    .optional(),
  sessionInfo: z.looseObject({
    session: z
      .string()
      .regex(/\/sessions\/[^/]+$/, 'must be projects/…/agents/…/[environments/…/]sessions/<id>'),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
  messages: z
    .array(z.looseObject({ text: z.looseObject({ text: z.array(z.string()).optional() }).optional() }))
    .optional(),
  payload: z.record(z.string(), z.unknown()).optional(),
  sentimentAnalysisResult: z
    .looseObject({ score: z.number().min(-1).max(1), magnitude: z.number().min(0).optional() })
    .optional(),
});

export interface DialogflowReplyContext {
  session: string;
}

function rejectEs(body: Record<string, unknown>): void {
  if (body.queryResult !== undefined) {
    throw new AppError({
      code: ADAPTER_INPUT_INVALID,
      status: 400,
      message:
        'This is a Dialogflow ES (v2) WebhookRequest (queryResult); this endpoint takes Dialogflow CX WebhookRequests (intentInfo, sessionInfo, sentimentAnalysisResult)',
      errors: [
        { path: 'queryResult', message: 'Dialogflow ES field; not accepted by the Dialogflow CX adapter' },
      ],
      actions: ['Point a Dialogflow CX agent webhook at this endpoint; Dialogflow ES is not supported'],
    });
  }
}

/** Sentiment label from a CX score (-1..1) and magnitude. */
export function sentimentLabel(
  score: number,
  magnitude?: number,
): 'positive' | 'neutral' | 'mixed' | 'negative' {
  if (score <= -0.25) return 'negative';
  if (score >= 0.25) return 'positive';
  return magnitude !== undefined && magnitude >= 1 ? 'mixed' : 'neutral';
}

/** The canonical handoff for a CX webhook call, and what the answer needs. */
export function dialogflowCxToHandoff(
  body: unknown,
  options: { mapping: AdapterMapping; receivedAt: Date },
): { input: HandoffRequestInput; reply: DialogflowReplyContext } {
  const obj = objectOrUndefined(body);
  if (!obj)
    throw invalidInput(LABEL, [{ path: '', message: 'body must be a JSON object (a WebhookRequest)' }]);
  rejectEs(obj);
  const parsed = webhookRequestSchema.safeParse(obj);
  if (!parsed.success) throw invalidInput(LABEL, zodProblems(parsed.error));
  const r = parsed.data;
  const at = options.receivedAt.toISOString();
  const session = r.sessionInfo.session;
  const sessionId = session.slice(session.lastIndexOf('/') + 1);

  const entities: Record<string, string | number | boolean | null> = {};
  for (const [k, p] of Object.entries(r.intentInfo?.parameters ?? {})) {
    const v = entityValue(p.resolvedValue ?? p.originalValue ?? null);
    if (v !== undefined) entities[entityKey(k)] = v;
  }
  for (const p of r.pageInfo?.formInfo?.parameterInfo ?? []) {
    if (!p.displayName) continue;
    const key = entityKey(p.displayName);
    if (p.state === 'FILLED' && p.value !== undefined) {
      const v = entityValue(p.value);
      if (v !== undefined) entities[key] = v;
    } else if (p.required && (p.state === 'EMPTY' || p.state === 'INVALID') && !(key in entities)) {
      entities[key] = null; // asked for on this page and not (validly) given
    }
  }

  const history: NonNullable<HandoffRequestInput['intent']['history']> = [];
  const intentName =
    r.intentInfo?.displayName ?? r.triggerIntent?.slice(r.triggerIntent.lastIndexOf('/') + 1);
  if (intentName) {
    history.push({
      name: intentName.slice(0, 255),
      ...(r.intentInfo?.confidence === undefined ? {} : { confidence: r.intentInfo.confidence }),
      outcome: isFallbackName(intentName) ? 'fallback' : 'escalated',
      ...(Object.keys(entities).length > 0 ? { entities } : {}),
      at,
    });
  } else if (r.triggerEvent) {
    history.push({
      name: r.triggerEvent.slice(0, 255),
      outcome: isFallbackName(r.triggerEvent) ? 'fallback' : 'escalated',
      at,
    });
  }

  const said = r.text ?? r.transcript ?? r.dtmfDigits;
  const transcript = [
    ...(said ? turns(at, 'customer', said) : []),
    ...(r.messages ?? []).flatMap((m) => (m.text?.text ?? []).flatMap((t) => turns(at, 'bot', t))),
  ];

  const handoffId = r.detectIntentResponseId
    ? stableHandoffId('dfcx', sessionId, r.detectIntentResponseId)
    : `dfcx:${createHash('sha256').update(JSON.stringify(obj)).digest('hex').slice(0, 40)}`;
  const agent = /\/agents\/([^/]+)/.exec(session)?.[1];
  const detail = [
    `Dialogflow CX${r.pageInfo?.displayName ? ` page ${r.pageInfo.displayName}` : ''}`,
    r.fulfillmentInfo?.tag ? `webhook tag ${r.fulfillmentInfo.tag}` : undefined,
    intentName ? `intent ${intentName}` : undefined,
  ].filter((x): x is string => x !== undefined);

  const sentiment = r.sentimentAnalysisResult;
  const input = buildHandoffInput(
    {
      platform: 'dialogflow_cx',
      label: LABEL,
      handoffId,
      ...(agent ? { botName: agent } : {}),
      conversationId: sessionId,
      conversationIdPath: 'sessionInfo.session',
      attributes: r.sessionInfo.parameters ?? {},
      attributesPath: 'sessionInfo.parameters',
      history,
      transcript,
      ...(sentiment
        ? {
            sentiment: {
              label: sentimentLabel(sentiment.score, sentiment.magnitude),
              score: sentiment.score,
            },
          }
        : {}),
      ...(objectOrUndefined(r.payload?.telephony) ? { channelHint: 'voice' } : {}),
      ...(r.languageCode ? { languageHint: r.languageCode } : {}),
      defaultReason: guessReason(history),
      escalationDetail: detail.join('; '),
      receivedAt: options.receivedAt,
    },
    options.mapping,
  );
  return { input, reply: { session } };
}

/** Session parameters the answer sets, so later pages can show or speak the reference. */
export const CX_ANSWER_PARAMETERS = ANSWER_FIELDS;

export interface DialogflowWebhookResponse {
  fulfillmentResponse: {
    messages: ({ text: { text: string[] } } | { liveAgentHandoff: { metadata: Record<string, unknown> } })[];
    mergeBehavior: 'APPEND';
  };
  sessionInfo: { parameters: Record<string, string | null> };
}

/** A WebhookResponse that hands the session to a live agent, with the case for the agent desktop. */
export function dialogflowCxAnswer(
  answer: HandoffAnswer,
  _reply: DialogflowReplyContext,
): DialogflowWebhookResponse {
  const failed = handoffFailed(answer.status);
  const routing = answer.routing;
  return {
    fulfillmentResponse: {
      messages: [
        { text: { text: [customerMessage(answer.caseNumber, failed)] } },
        ...(failed
          ? []
          : [
              {
                liveAgentHandoff: {
                  metadata: {
                    handoffId: answer.handoffId,
                    status: answer.status,
                    caseId: answer.caseId,
                    caseNumber: answer.caseNumber,
                    statusUrl: answer.statusUrl,
                    ...(routing
                      ? {
                          queue: routing.queue,
                          skills: routing.skills.map((s) => s.developerName),
                          priority: routing.priority,
                          urgency: routing.urgency,
                        }
                      : {}),
                  },
                },
              },
            ]),
      ],
      mergeBehavior: 'APPEND',
    },
    sessionInfo: {
      parameters: {
        [CX_ANSWER_PARAMETERS.handoffId]: answer.handoffId,
        [CX_ANSWER_PARAMETERS.caseNumber]: answer.caseNumber,
        [CX_ANSWER_PARAMETERS.status]: answer.status,
      },
    },
  };
}
