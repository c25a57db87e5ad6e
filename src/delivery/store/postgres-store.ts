/**
 * The shared store: several service instances use one PostgreSQL schema. Each due handoff is claimed
 * by exactly one instance (SELECT … FOR UPDATE SKIP LOCKED) with a lease (claimed_by, lease_until)
 * that the claimer renews while its batch is in flight; a crashed instance's claims lapse and are
 * reclaimed — with verify_first set, so the reclaimer looks in Salesforce before sending again.
 */
import { Pool } from 'pg';
import type { PoolClient } from 'pg';
import type { HandoffState } from '../../contract/answer';
import type { PreparedHandoff } from '../../contract/prepared';
import { newRecord, newRowValues, rowToRecord, ZERO_COUNTS } from './rows';
import type { HandoffRow } from './rows';
import type {
  AcceptClaim,
  AcceptResult,
  AgentAssignment,
  DeliveredOutcome,
  HandoffStore,
  ListOptions,
  QueueStats,
  StoredError,
  StoredHandoff,
} from './types';

export interface PostgresStoreOptions {
  connectionString: string;
  /** Validated identifier (see storeConfigSchema); interpolated into SQL as a quoted name. */
  schema: string;
  poolSize?: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export class PostgresHandoffStore implements HandoffStore {
  readonly kind = 'postgres' as const;
  private readonly pool: Pool;
  private readonly schema: string;
  private readonly t: string;

  constructor(options: PostgresStoreOptions) {
    if (!IDENT.test(options.schema)) throw new Error('store schema must be a lower-case SQL identifier');
    this.schema = options.schema;
    this.t = `"${options.schema}".handoffs`;
    this.pool = new Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async migrate(): Promise<void> {
    await this.tx(async (c) => {
      // Several instances may start at once: serialize the DDL.
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`fsc-handoff-migrate:${this.schema}`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await c.query(`
        CREATE TABLE IF NOT EXISTS ${this.t} (
          handoff_id             TEXT PRIMARY KEY,
          body_hash              TEXT NOT NULL,
          prepared               JSONB NOT NULL,
          state                  TEXT NOT NULL,
          attempts               INTEGER NOT NULL DEFAULT 0,
          next_attempt_at        BIGINT NOT NULL,
          claimed_by             TEXT,
          lease_until            BIGINT,
          verify_first           BOOLEAN NOT NULL DEFAULT FALSE,
          last_error_code        TEXT,
          last_error_message     TEXT,
          case_id                TEXT,
          case_number            TEXT,
          handoff_record_id      TEXT,
          enriched_existing_case BOOLEAN NOT NULL DEFAULT FALSE,
          routing                JSONB NOT NULL,
          agent                  JSONB,
          salesforce_api_calls   INTEGER NOT NULL DEFAULT 0,
          callback_url           TEXT,
          accepted_at            BIGINT NOT NULL,
          updated_at             BIGINT NOT NULL,
          delivered_at           BIGINT,
          dead_lettered_at       BIGINT
        )`);
      await c.query(`CREATE INDEX IF NOT EXISTS handoffs_due ON ${this.t} (state, next_attempt_at)`);
      await c.query(`CREATE INDEX IF NOT EXISTS handoffs_lease ON ${this.t} (state, lease_until)`);
    });
  }

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const result = await fn(c);
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  private async rows(sql: string, params: unknown[]): Promise<HandoffRow[]> {
    const r = await this.pool.query<HandoffRow>(sql, params);
    return r.rows;
  }

  async accept(prepared: PreparedHandoff, now: number, claim?: AcceptClaim): Promise<AcceptResult> {
    const v = newRowValues(prepared, now, claim);
    // One statement: insert-if-absent is atomic; a concurrent insert of the same id waits for the
    // other transaction and then does nothing, and the SELECT below sees the committed row.
    const inserted = await this.rows(
      `INSERT INTO ${this.t} (handoff_id, body_hash, prepared, state, next_attempt_at, routing, callback_url,
         claimed_by, lease_until, attempts, accepted_at, updated_at)
       VALUES ($1, $2, $3::jsonb, $7, $4, $5::jsonb, $6, $8, $9, $10, $4, $4)
       ON CONFLICT (handoff_id) DO NOTHING RETURNING handoff_id`,
      [
        v.handoff_id,
        v.body_hash,
        v.prepared,
        now,
        v.routing,
        v.callback_url,
        v.state,
        v.claimed_by,
        v.lease_until,
        v.attempts,
      ],
    );
    // Built from the values in hand: reading the jsonb back would only parse what we just wrote.
    if (inserted[0]) return { kind: 'accepted', record: newRecord(prepared, now, claim) };
    const existing = await this.get(prepared.handoffId);
    if (!existing) throw new Error('handoff neither inserted nor found');
    return { kind: existing.bodyHash === prepared.bodyHash ? 'duplicate' : 'conflict', record: existing };
  }

  async get(handoffId: string): Promise<StoredHandoff | null> {
    const rows = await this.rows(`SELECT * FROM ${this.t} WHERE handoff_id = $1`, [handoffId]);
    return rows[0] ? rowToRecord(rows[0]) : null;
  }

  async claimBatch(workerId: string, max: number, leaseMs: number, now: number): Promise<StoredHandoff[]> {
    const rows = await this.rows(
      `WITH due AS (
         SELECT handoff_id, state AS prev_state FROM ${this.t}
         WHERE (state IN ('accepted','failed') AND next_attempt_at <= $1)
            OR (state = 'delivering' AND lease_until <= $1)
         ORDER BY next_attempt_at, handoff_id
         LIMIT $2
         FOR UPDATE SKIP LOCKED)
       UPDATE ${this.t} AS h SET
         verify_first = h.verify_first OR due.prev_state = 'delivering',
         state = 'delivering', claimed_by = $3, lease_until = $4, attempts = h.attempts + 1, updated_at = $1
       FROM due WHERE h.handoff_id = due.handoff_id
       RETURNING h.*`,
      [now, max, workerId, now + leaseMs],
    );
    return rows
      .map(rowToRecord)
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || cmp(a.handoffId, b.handoffId));
  }

  async renewLease(ids: string[], workerId: string, leaseUntil: number, now: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const r = await this.pool.query<{ handoff_id: string }>(
      `UPDATE ${this.t} SET lease_until = $3, updated_at = $4
       WHERE handoff_id = ANY($1::text[]) AND state = 'delivering' AND claimed_by = $2 RETURNING handoff_id`,
      [ids, workerId, leaseUntil, now],
    );
    const held = new Set(r.rows.map((x) => x.handoff_id));
    return ids.filter((id) => held.has(id));
  }

  async markDelivered(
    id: string,
    workerId: string,
    outcome: DeliveredOutcome,
    now: number,
  ): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE ${this.t} SET state = 'routed', claimed_by = NULL, lease_until = NULL, verify_first = FALSE,
         case_id = $3, case_number = $4, handoff_record_id = $5, enriched_existing_case = $6,
         salesforce_api_calls = salesforce_api_calls + $7, last_error_code = NULL, last_error_message = NULL,
         delivered_at = $8, updated_at = $8
       WHERE handoff_id = $1 AND state = 'delivering' AND claimed_by = $2`,
      [
        id,
        workerId,
        outcome.caseId,
        outcome.caseNumber,
        outcome.handoffRecordId,
        outcome.enrichedExistingCase,
        outcome.salesforceApiCalls,
        now,
      ],
    );
    return r.rowCount === 1;
  }

  async markDeliveredMany(
    outcomes: readonly DeliveredOutcome[],
    workerId: string,
    now: number,
  ): Promise<boolean[]> {
    // A repeated id is settled once, by its first outcome (as one-after-the-other calls would).
    const first = new Map<string, DeliveredOutcome>();
    for (const o of outcomes) if (!first.has(o.handoffId)) first.set(o.handoffId, o);
    if (first.size === 0) return [];
    const items = [...first.values()];
    // One statement, one transaction, whatever the batch size.
    const r = await this.pool.query<{ handoff_id: string }>(
      `UPDATE ${this.t} AS h SET state = 'routed', claimed_by = NULL, lease_until = NULL, verify_first = FALSE,
         case_id = v.case_id, case_number = v.case_number, handoff_record_id = v.handoff_record_id,
         enriched_existing_case = v.enriched, salesforce_api_calls = h.salesforce_api_calls + v.calls,
         last_error_code = NULL, last_error_message = NULL, delivered_at = $7, updated_at = $7
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::integer[])
         AS v(handoff_id, case_id, case_number, handoff_record_id, enriched, calls)
       WHERE h.handoff_id = v.handoff_id AND h.state = 'delivering' AND h.claimed_by = $8
       RETURNING h.handoff_id`,
      [
        items.map((o) => o.handoffId),
        items.map((o) => o.caseId),
        items.map((o) => o.caseNumber),
        items.map((o) => o.handoffRecordId),
        items.map((o) => o.enrichedExistingCase),
        items.map((o) => o.salesforceApiCalls),
        now,
        workerId,
      ],
    );
    const settled = new Set(r.rows.map((x) => x.handoff_id));
    const seen = new Set<string>();
    return outcomes.map((o) => {
      if (seen.has(o.handoffId)) return false;
      seen.add(o.handoffId);
      return settled.has(o.handoffId);
    });
  }

  markRetry(
    id: string,
    workerId: string,
    error: StoredError & { verifyFirst: boolean; salesforceApiCalls: number },
    nextAttemptAt: number,
    now: number,
  ): Promise<boolean> {
    return this.fail(id, workerId, 'failed', error, nextAttemptAt, now);
  }

  markDeadLetter(
    id: string,
    workerId: string,
    error: StoredError & { verifyFirst: boolean; salesforceApiCalls: number },
    now: number,
  ): Promise<boolean> {
    return this.fail(id, workerId, 'dead_lettered', error, now, now);
  }

  private async fail(
    id: string,
    workerId: string,
    state: 'failed' | 'dead_lettered',
    error: StoredError & { verifyFirst: boolean; salesforceApiCalls: number },
    nextAttemptAt: number,
    now: number,
  ): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE ${this.t} SET state = $3, claimed_by = NULL, lease_until = NULL, next_attempt_at = $4,
         verify_first = verify_first OR $5, last_error_code = $6, last_error_message = $7,
         salesforce_api_calls = salesforce_api_calls + $8, updated_at = $9,
         dead_lettered_at = CASE WHEN $3 = 'dead_lettered' THEN $9 ELSE dead_lettered_at END
       WHERE handoff_id = $1 AND state = 'delivering' AND claimed_by = $2`,
      [
        id,
        workerId,
        state,
        nextAttemptAt,
        error.verifyFirst,
        error.code,
        error.message,
        error.salesforceApiCalls,
        now,
      ],
    );
    return r.rowCount === 1;
  }

  async markAgentAssigned(id: string, agent: AgentAssignment, now: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE ${this.t} SET state = 'agent_assigned', agent = $2::jsonb, updated_at = $3
       WHERE handoff_id = $1 AND state = 'routed'`,
      [id, JSON.stringify(agent), now],
    );
    return r.rowCount === 1;
  }

  async release(ids: string[], workerId: string, now: number, verifyFirst = false): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.pool.query(
      `UPDATE ${this.t} SET
         state = CASE WHEN attempts > 1 OR last_error_code IS NOT NULL THEN 'failed' ELSE 'accepted' END,
         attempts = GREATEST(attempts - 1, 0), claimed_by = NULL, lease_until = NULL, next_attempt_at = $3,
         verify_first = verify_first OR $4, updated_at = $3
       WHERE handoff_id = ANY($1::text[]) AND state = 'delivering' AND claimed_by = $2`,
      [ids, workerId, now, verifyFirst],
    );
    return r.rowCount ?? 0;
  }

  async requeue(id: string, now: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE ${this.t} SET state = 'failed', attempts = 0, next_attempt_at = $2, dead_lettered_at = NULL,
         updated_at = $2
       WHERE handoff_id = $1 AND state = 'dead_lettered'`,
      [id, now],
    );
    return r.rowCount === 1;
  }

  async listByState(state: HandoffState, options: ListOptions = {}): Promise<StoredHandoff[]> {
    const rows = await this.rows(
      `SELECT * FROM ${this.t} WHERE state = $1 AND handoff_id COLLATE "C" > $2
       ORDER BY handoff_id COLLATE "C" LIMIT $3`,
      [state, options.after ?? '', options.limit ?? 100],
    );
    return rows.map(rowToRecord);
  }

  async listAwaitingAgent(limit: number, after = ''): Promise<StoredHandoff[]> {
    const rows = await this.rows(
      `SELECT * FROM ${this.t} WHERE state = 'routed' AND case_id IS NOT NULL AND handoff_id COLLATE "C" > $2
       ORDER BY handoff_id COLLATE "C" LIMIT $1`,
      [limit, after],
    );
    return rows.map(rowToRecord);
  }

  async stats(now: number): Promise<QueueStats> {
    const counts = ZERO_COUNTS();
    const r = await this.pool.query<{ state: HandoffState; n: string }>(
      `SELECT state, COUNT(*) AS n FROM ${this.t} GROUP BY state`,
    );
    for (const row of r.rows) counts[row.state] = Number(row.n);
    const o = await this.pool.query<{ t: string | null }>(
      `SELECT MIN(accepted_at) AS t FROM ${this.t} WHERE state IN ('accepted','delivering','failed')`,
    );
    const t = o.rows[0]?.t ?? null;
    return { counts, oldestPendingAgeMs: t === null ? 0 : Math.max(0, now - Number(t)) };
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** Drops the schema with everything in it (tests, and `handoffs` CLI never). */
  async dropSchema(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Byte order, like SQLite's default BINARY collation and COLLATE "C". */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
