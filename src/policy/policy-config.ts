/**
 * The escalation policy as configuration (config/policy.json): a list of named rules, each of a known
 * type with editable thresholds. The same policy is evaluated for every bot platform.
 */
import { z } from 'zod';
import { ESCALATION_REASONS } from '../contract/handoff';
import { isValidPattern } from './text';

const pattern = z
  .string()
  .min(1)
  .refine(isValidPattern, 'must be a valid regular expression (matched case-insensitively)');

const phrasesByLanguage = z
  .record(
    z.string().regex(/^[a-z]{2,3}$/, 'must be a language code such as en'),
    z.array(z.string().min(1)).min(1),
  )
  .describe('Phrases by language (primary subtag: en, es, fr, de, …); matched as whole words');

const ruleBase = {
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, "_" or "-"')
    .describe('Rule name, as it appears in the evaluation stored with the handoff'),
  description: z.string().optional(),
  enabled: z.boolean().default(true),
  escalationReason: z
    .enum(ESCALATION_REASONS)
    .optional()
    .describe('Defaults to the one the rule type implies'),
};

const lowConfidenceRule = z
  .object({
    ...ruleBase,
    type: z.literal('low_confidence'),
    below: z.number().min(0).max(1).describe('An intent confidence strictly below this counts'),
    consecutive: z.number().int().min(1).describe('How many such intents in a row fire the rule'),
  })
  .strict();

const fallbackLoopRule = z
  .object({
    ...ruleBase,
    type: z.literal('fallback_loop'),
    maxFallbacks: z.number().int().min(0).describe('Fires when the fallbacks exceed this number'),
    fallbackIntentPatterns: z
      .array(pattern)
      .default([])
      .describe('Intent names that mean "did not understand", besides outcome "fallback"'),
  })
  .strict();

const missingEntityRule = z
  .object({
    ...ruleBase,
    type: z.literal('missing_critical_entity'),
    entities: z.array(z.string().min(1)).min(1).describe('Entities the bot cannot proceed without'),
    afterRequests: z
      .number()
      .int()
      .min(1)
      .describe('Fires when one is still missing after the bot asked for it this many times'),
  })
  .strict();

const negativeSentimentRule = z
  .object({
    ...ruleBase,
    type: z.literal('negative_sentiment'),
    scoreAtOrBelow: z.number().min(-1).max(1).describe('Sentiment score (-1..1) at or below which it fires'),
    negativeLabel: z.boolean().default(true).describe('Also fire on a "negative" label without a score'),
    frustrationPhrases: phrasesByLanguage,
  })
  .strict();

const agentRequestRule = z
  .object({
    ...ruleBase,
    type: z.literal('customer_requested_agent'),
    phrases: phrasesByLanguage,
    intentPatterns: z.array(pattern).default([]).describe('Intent names that mean "a person, please"'),
  })
  .strict();

const regulatedIntentRule = z
  .object({
    ...ruleBase,
    type: z.literal('regulated_intent'),
    categories: z
      .array(z.object({ name: z.string().min(1), pattern }).strict())
      .min(1)
      .describe('Regulated categories and the intent names (patterns) that belong to them'),
  })
  .strict();

const highValueRule = z
  .object({
    ...ruleBase,
    type: z.literal('high_value'),
    amountAbove: z.number().min(0).describe('An amount entity strictly above this fires'),
    amountEntities: z.array(z.string().min(1)).min(1).describe('Entity names that carry an amount'),
    vipSegments: z.array(z.string().min(1)).default([]).describe('Customer segments treated as VIP'),
    vipFlag: z.boolean().default(true).describe('Also fire when the bot flags the customer as VIP'),
  })
  .strict();

const noProgressRule = z
  .object({
    ...ruleBase,
    type: z.literal('no_progress'),
    maxSeconds: z.number().min(1).describe('Fires after more than this many seconds without progress'),
  })
  .strict();

const failedAuthenticationRule = z
  .object({
    ...ruleBase,
    type: z.literal('failed_authentication'),
    failedAttempts: z.number().int().min(1).describe('Fires at this many failed attempts'),
  })
  .strict();

const repeatedTransferRule = z
  .object({
    ...ruleBase,
    type: z.literal('repeated_transfer'),
    transfers: z.number().int().min(1).describe('Fires at this many transfers without resolution'),
  })
  .strict();

export const policyRuleSchema = z.discriminatedUnion('type', [
  lowConfidenceRule,
  fallbackLoopRule,
  missingEntityRule,
  negativeSentimentRule,
  agentRequestRule,
  regulatedIntentRule,
  highValueRule,
  noProgressRule,
  failedAuthenticationRule,
  repeatedTransferRule,
]);

export const policyConfigSchema = z
  .object({
    version: z.string().min(1).describe('Stored with every evaluation, e.g. "2026-11-21.1"'),
    rules: z.array(policyRuleSchema).min(1),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.rules.forEach((r, i) => {
      if (seen.has(r.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'name'],
          message: `duplicate rule name "${r.name}"`,
        });
      }
      seen.add(r.name);
    });
  });

export type PolicyConfig = z.output<typeof policyConfigSchema>;
export type PolicyConfigInput = z.input<typeof policyConfigSchema>;
export type PolicyRule = z.output<typeof policyRuleSchema>;
export type PolicyRuleType = PolicyRule['type'];
