/**
 * The canonical handoff: what any bot (directly, or through a platform adapter) sends when a customer
 * must go to a person. This zod schema is the single source of the TypeScript types and of the
 * OpenAPI document served at /openapi.json.
 *
 * Four layers, as a bank needs them: intent, identity, operational, conversation.
 * Enum values are the picklist API values in force-app (see docs/design.md).
 */
import { z } from 'zod';

export const ESCALATION_REASONS = [
  'customer_requested_agent',
  'low_confidence',
  'fallback_loop',
  'missing_information',
  'regulated_intent',
  'negative_sentiment',
  'high_value',
  'sla_breach',
  'failed_authentication',
  'repeated_transfer',
  'backend_exception',
  'other',
] as const;
export const VERIFICATION_METHODS = [
  'otp',
  'pin',
  'kba',
  'secure_link',
  'biometric',
  'voice_id',
  'none',
] as const;
export const URGENCIES = ['low', 'medium', 'high', 'critical'] as const;
export const SENTIMENTS = ['positive', 'neutral', 'mixed', 'negative'] as const;
export const CHANNELS = [
  'web_chat',
  'mobile_app',
  'whatsapp',
  'sms',
  'social',
  'voice',
  'email',
  'other',
] as const;
export const SOURCE_PLATFORMS = ['generic', 'bot_framework', 'dialogflow_cx', 'lex_v2', 'rasa'] as const;
export const INTENT_OUTCOMES = ['resolved', 'fallback', 'escalated', 'abandoned', 'in_progress'] as const;
export const TRANSCRIPT_SPEAKERS = ['customer', 'bot', 'agent', 'system'] as const;

/** A Salesforce record id, 15 or 18 characters. */
export const salesforceId = z
  .string()
  .regex(/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/, 'must be a 15- or 18-character Salesforce id');

const dateTime = z.iso
  .datetime({ offset: true })
  .describe('ISO 8601 date-time with offset, e.g. 2026-11-21T10:15:00Z');

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** Plain text from the bot; control characters other than tab and newline are refused. */
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters');

const entityValue = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);

export const intentEventSchema = z
  .object({
    name: text(255).min(1).describe('Intent name as the bot knows it, e.g. card.declined_abroad'),
    confidence: z.number().min(0).max(1).optional().describe('NLU confidence 0..1; absent for fallbacks'),
    outcome: z.enum(INTENT_OUTCOMES),
    entities: z
      .record(z.string().max(100), entityValue)
      .optional()
      .describe('Entities captured for this intent'),
    at: dateTime.optional(),
  })
  .strict();

export const escalationSchema = z
  .object({
    reason: z.enum(ESCALATION_REASONS),
    detail: text(4000).optional(),
  })
  .strict();

export const verificationSchema = z
  .object({
    verified: z.boolean(),
    method: z.enum(VERIFICATION_METHODS),
    verifiedAt: dateTime.optional(),
    scope: text(255).optional().describe('What the verification covers, e.g. "read balances; card block"'),
    reverifyRequired: z.boolean().default(false).describe('Whether the agent must re-verify before acting'),
    reverifyReason: text(255).optional().describe('Which action needs re-verification, and why'),
    failedAttempts: z.number().int().min(0).max(99).default(0),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.verified && v.method === 'none') {
      ctx.addIssue({
        code: 'custom',
        path: ['method'],
        message: 'a verified customer needs a verification method',
      });
    }
    if (v.verified && !v.verifiedAt) {
      ctx.addIssue({ code: 'custom', path: ['verifiedAt'], message: 'required when verified is true' });
    }
  });

export const consentSchema = z
  .object({
    type: text(80).min(1).describe('What was consented to, e.g. "call_recording", "share_with_card_scheme"'),
    granted: z.boolean(),
    capturedAt: dateTime,
    wordingVersion: text(40).optional(),
  })
  .strict();

export const maskedAccountSchema = z
  .object({
    kind: text(40).min(1).describe('e.g. current_account, credit_card, mortgage'),
    last4: z.string().regex(/^[0-9A-Za-z]{4}$/, 'must be the last four characters only'),
    label: text(80).optional(),
  })
  .strict();

export const identitySchema = z
  .object({
    customer: z
      .object({
        salesforceAccountId: salesforceId.optional().describe('Person Account id, when the bot knows it'),
        externalId: text(64).min(1).optional().describe("The bank's customer number (Bank_Customer_Id__c)"),
        name: text(255).optional(),
        segment: text(80).optional().describe('e.g. retail, premier, private, business'),
        linkedProducts: z.array(text(80)).max(20).default([]),
      })
      .strict(),
    maskedAccounts: z.array(maskedAccountSchema).max(20).default([]),
    channel: z.enum(CHANNELS),
    language: z
      .string()
      .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,2}$/, 'must be a BCP 47 language tag such as en or en-GB'),
    verification: verificationSchema,
    consents: z.array(consentSchema).max(50).default([]),
  })
  .strict();

export const operationalSchema = z
  .object({
    requestedSkills: z
      .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, 'must be a Skill DeveloperName'))
      .max(10)
      .default([]),
    productCategory: text(80).optional(),
    priorityHint: z.enum(URGENCIES).optional(),
    vip: z.boolean().default(false),
    vulnerable: z.boolean().default(false),
    slaStartedAt: dateTime.optional(),
    existingCaseId: salesforceId.optional().describe('Enrich this Case instead of creating one'),
    caseType: text(80).optional(),
    caseSubcategory: text(80).optional(),
    collectedFields: z
      .record(z.string().max(80), entityValue)
      .refine((o) => Object.keys(o).length <= 100, 'at most 100 fields')
      .default({}),
    documentsRequested: z.array(text(255)).max(20).default([]),
    callbackUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Where to POST signed status callbacks'),
  })
  .strict();

export const transcriptTurnSchema = z
  .object({
    at: dateTime,
    from: z.enum(TRANSCRIPT_SPEAKERS),
    text: text(10000),
  })
  .strict();

export const summarySchema = z
  .object({
    issue: text(255).min(1),
    attempted: z.array(text(500)).max(20).default([]),
    unresolved: z.array(text(500)).max(20).default([]),
    nextBestAction: text(255).optional(),
    urgency: z.enum(URGENCIES),
  })
  .strict();

export const sentimentSchema = z
  .object({
    label: z.enum(SENTIMENTS),
    score: z.number().min(-1).max(1).optional(),
  })
  .strict();

export const conversationSchema = z
  .object({
    transcript: z.array(transcriptTurnSchema).max(5000).default([]),
    summary: summarySchema.optional().describe('Built from the intent history when the bot gives none'),
    sentiment: sentimentSchema.optional(),
  })
  .strict();

export const handoffIdSchema = z
  .string()
  .min(8)
  .max(80)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits, ".", "_", ":" and "-" only');

export const handoffRequestSchema = z
  .object({
    handoffId: handoffIdSchema.describe('Bot-assigned; the idempotency key of this handoff'),
    source: z
      .object({
        platform: z.enum(SOURCE_PLATFORMS).default('generic'),
        botName: text(80).optional(),
        conversationId: text(255).min(1),
      })
      .strict(),
    intent: z
      .object({
        history: z.array(intentEventSchema).max(200).default([]),
        escalation: escalationSchema,
      })
      .strict(),
    identity: identitySchema,
    operational: operationalSchema.prefault({}),
    conversation: conversationSchema.prefault({}),
  })
  .strict()
  .superRefine((h, ctx) => {
    if (!h.identity.customer.salesforceAccountId && !h.identity.customer.externalId) {
      // An anonymous customer is allowed (a case without an account), but say which is missing only if
      // the bot sent a name: a name with no id cannot be linked.
      if (h.identity.customer.name) {
        ctx.addIssue({
          code: 'custom',
          path: ['identity', 'customer', 'externalId'],
          message: 'a named customer needs externalId or salesforceAccountId to be linked',
        });
      }
    }
  });

/** What the bot sends (before defaults). */
export type HandoffRequestInput = z.input<typeof handoffRequestSchema>;
/** The validated handoff, defaults applied. */
export type Handoff = z.output<typeof handoffRequestSchema>;
export type IntentEvent = z.output<typeof intentEventSchema>;
export type Verification = z.output<typeof verificationSchema>;
export type Consent = z.output<typeof consentSchema>;
export type TranscriptTurn = z.output<typeof transcriptTurnSchema>;
export type Summary = z.output<typeof summarySchema>;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];
export type Urgency = (typeof URGENCIES)[number];
