/**
 * The seam between the handoff service (validate → decide → redact → answer) and delivery (durable
 * store, worker, Salesforce). The service hands a PreparedHandoff to a Deliverer and maps what comes
 * back to an HTTP answer; it never sees a store, a queue or jsforce.
 *
 * The durable implementation lives in src/delivery (SQLite / PostgreSQL store + worker + latency
 * budget). An in-memory one for unit tests lives in test/support/memory-deliverer.ts.
 */
import type { HandoffState, RedactionCount } from '../contract/answer';
import type { Caller, DeliveryOutcome, PreparedHandoff } from '../contract/prepared';
import type { RoutingDecision } from '../contract/routing';

export type DeliveredOutcome = Extract<DeliveryOutcome, { kind: 'delivered' }>;

/** What the store knows about one handoff; the service turns it into a HandoffAnswer. */
export interface HandoffRecord {
  handoffId: string;
  /**
   * As in PreparedHandoff.bodyHash: SHA-256 (hex) of the canonical request body, bound to the caller
   * (`<sha256>.<caller tag>`, src/service/validate.ts boundBodyHash) when one was recorded.
   */
  bodyHash: string;
  /**
   * Who submitted it (PreparedHandoff.caller), when the deliverer passes it on; otherwise the service
   * reads the caller from the tag in bodyHash.
   */
  caller?: Caller | null;
  state: HandoffState;
  /** ISO 8601; when the service accepted it. */
  receivedAt: string;
  decision: RoutingDecision;
  redactions: RedactionCount[];
  /** Set once Salesforce has the Case (state routed or agent_assigned). */
  outcome: DeliveredOutcome | null;
  /** The last failure (state failed / dead_lettered, or a retry pending); scrubbed of customer data. */
  lastError: { code: string; message: string } | null;
  /** Salesforce API calls this handoff has used so far, over all attempts. */
  salesforceApiCalls: number;
  /** Set when Omni-Channel has offered the work to an agent (AgentWork), when the deliverer knows it. */
  agent?: { userId: string; assignedAt: string | null; acceptedAt: string | null } | null;
}

/**
 * The answer to submit():
 * - delivered: accepted durably AND delivered within the latency budget        → 201
 * - pending:   accepted durably; delivery continues in the background           → 202
 * - replay:    this handoffId was accepted before with the SAME bodyHash;
 *              nothing new was stored or sent; record is its current state        → 200
 * - conflict:  this handoffId was accepted before with a DIFFERENT bodyHash;
 *              nothing was stored or sent; record is the existing one             → 409
 */
export type SubmitResult =
  | { state: 'delivered'; record: HandoffRecord }
  | { state: 'pending'; record: HandoffRecord }
  | { state: 'replay'; record: HandoffRecord }
  | { state: 'conflict'; record: HandoffRecord };

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  /** Short and free of secrets, e.g. "store reachable", "circuit open until 12:01:00Z". */
  detail?: string;
}

export interface Deliverer {
  /**
   * Accepts the handoff durably (insert-if-absent keyed by handoffId, compared by bodyHash,
   * atomically: two concurrent submits of one id never both store), then tries to deliver it within
   * the latency budget from the delivery config. Must not reject for a Salesforce failure: a
   * handoff that is stored answers `pending` (and keeps retrying) or `delivered`. Rejects only when
   * it cannot store the handoff at all (throw an AppError with status 503 and transient: true).
   */
  submit(prepared: PreparedHandoff): Promise<SubmitResult>;
  /** The current record, or null when the id is unknown. */
  status(handoffId: string): Promise<HandoffRecord | null>;
  /** For GET /readyz: store reachable, Salesforce login ok or circuit closed, … */
  readiness(): Promise<ReadinessCheck[]>;
  /** Stops the worker and closes the store; in-flight deliveries finish or stay stored for later. */
  close(): Promise<void>;
}
