/**
 * A handoff after validate → decide → redact: everything delivery needs, already redacted, as plain
 * JSON. This is what the durable store keeps, so no unredacted customer data is ever stored.
 */
import { z } from 'zod';
import { handoffRequestSchema } from './handoff';
import { escalationEvaluationSchema, routingDecisionSchema } from './routing';
import { redactionCountSchema } from './answer';

export const preparedHandoffSchema = z
  .object({
    handoffId: z.string(),
    /** SHA-256 of the canonical request body as received: same id + different body → 409. */
    bodyHash: z.string(),
    receivedAt: z.string(),
    handoff: handoffRequestSchema.describe('Redacted, defaults applied'),
    decision: routingDecisionSchema,
    evaluation: escalationEvaluationSchema.nullable(),
    redactions: z.array(redactionCountSchema),
  })
  .strict();

export type PreparedHandoff = z.infer<typeof preparedHandoffSchema>;

/** What one delivery attempt of one handoff produced. */
export type DeliveryOutcome =
  | {
      kind: 'delivered';
      handoffId: string;
      caseId: string;
      caseNumber: string | null;
      handoffRecordId: string;
      enrichedExistingCase: boolean;
      salesforceApiCalls: number;
    }
  | {
      kind: 'failed';
      handoffId: string;
      /** transient: retry later; permanent: dead-letter (validation and the like). */
      retry: 'transient' | 'rate_limited' | 'permanent' | 'unknown_outcome';
      code: string;
      /** Scrubbed of customer data and echoed values. */
      message: string;
      salesforceApiCalls: number;
    };
