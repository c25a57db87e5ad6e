/** What the service answers about a handoff: on POST (201/202/200) and on GET /v1/handoffs/{id}. */
import { z } from 'zod';
import { routingDecisionSchema } from './routing';

export const HANDOFF_STATES = [
  'accepted',
  'delivering',
  'routed',
  'agent_assigned',
  'failed',
  'dead_lettered',
] as const;
export type HandoffState = (typeof HANDOFF_STATES)[number];

export const redactionCountSchema = z
  .object({ kind: z.string(), count: z.number().int().min(1) })
  .strict()
  .describe('What was redacted: kinds and counts, never the values');

export const handoffAnswerSchema = z
  .object({
    handoffId: z.string(),
    status: z.enum(HANDOFF_STATES),
    statusUrl: z.string().describe('GET this for the current status'),
    caseId: z.string().nullable(),
    caseNumber: z.string().nullable(),
    handoffRecordId: z.string().nullable().describe('The Bot_Handoff__c record'),
    enrichedExistingCase: z.boolean(),
    routing: routingDecisionSchema.nullable(),
    agent: z
      .object({ userId: z.string(), assignedAt: z.string().nullable(), acceptedAt: z.string().nullable() })
      .strict()
      .nullable(),
    salesforceApiCalls: z.number().int().min(0).describe('Salesforce API calls this handoff has used'),
    redactions: z.array(redactionCountSchema),
    error: z
      .object({ code: z.string(), message: z.string() })
      .strict()
      .nullable()
      .describe('Why delivery failed (scrubbed of customer data)'),
  })
  .strict();

export type HandoffAnswer = z.infer<typeof handoffAnswerSchema>;
export type RedactionCount = z.infer<typeof redactionCountSchema>;
