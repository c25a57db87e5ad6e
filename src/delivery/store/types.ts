/**
 * The durable store: every accepted handoff is written here before the bot gets an answer, and the
 * worker delivers from here. Two implementations (SQLite, PostgreSQL) pass the same suite
 * (test/unit/delivery/store-suite.ts).
 *
 * States (HandoffState): accepted → delivering → routed → agent_assigned; a failed attempt that will
 * be retried is `failed` (next_attempt_at says when); a handoff that will not be retried any more is
 * `dead_lettered` until an operator replays it (requeue → failed, due at once).
 *
 * Every mark* call is fenced by the claim: it only applies while the record is still `delivering`
 * and claimed by that worker, so an instance whose lease lapsed cannot overwrite the work of the
 * instance that reclaimed it.
 */
import type { HandoffState } from '../../contract/answer';
import type { DeliveryOutcome, PreparedHandoff } from '../../contract/prepared';
import type { RoutingDecision } from '../../contract/routing';
import type { EarlySend, SendDoubts } from './early-send';

/**
 * SQLite: WAL pages (4 KB) after which a commit also checkpoints the WAL into the database, ~400 KB
 * (SqliteStoreOptions.checkpointPages).
 */
export const DEFAULT_CHECKPOINT_PAGES = 100;

export type DeliveredOutcome = Extract<DeliveryOutcome, { kind: 'delivered' }>;

export interface AgentAssignment {
  userId: string;
  assignedAt: string | null;
  acceptedAt: string | null;
}

export interface StoredError {
  code: string;
  message: string;
}

export interface StoredHandoff {
  handoffId: string;
  bodyHash: string;
  prepared: PreparedHandoff;
  state: HandoffState;
  /** Delivery attempts started (claims), over the record's whole life. */
  attempts: number;
  /** Epoch ms: when the record is next due (accepted / failed). */
  nextAttemptAt: number;
  claimedBy: string | null;
  /** Epoch ms; a `delivering` record whose lease lapsed is reclaimed by any worker. */
  leaseUntil: number | null;
  /**
   * Salesforce may hold what an earlier attempt wrote (unknown outcome, or a lapsed lease): the next
   * attempt must look it up (findDelivered) before sending again.
   */
  verifyFirst: boolean;
  lastError: StoredError | null;
  caseId: string | null;
  caseNumber: string | null;
  handoffRecordId: string | null;
  enrichedExistingCase: boolean;
  routing: RoutingDecision;
  agent: AgentAssignment | null;
  salesforceApiCalls: number;
  callbackUrl: string | null;
  acceptedAt: number;
  updatedAt: number;
  deliveredAt: number | null;
  deadLetteredAt: number | null;
}

export type AcceptResult =
  | { kind: 'accepted'; record: StoredHandoff }
  | { kind: 'duplicate'; record: StoredHandoff }
  | { kind: 'conflict'; record: StoredHandoff };

export interface QueueStats {
  /** Records per state (every state present, 0 when none). */
  counts: Record<HandoffState, number>;
  /** Age in ms of the oldest record not yet delivered (accepted, delivering, failed); 0 when none. */
  oldestPendingAgeMs: number;
}

export interface ListOptions {
  limit?: number;
  /** Keyset paging: records with handoffId > after. */
  after?: string;
}

/**
 * Accept-and-claim: the accepting instance's worker takes a new record in the same commit that
 * stores it (delivering, claimed by workerId until leaseUntil, attempt 1), exactly as a claimBatch
 * right after the insert would have, so delivering it costs no second transaction. If the instance
 * dies, the lease lapses and any worker reclaims it with verifyFirst, as for any claimed record.
 */
export interface AcceptClaim {
  workerId: string;
  leaseUntil: number;
}

export interface HandoffStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Creates tables and indexes if absent (idempotent; safe with several instances starting). */
  migrate(): Promise<void>;
  /**
   * Insert-if-absent by handoffId, compared by bodyHash; resolves only once the row is durably
   * committed. Concurrent accepts of one id behave as if they came one after the other (one
   * accepted, the rest duplicate or conflict against it). Stores may commit several concurrent
   * accepts in one transaction (SQLite: group commit); a row that cannot be written fails alone.
   * With `claim`, a record this call inserts starts claimed (AcceptClaim); a duplicate or conflict
   * leaves the stored record as it is.
   */
  accept(prepared: PreparedHandoff, now: number, claim?: AcceptClaim): Promise<AcceptResult>;
  /**
   * Present when a handoff may be sent while its accept commits (early-send.ts): a SQLite file this
   * process owns alone (`shared` false, locked by sqlite-lock.ts), once migrated. Absent: only
   * accept() knows whether a handoff is new, and it is sent after its commit.
   */
  readonly earlySend?: EarlySend;
  /**
   * Ids a send may have left in Salesforce without a record here (early-send.ts): the worker looks
   * in Salesforce before sending one. Present on a SQLite file the service accepts into, owned or shared.
   */
  readonly sendDoubts?: SendDoubts;
  get(handoffId: string): Promise<StoredHandoff | null>;
  /**
   * Claims up to `max` due records for `workerId`: accepted/failed with next_attempt_at ≤ now, or
   * delivering with a lapsed lease (those get verifyFirst). Sets delivering, the lease, attempts + 1.
   * Oldest due first. Two concurrent claimers never get the same record.
   */
  claimBatch(workerId: string, max: number, leaseMs: number, now: number): Promise<StoredHandoff[]>;
  /** Extends the lease of records still claimed by workerId; returns the ids still held. */
  renewLease(ids: string[], workerId: string, leaseUntil: number, now: number): Promise<string[]>;
  /** delivering → routed with the case, handoff record and API calls. False when no longer claimed. */
  markDelivered(id: string, workerId: string, outcome: DeliveredOutcome, now: number): Promise<boolean>;
  /**
   * markDelivered for a whole batch in one transaction (one commit): each outcome settles the
   * handoff it names (outcome.handoffId). Returns, in input order, whether each was still claimed by
   * workerId and is now routed (false: the claim was lost; a repeated id counts once, the first time).
   */
  markDeliveredMany(outcomes: readonly DeliveredOutcome[], workerId: string, now: number): Promise<boolean[]>;
  /** delivering → failed, due at nextAttemptAt. */
  markRetry(
    id: string,
    workerId: string,
    error: StoredError & { verifyFirst: boolean; salesforceApiCalls: number },
    nextAttemptAt: number,
    now: number,
  ): Promise<boolean>;
  /** delivering → dead_lettered. */
  markDeadLetter(
    id: string,
    workerId: string,
    error: StoredError & { verifyFirst: boolean; salesforceApiCalls: number },
    now: number,
  ): Promise<boolean>;
  /** routed → agent_assigned. False when the record is not routed. */
  markAgentAssigned(id: string, agent: AgentAssignment, now: number): Promise<boolean>;
  /**
   * delivering (claimed by workerId) → back to its due state at once, lease cleared (shutdown); the
   * unused attempt is given back. verifyFirst: a send may be in flight, so whoever takes it next
   * must look in Salesforce first.
   */
  release(ids: string[], workerId: string, now: number, verifyFirst?: boolean): Promise<number>;
  /** dead_lettered → failed, due now, attempts reset. False when not dead-lettered. */
  requeue(id: string, now: number): Promise<boolean>;
  listByState(state: HandoffState, options?: ListOptions): Promise<StoredHandoff[]>;
  /** Routed handoffs with a case and no agent yet, by handoffId after `after` (keyset paging). */
  listAwaitingAgent(limit: number, after?: string): Promise<StoredHandoff[]>;
  stats(now: number): Promise<QueueStats>;
  /** Liveness for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const DUE_STATES: readonly HandoffState[] = ['accepted', 'failed'];
