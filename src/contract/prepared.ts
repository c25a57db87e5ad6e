/**
 * A handoff after validate → decide → redact: everything delivery needs, already redacted, as plain
 * JSON. This is what the durable store keeps, so no unredacted customer data is ever stored.
 */
import { z } from 'zod';
import { handoffRequestSchema } from './handoff';
import { escalationEvaluationSchema, routingDecisionSchema } from './routing';
import { redactionCountSchema } from './answer';

/**
 * Who submitted a handoff, as authenticated by the service (never a secret):
 * - jwt: a bot token on the canonical API (issuer and subject);
 * - jwt_subject: a bot token whose issuer the route did not pass on (the Bot Framework adapter);
 * - adapter: a shared-secret platform adapter and the principal it authenticated ("shared-token" or a
 *   basic user name).
 * Only that caller may read the handoff's status or replay it.
 */
export const callerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('jwt'), issuer: z.string(), subject: z.string() }).strict(),
  z.object({ kind: z.literal('jwt_subject'), subject: z.string() }).strict(),
  z.object({ kind: z.literal('adapter'), platform: z.string(), principal: z.string() }).strict(),
]);
export type Caller = z.infer<typeof callerSchema>;

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
    /** Who submitted it (absent for handoffs stored before callers were recorded). */
    caller: callerSchema.optional(),
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
