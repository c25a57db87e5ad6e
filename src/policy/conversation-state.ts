/**
 * The canonical conversation state: what the escalation rules and the routing rules read. Built from a
 * handoff (`conversationStateFromHandoff`) or sent directly to POST /v1/escalations/evaluate, so every
 * bot platform is evaluated the same way.
 */
import { z } from 'zod';
import {
  ESCALATION_REASONS,
  INTENT_OUTCOMES,
  SENTIMENTS,
  URGENCIES,
  VERIFICATION_METHODS,
} from '../contract/handoff';
import type { Handoff } from '../contract/handoff';

const dateTime = z.iso.datetime({ offset: true });
const entityValue = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);

export const conversationStateSchema = z
  .object({
    conversationId: z.string().max(255).optional(),
    language: z
      .string()
      .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,2}$/, 'must be a BCP 47 language tag such as en or en-GB')
      .default('en'),
    intents: z
      .array(
        z
          .object({
            name: z.string().min(1).max(255),
            confidence: z.number().min(0).max(1).optional(),
            outcome: z.enum(INTENT_OUTCOMES).default('in_progress'),
            entities: z
              .record(z.string().max(100), entityValue)
              .default({})
              .describe('A null value means the bot asked for the entity and did not get it'),
            at: dateTime.optional(),
          })
          .strict(),
      )
      .max(500)
      .default([])
      .describe('Intent history, oldest first'),
    customerMessages: z
      .array(z.object({ text: z.string().max(10000), at: dateTime.optional() }).strict())
      .max(5000)
      .default([])
      .describe("The customer's messages, oldest first"),
    collectedFields: z.record(z.string().max(100), entityValue).default({}),
    sentiment: z
      .object({ label: z.enum(SENTIMENTS).optional(), score: z.number().min(-1).max(1).optional() })
      .strict()
      .optional(),
    verification: z
      .object({
        verified: z.boolean().default(false),
        method: z.enum(VERIFICATION_METHODS).default('none'),
        failedAttempts: z.number().int().min(0).max(99).default(0),
      })
      .strict()
      .prefault({}),
    segment: z.string().max(80).optional(),
    vip: z.boolean().default(false),
    vulnerable: z.boolean().default(false),
    productCategory: z.string().max(80).optional(),
    requestedSkills: z.array(z.string().max(80)).max(10).default([]),
    priorityHint: z.enum(URGENCIES).optional(),
    transfers: z
      .number()
      .int()
      .min(0)
      .max(99)
      .default(0)
      .describe('Transfers to a person so far, this one included'),
    startedAt: dateTime.optional().describe('When the conversation with the bot began'),
    lastActivityAt: dateTime.optional().describe('The latest message or intent'),
    botEscalationReason: z.enum(ESCALATION_REASONS).optional().describe('The reason the bot gave, if any'),
  })
  .strict();

export type ConversationState = z.output<typeof conversationStateSchema>;
export type ConversationStateInput = z.input<typeof conversationStateSchema>;

/**
 * The earliest and the latest of the parseable times. Exactly what sorting them by `Date.parse` and
 * taking both ends gave (the sort is stable: the first of equal earliest times, the last of equal
 * latest ones), without the sort and its two parses per comparison.
 */
function timeSpan(
  lists: readonly (readonly { at?: string | undefined }[])[],
): { first: string; last: string } | undefined {
  let first: string | undefined;
  let last: string | undefined;
  let min = 0;
  let max = 0;
  for (const list of lists) {
    for (const item of list) {
      const t = item.at;
      if (typeof t !== 'string') continue;
      const ms = Date.parse(t);
      if (Number.isNaN(ms)) continue;
      if (first === undefined || ms < min) {
        first = t;
        min = ms;
      }
      if (last === undefined || ms >= max) {
        last = t;
        max = ms;
      }
    }
  }
  return first === undefined || last === undefined ? undefined : { first, last };
}

/**
 * How many transfers this handoff represents: the escalated intents in the history (this one at
 * least), a `transfer_count` collected field when the bot counts them, and 2 when the bot itself says
 * the reason is a repeated transfer.
 */
function transfersOf(h: Handoff): number {
  const escalated = h.intent.history.filter((i) => i.outcome === 'escalated').length;
  const counted = h.operational.collectedFields['transfer_count'];
  const fromField = typeof counted === 'number' && Number.isInteger(counted) && counted >= 0 ? counted : 0;
  const fromReason = h.intent.escalation.reason === 'repeated_transfer' ? 2 : 0;
  return Math.min(99, Math.max(1, escalated, fromField, fromReason));
}

/** The conversation state of a validated handoff (defaults applied). */
export function conversationStateFromHandoff(h: Handoff): ConversationState {
  const span = timeSpan([h.conversation.transcript, h.intent.history]);
  const sentiment = h.conversation.sentiment;
  return {
    conversationId: h.source.conversationId,
    language: h.identity.language,
    intents: h.intent.history.map((i) => ({
      name: i.name,
      ...(i.confidence === undefined ? {} : { confidence: i.confidence }),
      outcome: i.outcome,
      entities: { ...(i.entities ?? {}) },
      ...(i.at === undefined ? {} : { at: i.at }),
    })),
    customerMessages: h.conversation.transcript
      .filter((t) => t.from === 'customer')
      .map((t) => ({ text: t.text, at: t.at })),
    collectedFields: { ...h.operational.collectedFields },
    ...(sentiment
      ? {
          sentiment: {
            label: sentiment.label,
            ...(sentiment.score === undefined ? {} : { score: sentiment.score }),
          },
        }
      : {}),
    verification: {
      verified: h.identity.verification.verified,
      method: h.identity.verification.method,
      failedAttempts: h.identity.verification.failedAttempts,
    },
    ...(h.identity.customer.segment ? { segment: h.identity.customer.segment } : {}),
    vip: h.operational.vip,
    vulnerable: h.operational.vulnerable,
    ...(h.operational.productCategory ? { productCategory: h.operational.productCategory } : {}),
    requestedSkills: [...h.operational.requestedSkills],
    ...(h.operational.priorityHint ? { priorityHint: h.operational.priorityHint } : {}),
    transfers: transfersOf(h),
    ...(span?.first ? { startedAt: span.first } : {}),
    ...(span ? { lastActivityAt: span.last } : {}),
    botEscalationReason: h.intent.escalation.reason,
  };
}
