/**
 * Where the service writes in Salesforce: object and field API names, and the lengths the planner
 * keeps every text value within. Defaults are the data model in docs/design.md; an org with other
 * names (e.g. the FSC managed package's `FinServ__` fields, or Bank_Customer_Id__pc on a Person
 * Account) overrides only what differs.
 */
import { z } from 'zod';

const apiName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a Salesforce API name (letters, digits, underscores)');

function names<T extends Record<string, string>>(defaults: T) {
  const shape = Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, apiName.default(v)])) as {
    [K in keyof T]: z.ZodDefault<typeof apiName>;
  };
  const object = z.object(shape).strict();
  // Every key has a default, so an empty object is a complete input.
  return object.prefault({} as z.input<typeof object>);
}

export const DEFAULT_OBJECTS = {
  case: 'Case',
  account: 'Account',
  contact: 'Contact',
  handoff: 'Bot_Handoff__c',
  intent: 'Handoff_Intent__c',
  verification: 'Handoff_Verification__c',
  consent: 'Handoff_Consent__c',
  transcript: 'Handoff_Transcript__c',
  psr: 'PendingServiceRouting',
  skillRequirement: 'SkillRequirement',
} as const;

export const DEFAULT_CASE_FIELDS = {
  handoffId: 'Handoff_Id__c',
  escalationReason: 'Escalation_Reason__c',
  summary: 'Handoff_Summary__c',
  verificationStatus: 'Verification_Status__c',
  urgency: 'Urgency__c',
  sentiment: 'Customer_Sentiment__c',
  channel: 'Contact_Channel__c',
  language: 'Conversation_Language__c',
  vulnerable: 'Is_Vulnerable_Customer__c',
  vip: 'Is_VIP_Customer__c',
  subject: 'Subject',
  description: 'Description',
  priority: 'Priority',
  origin: 'Origin',
  status: 'Status',
  accountId: 'AccountId',
  ownerId: 'OwnerId',
  accountRelationship: 'Account',
  contactRelationship: 'Contact',
} as const;

export const DEFAULT_HANDOFF_FIELDS = {
  case: 'Case__c',
  handoffId: 'Handoff_Id__c',
  sourcePlatform: 'Source_Platform__c',
  botName: 'Bot_Name__c',
  conversationId: 'Conversation_Id__c',
  escalationReason: 'Escalation_Reason__c',
  escalationDetail: 'Escalation_Detail__c',
  escalationEvaluation: 'Escalation_Evaluation__c',
  summaryIssue: 'Summary_Issue__c',
  summaryAttempted: 'Summary_Attempted__c',
  summaryUnresolved: 'Summary_Unresolved__c',
  nextBestAction: 'Next_Best_Action__c',
  urgency: 'Urgency__c',
  sentiment: 'Sentiment__c',
  sentimentScore: 'Sentiment_Score__c',
  channel: 'Channel__c',
  language: 'Language__c',
  customerSegment: 'Customer_Segment__c',
  maskedAccounts: 'Masked_Accounts__c',
  linkedProducts: 'Linked_Products__c',
  vip: 'Is_VIP__c',
  vulnerable: 'Is_Vulnerable__c',
  slaStartedAt: 'SLA_Started_At__c',
  routingMode: 'Routing_Mode__c',
  routingSkills: 'Routing_Skills__c',
  routingPriority: 'Routing_Priority__c',
  routingQueue: 'Routing_Queue__c',
  caseType: 'Case_Type__c',
  caseSubcategory: 'Case_Subcategory__c',
  collectedFields: 'Collected_Fields__c',
  documentsRequested: 'Documents_Requested__c',
  redactionSummary: 'Redaction_Summary__c',
  transcriptTurns: 'Transcript_Turns__c',
  transcriptParts: 'Transcript_Parts__c',
  receivedAt: 'Received_At__c',
} as const;

export const DEFAULT_INTENT_FIELDS = {
  parent: 'Bot_Handoff__c',
  key: 'Intent_Key__c',
  sequence: 'Sequence__c',
  name: 'Intent_Name__c',
  confidence: 'Confidence__c',
  outcome: 'Outcome__c',
  entities: 'Entities__c',
  occurredAt: 'Occurred_At__c',
} as const;

export const DEFAULT_VERIFICATION_FIELDS = {
  parent: 'Bot_Handoff__c',
  key: 'Verification_Key__c',
  verified: 'Is_Verified__c',
  method: 'Method__c',
  verifiedAt: 'Verified_At__c',
  scope: 'Scope__c',
  reverifyRequired: 'Reverify_Required__c',
  reverifyReason: 'Reverify_Reason__c',
  failedAttempts: 'Failed_Attempts__c',
} as const;

export const DEFAULT_CONSENT_FIELDS = {
  parent: 'Bot_Handoff__c',
  key: 'Consent_Key__c',
  type: 'Consent_Type__c',
  granted: 'Granted__c',
  capturedAt: 'Captured_At__c',
  wordingVersion: 'Wording_Version__c',
} as const;

export const DEFAULT_TRANSCRIPT_FIELDS = {
  parent: 'Bot_Handoff__c',
  key: 'Transcript_Key__c',
  partNumber: 'Part_Number__c',
  totalParts: 'Total_Parts__c',
  firstTurn: 'First_Turn__c',
  lastTurn: 'Last_Turn__c',
  body: 'Body__c',
} as const;

/**
 * Maximum characters per text field, keyed `<section>.<logical field>`. Only fields that can receive
 * text longer than their column are listed; others are bounded by the contract (e.g. Bot_Name__c 80
 * and `source.botName` max 80). Override with smaller numbers when an org's fields are shorter.
 */
export const DEFAULT_LENGTHS = {
  'case.subject': 255,
  'case.description': 32000,
  'case.summary': 32768,
  'case.language': 10,
  'case.handoffId': 80,
  'handoff.handoffId': 80,
  'handoff.botName': 80,
  'handoff.conversationId': 255,
  'handoff.escalationDetail': 4000,
  'handoff.escalationEvaluation': 32768,
  'handoff.summaryIssue': 255,
  'handoff.summaryAttempted': 4000,
  'handoff.summaryUnresolved': 4000,
  'handoff.nextBestAction': 255,
  'handoff.language': 10,
  'handoff.customerSegment': 80,
  'handoff.maskedAccounts': 255,
  'handoff.linkedProducts': 255,
  'handoff.routingSkills': 255,
  'handoff.routingQueue': 80,
  'handoff.caseType': 80,
  'handoff.caseSubcategory': 80,
  'handoff.collectedFields': 32768,
  'handoff.documentsRequested': 4000,
  'handoff.redactionSummary': 255,
  'intent.key': 100,
  'intent.name': 255,
  'intent.entities': 32768,
  'verification.key': 100,
  'verification.scope': 255,
  'verification.reverifyReason': 255,
  'consent.key': 100,
  'consent.type': 80,
  'consent.wordingVersion': 40,
  'transcript.key': 100,
  'transcript.body': 131072,
} as const;
export type LengthKey = keyof typeof DEFAULT_LENGTHS;

/**
 * Enrichment of a recent open case instead of creating another one (src/salesforce deliverHandoffs).
 * The service configuration's top-level `enrichment` section (ENRICHMENT_DEDUPE_WINDOW_SECONDS) is
 * the one place to set it; src/config copies it into `mapping.enrichment` so the delivery path, which
 * is handed the mapping, sees it.
 */
export const enrichmentSettingsSchema = z
  .object({
    /**
     * 0 (default) = off. Otherwise a handoff for a customer who has an OPEN case opened by a handoff of
     * the same case type (operational.caseType) within this many seconds enriches the newest such case
     * instead of creating one. Costs one SOQL query per delivery batch, so it is off by default.
     */
    dedupeWindowSeconds: z.number().int().min(0).max(86_400).default(0),
  })
  .strict();

export const salesforceMappingSchema = z
  .object({
    /** Set from the service configuration's `enrichment` section (see enrichmentSettingsSchema). */
    enrichment: enrichmentSettingsSchema.optional(),
    objects: names(DEFAULT_OBJECTS),
    case: names(DEFAULT_CASE_FIELDS),
    /** External-id field on Account and Contact holding the bank's customer number. */
    customer: z
      .object({
        accountExternalIdField: apiName.default('Bank_Customer_Id__c'),
        contactExternalIdField: apiName.default('Bank_Customer_Id__c'),
        /** Also link Case.Contact by the customer number (off for orgs without the Contact field). */
        linkContact: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    handoff: names(DEFAULT_HANDOFF_FIELDS),
    intent: names(DEFAULT_INTENT_FIELDS),
    verification: names(DEFAULT_VERIFICATION_FIELDS),
    consent: names(DEFAULT_CONSENT_FIELDS),
    transcript: names(DEFAULT_TRANSCRIPT_FIELDS),
    values: z
      .object({
        caseOrigin: z.string().min(1).max(255).default('Web'),
        caseStatusOnCreate: z.string().min(1).max(255).default('New'),
      })
      .strict()
      .prefault({}),
    routing: z
      .object({
        serviceChannel: apiName.default('Case_Channel'),
        routingModel: z.enum(['MostAvailable', 'LeastActive', 'ExternalRouting']).default('MostAvailable'),
        capacityWeight: z.number().positive().default(1),
        /** Used when a decision marks a skill additional but gives no timeout (seconds). */
        dropAdditionalSkillsTimeout: z.number().int().min(0).default(60),
        maxSkills: z.number().int().min(0).max(5).default(5),
        /**
         * Route an enriched existing case again (PSR, or queue owner). Off by default: the case
         * already has an owner or a routing in progress, Salesforce refuses a second PSR for the same
         * work item (WorkItemId is unique), and re-queueing would take the case from its agent.
         */
        routeEnrichedCases: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    lengths: z
      .object(
        Object.fromEntries(
          Object.entries(DEFAULT_LENGTHS).map(([k, v]) => [k, z.number().int().min(1).max(v).default(v)]),
        ) as { [K in LengthKey]: z.ZodDefault<z.ZodNumber> },
      )
      .strict()
      .prefault({}),
  })
  .strict();

export type SalesforceMapping = z.output<typeof salesforceMappingSchema>;
export type EnrichmentSettings = z.output<typeof enrichmentSettingsSchema>;
export type SalesforceMappingInput = z.input<typeof salesforceMappingSchema>;

/** The mapping with every default (docs/design.md). */
export function defaultMapping(): SalesforceMapping {
  return salesforceMappingSchema.parse({});
}
