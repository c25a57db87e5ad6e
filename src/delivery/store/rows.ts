/** Row ↔ record mapping shared by the SQLite and PostgreSQL stores. */
import type { HandoffState } from '../../contract/answer';
import { HANDOFF_STATES } from '../../contract/answer';
import type { PreparedHandoff } from '../../contract/prepared';
import type { RoutingDecision } from '../../contract/routing';
import type { AcceptClaim, AcceptResult, AgentAssignment, StoredHandoff } from './types';

export interface HandoffRow {
  handoff_id: string;
  body_hash: string;
  prepared: unknown;
  state: string;
  attempts: number | string;
  next_attempt_at: number | string;
  claimed_by: string | null;
  lease_until: number | string | null;
  verify_first: number | boolean;
  last_error_code: string | null;
  last_error_message: string | null;
  case_id: string | null;
  case_number: string | null;
  handoff_record_id: string | null;
  enriched_existing_case: number | boolean;
  routing: unknown;
  agent: unknown;
  salesforce_api_calls: number | string;
  callback_url: string | null;
  accepted_at: number | string;
  updated_at: number | string;
  delivered_at: number | string | null;
  dead_lettered_at: number | string | null;
}

const num = (v: number | string): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: number | string | null): number | null => (v === null ? null : num(v));
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

function state(s: string): HandoffState {
  if ((HANDOFF_STATES as readonly string[]).includes(s)) return s as HandoffState;
  throw new Error(`unknown handoff state in store: ${s}`);
}

export function rowToRecord(row: HandoffRow): StoredHandoff {
  return {
    handoffId: row.handoff_id,
    bodyHash: row.body_hash,
    prepared: json<PreparedHandoff>(row.prepared),
    state: state(row.state),
    attempts: num(row.attempts),
    nextAttemptAt: num(row.next_attempt_at),
    claimedBy: row.claimed_by,
    leaseUntil: numOrNull(row.lease_until),
    verifyFirst: Boolean(row.verify_first),
    lastError:
      row.last_error_code === null
        ? null
        : { code: row.last_error_code, message: row.last_error_message ?? '' },
    caseId: row.case_id,
    caseNumber: row.case_number,
    handoffRecordId: row.handoff_record_id,
    enrichedExistingCase: Boolean(row.enriched_existing_case),
    routing: json<RoutingDecision>(row.routing),
    agent: row.agent === null ? null : json<AgentAssignment>(row.agent),
    salesforceApiCalls: num(row.salesforce_api_calls),
    callbackUrl: row.callback_url,
    acceptedAt: num(row.accepted_at),
    updatedAt: num(row.updated_at),
    deliveredAt: numOrNull(row.delivered_at),
    deadLetteredAt: numOrNull(row.dead_lettered_at),
  };
}

export const ZERO_COUNTS = (): Record<HandoffState, number> =>
  Object.fromEntries(HANDOFF_STATES.map((s) => [s, 0])) as Record<HandoffState, number>;

/** The columns a new record starts with: accepted, or delivering when claimed as it is accepted. */
export function newRowValues(prepared: PreparedHandoff, now: number, claim?: AcceptClaim) {
  return {
    handoff_id: prepared.handoffId,
    body_hash: prepared.bodyHash,
    prepared: JSON.stringify(prepared),
    routing: JSON.stringify(prepared.decision),
    callback_url: prepared.handoff.operational.callbackUrl ?? null,
    now,
    state: claim ? ('delivering' as const) : ('accepted' as const),
    claimed_by: claim?.workerId ?? null,
    lease_until: claim?.leaseUntil ?? null,
    attempts: claim ? 1 : 0,
  };
}

/**
 * The record a fresh insert of newRowValues(prepared, now, claim) writes, built from the same inputs
 * (no read back, no JSON): what accept() answers, and what may be sent before it answers
 * (HandoffStore.earlySend).
 */
export function newRecord(prepared: PreparedHandoff, now: number, claim?: AcceptClaim): StoredHandoff {
  return {
    handoffId: prepared.handoffId,
    bodyHash: prepared.bodyHash,
    prepared,
    state: claim ? 'delivering' : 'accepted',
    attempts: claim ? 1 : 0,
    nextAttemptAt: now,
    claimedBy: claim?.workerId ?? null,
    leaseUntil: claim?.leaseUntil ?? null,
    verifyFirst: false,
    lastError: null,
    caseId: null,
    caseNumber: null,
    handoffRecordId: null,
    enrichedExistingCase: false,
    routing: prepared.decision,
    agent: null,
    salesforceApiCalls: 0,
    callbackUrl: prepared.handoff.operational.callbackUrl ?? null,
    acceptedAt: now,
    updatedAt: now,
    deliveredAt: null,
    deadLetteredAt: null,
  };
}

/** What writing a new row answers: accepted (the caller builds the record), or the stored one. */
export type RowAcceptResult = { kind: 'accepted' } | Exclude<AcceptResult, { kind: 'accepted' }>;

/**
 * accept() of the SQLite front ends: the row is built here and written by `write` (the engine's
 * group commit, or a message to the store's thread); a new record is built from the same values, no
 * read back.
 */
export async function acceptAsRow(
  write: (values: ReturnType<typeof newRowValues>) => Promise<RowAcceptResult>,
  prepared: PreparedHandoff,
  now: number,
  claim?: AcceptClaim,
): Promise<AcceptResult> {
  const r = await write(newRowValues(prepared, now, claim));
  return r.kind === 'accepted' ? { kind: 'accepted', record: newRecord(prepared, now, claim) } : r;
}
