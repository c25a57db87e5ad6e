/**
 * What a bot platform does not carry natively (identity, verification, consent, segment, flags) comes
 * from session attributes / parameters / slots whose names are configured per adapter.
 */
import { z } from 'zod';
import { CHANNELS } from '../contract/handoff';

export const attributeNamesSchema = z
  .object({
    handoffId: z.string().default('handoff_id'),
    customerId: z.string().default('customer_id').describe("The bank's customer number"),
    salesforceAccountId: z.string().default('salesforce_account_id'),
    customerName: z.string().default('customer_name'),
    segment: z.string().default('customer_segment'),
    linkedProducts: z.string().default('linked_products'),
    vip: z.string().default('vip'),
    vulnerable: z.string().default('vulnerable'),
    verified: z.string().default('verified'),
    verificationMethod: z.string().default('verification_method'),
    verifiedAt: z.string().default('verified_at'),
    verificationScope: z.string().default('verification_scope'),
    failedAuthAttempts: z.string().default('failed_auth_attempts'),
    consents: z.string().default('consents').describe('JSON array of {type, granted, capturedAt}'),
    channel: z.string().default('channel'),
    language: z.string().default('language'),
    productCategory: z.string().default('product_category'),
    requestedSkills: z.string().default('requested_skills').describe('Array or comma-separated list'),
    priority: z.string().default('priority').describe('low, medium, high or critical'),
    escalationReason: z.string().default('escalation_reason'),
    existingCaseId: z.string().default('case_id'),
    caseType: z.string().default('case_type'),
    transferCount: z.string().default('transfer_count'),
    sentimentScore: z.string().default('sentiment_score'),
    transcript: z.string().default('transcript').describe('JSON array of {at?, from, text} (Lex keeps none)'),
    intentHistory: z
      .string()
      .default('intent_history')
      .describe('JSON array of {name, confidence?, outcome?, at?}: earlier turns the platform does not send'),
  })
  .strict();

export const adapterMappingSchema = z
  .object({
    attributes: attributeNamesSchema.prefault({}),
    defaultChannel: z.enum(CHANNELS).default('web_chat'),
    defaultLanguage: z.string().default('en'),
    botName: z.string().max(80).optional().describe('When the platform does not name the bot'),
    collectOtherAttributes: z
      .boolean()
      .default(true)
      .describe('Copy the other scalar session attributes into collectedFields for the agent'),
  })
  .strict();

export const adaptersConfigSchema = z
  .object({
    botFramework: adapterMappingSchema.prefault({}),
    dialogflowCx: adapterMappingSchema.prefault({}),
    lexV2: adapterMappingSchema.prefault({}),
    rasa: adapterMappingSchema.prefault({}),
  })
  .strict();

export type AttributeNames = z.output<typeof attributeNamesSchema>;
export type AdapterMapping = z.output<typeof adapterMappingSchema>;
export type AdaptersConfig = z.output<typeof adaptersConfigSchema>;

/** The defaults, for callers (and tests) that configure nothing. */
export function defaultMapping(): AdapterMapping {
  return adapterMappingSchema.parse({});
}
