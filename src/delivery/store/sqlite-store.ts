/**
 * The embedded store: one SQLite file in WAL mode (or ':memory:' for tests), no setup. Claims run in
 * IMMEDIATE transactions, so even several processes on one file never claim the same record.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { HandoffState } from '../../contract/answer';
import type { PreparedHandoff } from '../../contract/prepared';
import { newRowValues, rowToRecord, ZERO_COUNTS } from './rows';
import type { HandoffRow } from './rows';
import type {
  AcceptResult,
  AgentAssignment,
  DeliveredOutcome,
  HandoffStore,
  ListOptions,
  QueueStats,
  StoredError,
  StoredHandoff,
} from './types';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS handoffs (
  handoff_id             TEXT PRIMARY KEY,
  body_hash              TEXT NOT NULL,
  prepared               TEXT NOT NULL,
  state                  TEXT NOT NULL,
  attempts               INTEGER NOT NULL DEFAULT 0,
  next_attempt_at        INTEGER NOT NULL,
  claimed_by             TEXT,
  lease_until            INTEGER,
  verify_first           INTEGER NOT NULL DEFAULT 0,
  last_error_code        TEXT,
  last_error_message     TEXT,
  case_id                TEXT,
  case_number            TEXT,
  handoff_record_id      TEXT,
  enriched_existing_case INTEGER NOT NULL DEFAULT 0,
  routing                TEXT NOT NULL,
  agent                  TEXT,
  salesforce_api_calls   INTEGER NOT NULL DEFAULT 0,
  callback_url           TEXT,
  accepted_at            INTEGER NOT NULL,
  updated_at             INTEGER NOT NULL,
  delivered_at           INTEGER,
  dead_lettered_at       INTEGER
);
CREATE INDEX IF NOT EXISTS handoffs_due ON handoffs (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS handoffs_lease ON handoffs (state, lease_until);
`;

const DUE_WHERE = `(state IN ('accepted','failed') AND next_attempt_at <= @now)
  OR (state = 'delivering' AND lease_until <= @now)`;

export interface SqliteStoreOptions {
  path: string;
}

export class SqliteHandoffStore implements HandoffStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ':memory:')
      fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
  }

  migrate(): Promise<void> {
    this.db.exec(SCHEMA);
    return Promise.resolve();
  }

  accept(prepared: PreparedHandoff, now: number): Promise<AcceptResult> {
    const v = newRowValues(prepared, now);
    const run = this.db.transaction((): AcceptResult => {
      const inserted = this.db
        .prepare(
          `INSERT INTO handoffs (handoff_id, body_hash, prepared, state, next_attempt_at, routing, callback_url,
             accepted_at, updated_at)
           VALUES (@handoff_id, @body_hash, @prepared, 'accepted', @now, @routing, @callback_url, @now, @now)
           ON CONFLICT (handoff_id) DO NOTHING`,
        )
        .run(v);
      const record = this.getSync(prepared.handoffId);
      if (!record) throw new Error('accepted handoff not found after insert');
      if (inserted.changes === 1) return { kind: 'accepted', record };
      return { kind: record.bodyHash === prepared.bodyHash ? 'duplicate' : 'conflict', record };
    });
    return Promise.resolve(run.immediate());
  }

  get(handoffId: string): Promise<StoredHandoff | null> {
    return Promise.resolve(this.getSync(handoffId));
  }

  private getSync(handoffId: string): StoredHandoff | null {
    const row = this.db.prepare('SELECT * FROM handoffs WHERE handoff_id = ?').get(handoffId) as
      HandoffRow | undefined;
    return row ? rowToRecord(row) : null;
  }

  claimBatch(workerId: string, max: number, leaseMs: number, now: number): Promise<StoredHandoff[]> {
    const run = this.db.transaction((): StoredHandoff[] => {
      const ids = this.db
        .prepare(
          `SELECT handoff_id FROM handoffs WHERE ${DUE_WHERE} ORDER BY next_attempt_at, handoff_id LIMIT @max`,
        )
        .all({ now, max }) as { handoff_id: string }[];
      const update = this.db.prepare(
        `UPDATE handoffs SET verify_first = CASE WHEN state = 'delivering' THEN 1 ELSE verify_first END,
           state = 'delivering', claimed_by = @workerId, lease_until = @leaseUntil, attempts = attempts + 1,
           updated_at = @now
         WHERE handoff_id = @id RETURNING *`,
      );
      return ids.map(({ handoff_id }) =>
        rowToRecord(update.get({ id: handoff_id, workerId, leaseUntil: now + leaseMs, now }) as HandoffRow),
      );
    });
    return Promise.resolve(run.immediate());
  }

  renewLease(ids: string[], workerId: string, leaseUntil: number, now: number): Promise<string[]> {
    const stmt = this.db.prepare(
      `UPDATE handoffs SET lease_until = @leaseUntil, updated_at = @now
       WHERE handoff_id = @id AND state = 'delivering' AND claimed_by = @workerId`,
    );
    const run = this.db.transaction(() =>
      ids.filter((id) => stmt.run({ id, workerId, leaseUntil, now }).changes === 1),
    );
    return Promise.resolve(run.immediate());
  }

  markDelivered(id: string, workerId: string, outcome: DeliveredOutcome, now: number): Promise<boolean> {
    const r = this.db
      .prepare(
        `UPDATE handoffs SET state = 'routed', claimed_by = NULL, lease_until = NULL, verify_first = 0,
           case_id = @caseId, case_number = @caseNumber, handoff_record_id = @handoffRecordId,
           enriched_existing_case = @enriched, salesforce_api_calls = salesforce_api_calls + @calls,
           last_error_code = NULL, last_error_message = NULL, delivered_at = @now, updated_at = @now
         WHERE handoff_id = @id AND state = 'delivering' AND claimed_by = @workerId`,
      )
      .run({
        id,
        workerId,
        now,
        caseId: outcome.caseId,
        caseNumber: outcome.caseNumber,
        handoffRecordId: outcome.handoffRecordId,
        enriched: outcome.enrichedExistingCase ? 1 : 0,
        calls: outcome.salesforceApiCalls,
      });
    return Promise.resolve(r.changes === 1);
  }

  markRetry(
    id: string,
    workerId: string,
    error: StoredError & { verifyFirst: boolean; salesforceApiCalls: number },
    nextAttemptAt: number,
    now: number,
  ): Promise<boolean> {
    return Promise.resolve(this.fail(id, workerId, 'failed', error, nextAttemptAt, now));
  }

  markDeadLetter(
    id: string,
    workerId: string,
    error: StoredError & { verifyFirst: boolean; salesforceApiCalls: number },
    now: number,
  ): Promise<boolean> {
    return Promise.resolve(this.fail(id, workerId, 'dead_lettered', error, now, now));
  }

  private fail(
    id: string,
    workerId: string,
    state: 'failed' | 'dead_lettered',
    error: StoredError & { verifyFirst: boolean; salesforceApiCalls: number },
    nextAttemptAt: number,
    now: number,
  ): boolean {
    const r = this.db
      .prepare(
        `UPDATE handoffs SET state = @state, claimed_by = NULL, lease_until = NULL, next_attempt_at = @next,
           verify_first = CASE WHEN @verify = 1 THEN 1 ELSE verify_first END,
           last_error_code = @code, last_error_message = @message,
           salesforce_api_calls = salesforce_api_calls + @calls, updated_at = @now,
           dead_lettered_at = CASE WHEN @state = 'dead_lettered' THEN @now ELSE dead_lettered_at END
         WHERE handoff_id = @id AND state = 'delivering' AND claimed_by = @workerId`,
      )
      .run({
        id,
        workerId,
        state,
        next: nextAttemptAt,
        verify: error.verifyFirst ? 1 : 0,
        code: error.code,
        message: error.message,
        calls: error.salesforceApiCalls,
        now,
      });
    return r.changes === 1;
  }

  markAgentAssigned(id: string, agent: AgentAssignment, now: number): Promise<boolean> {
    const r = this.db
      .prepare(
        `UPDATE handoffs SET state = 'agent_assigned', agent = @agent, updated_at = @now
         WHERE handoff_id = @id AND state = 'routed'`,
      )
      .run({ id, agent: JSON.stringify(agent), now });
    return Promise.resolve(r.changes === 1);
  }

  release(ids: string[], workerId: string, now: number, verifyFirst = false): Promise<number> {
    const stmt = this.db.prepare(
      `UPDATE handoffs SET state = CASE WHEN attempts > 1 OR last_error_code IS NOT NULL THEN 'failed' ELSE 'accepted' END,
         attempts = MAX(attempts - 1, 0), claimed_by = NULL, lease_until = NULL, next_attempt_at = @now,
         verify_first = CASE WHEN @verify = 1 THEN 1 ELSE verify_first END, updated_at = @now
       WHERE handoff_id = @id AND state = 'delivering' AND claimed_by = @workerId`,
    );
    const verify = verifyFirst ? 1 : 0;
    const run = this.db.transaction(() =>
      ids.reduce((n, id) => n + stmt.run({ id, workerId, now, verify }).changes, 0),
    );
    return Promise.resolve(run.immediate());
  }

  requeue(id: string, now: number): Promise<boolean> {
    const r = this.db
      .prepare(
        `UPDATE handoffs SET state = 'failed', attempts = 0, next_attempt_at = @now, dead_lettered_at = NULL,
           updated_at = @now
         WHERE handoff_id = @id AND state = 'dead_lettered'`,
      )
      .run({ id, now });
    return Promise.resolve(r.changes === 1);
  }

  listByState(state: HandoffState, options: ListOptions = {}): Promise<StoredHandoff[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM handoffs WHERE state = @state AND handoff_id > @after ORDER BY handoff_id LIMIT @limit`,
      )
      .all({ state, after: options.after ?? '', limit: options.limit ?? 100 }) as HandoffRow[];
    return Promise.resolve(rows.map(rowToRecord));
  }

  listAwaitingAgent(limit: number, after = ''): Promise<StoredHandoff[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM handoffs WHERE state = 'routed' AND case_id IS NOT NULL AND handoff_id > ?
         ORDER BY handoff_id LIMIT ?`,
      )
      .all(after, limit) as HandoffRow[];
    return Promise.resolve(rows.map(rowToRecord));
  }

  stats(now: number): Promise<QueueStats> {
    const counts = ZERO_COUNTS();
    const rows = this.db.prepare('SELECT state, COUNT(*) AS n FROM handoffs GROUP BY state').all() as {
      state: HandoffState;
      n: number;
    }[];
    for (const r of rows) counts[r.state] = r.n;
    const oldest = this.db
      .prepare(`SELECT MIN(accepted_at) AS t FROM handoffs WHERE state IN ('accepted','delivering','failed')`)
      .get() as { t: number | null };
    return Promise.resolve({
      counts,
      oldestPendingAgeMs: oldest.t === null ? 0 : Math.max(0, now - oldest.t),
    });
  }

  ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
