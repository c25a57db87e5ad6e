/**
 * The embedded store: one SQLite file in WAL mode (or ':memory:' for tests), no setup. Claims run in
 * IMMEDIATE transactions, so even several processes on one file never claim the same record.
 *
 * Write path (better-sqlite3 is synchronous, and every commit waits for an fsync, synchronous=FULL):
 * - Every statement is prepared once per store (on first use after migrate) and reused.
 * - Group commit: accepts are queued and written on the next turn of the event loop (setImmediate),
 *   all that arrived meanwhile in ONE IMMEDIATE transaction (up to WRITE_GROUP_MAX writes), so one
 *   fsync serves them all. Each caller's promise settles only after that transaction committed:
 *   nothing is answered before it is on disk. Within a group, rows are inserted in arrival order, so
 *   a second accept of the same handoffId sees the first (duplicate / conflict, exactly as if they
 *   had come one after the other). A row that fails on its own (a statement error; SQLite backs out
 *   that statement only) rejects its caller alone; an error that ends the transaction (BEGIN, COMMIT,
 *   I/O) rejects every caller of the group, none of whose rows were written.
 * - markDeliveredMany settles a delivered batch in one statement group that joins the same group
 *   commit (one fsync per turn for everything written in it).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { HandoffState } from '../../contract/answer';
import type { PreparedHandoff } from '../../contract/prepared';
import { acceptAsRow, rowToRecord, ZERO_COUNTS, type RowAcceptResult } from './rows';
import type { HandoffRow, newRowValues } from './rows';
import { journalFor } from './early-send';
import type { EarlySend, SendJournal } from './early-send';
import { lockFor } from './sqlite-lock';
import type { StoreLock, StoreLockMode } from './sqlite-lock';
import { DEFAULT_CHECKPOINT_PAGES } from './types';
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
  /**
   * WAL pages after which a commit also copies the WAL back into the database (SQLite's
   * wal_autocheckpoint; default DEFAULT_CHECKPOINT_PAGES). The commit that crosses it waits for that
   * checkpoint, whose fsync grows with the pages it copies: SQLite's own default (1000 pages, 4 MB)
   * held commits for 100–820 ms on a small, busy host.
   */
  checkpointPages?: number;
  /**
   * The lock this process takes on the file (sqlite-lock.ts; none for ':memory:'): `exclusive` when
   * it owns the file alone (then the store offers earlySend), `shared` when several processes accept
   * into it. None (the default): operator tools and the store's own thread, which accept nothing new
   * or are covered by the lock of the process they run in.
   */
  lock?: StoreLockMode;
}

/** A whole number of pages, at least 1 (the setting is interpolated into a pragma). */
function checkpointPages(pages: number | undefined): number {
  if (pages === undefined) return DEFAULT_CHECKPOINT_PAGES;
  if (!Number.isInteger(pages) || pages < 1)
    throw new Error(`checkpointPages must be a whole number ≥ 1, got ${pages}`);
  return pages;
}

/** Most writes (accepts, delivered batches) one group transaction takes; more go in the next turn. */
export const WRITE_GROUP_MAX = 256;

const SQL = {
  insert: `INSERT INTO handoffs (handoff_id, body_hash, prepared, state, next_attempt_at, routing, callback_url,
     claimed_by, lease_until, attempts, accepted_at, updated_at)
   VALUES (@handoff_id, @body_hash, @prepared, @state, @now, @routing, @callback_url,
     @claimed_by, @lease_until, @attempts, @now, @now)
   ON CONFLICT (handoff_id) DO NOTHING`,
  get: 'SELECT * FROM handoffs WHERE handoff_id = ?',
  known: 'SELECT 1 FROM handoffs WHERE handoff_id = ?',
  dueIds: `SELECT handoff_id FROM handoffs WHERE ${DUE_WHERE} ORDER BY next_attempt_at, handoff_id LIMIT @max`,
  claim: `UPDATE handoffs SET verify_first = CASE WHEN state = 'delivering' THEN 1 ELSE verify_first END,
     state = 'delivering', claimed_by = @workerId, lease_until = @leaseUntil, attempts = attempts + 1,
     updated_at = @now
   WHERE handoff_id = @id RETURNING *`,
  renew: `UPDATE handoffs SET lease_until = @leaseUntil, updated_at = @now
   WHERE handoff_id = @id AND state = 'delivering' AND claimed_by = @workerId`,
  delivered: `UPDATE handoffs SET state = 'routed', claimed_by = NULL, lease_until = NULL, verify_first = 0,
     case_id = @caseId, case_number = @caseNumber, handoff_record_id = @handoffRecordId,
     enriched_existing_case = @enriched, salesforce_api_calls = salesforce_api_calls + @calls,
     last_error_code = NULL, last_error_message = NULL, delivered_at = @now, updated_at = @now
   WHERE handoff_id = @id AND state = 'delivering' AND claimed_by = @workerId`,
  fail: `UPDATE handoffs SET state = @state, claimed_by = NULL, lease_until = NULL, next_attempt_at = @next,
     verify_first = CASE WHEN @verify = 1 THEN 1 ELSE verify_first END,
     last_error_code = @code, last_error_message = @message,
     salesforce_api_calls = salesforce_api_calls + @calls, updated_at = @now,
     dead_lettered_at = CASE WHEN @state = 'dead_lettered' THEN @now ELSE dead_lettered_at END
   WHERE handoff_id = @id AND state = 'delivering' AND claimed_by = @workerId`,
  agentAssigned: `UPDATE handoffs SET state = 'agent_assigned', agent = @agent, updated_at = @now
   WHERE handoff_id = @id AND state = 'routed'`,
  release: `UPDATE handoffs SET state = CASE WHEN attempts > 1 OR last_error_code IS NOT NULL THEN 'failed' ELSE 'accepted' END,
     attempts = MAX(attempts - 1, 0), claimed_by = NULL, lease_until = NULL, next_attempt_at = @now,
     verify_first = CASE WHEN @verify = 1 THEN 1 ELSE verify_first END, updated_at = @now
   WHERE handoff_id = @id AND state = 'delivering' AND claimed_by = @workerId`,
  requeue: `UPDATE handoffs SET state = 'failed', attempts = 0, next_attempt_at = @now, dead_lettered_at = NULL,
     updated_at = @now
   WHERE handoff_id = @id AND state = 'dead_lettered'`,
  listByState: `SELECT * FROM handoffs WHERE state = @state AND handoff_id > @after ORDER BY handoff_id LIMIT @limit`,
  awaitingAgent: `SELECT * FROM handoffs WHERE state = 'routed' AND case_id IS NOT NULL AND handoff_id > ?
   ORDER BY handoff_id LIMIT ?`,
  counts: 'SELECT state, COUNT(*) AS n FROM handoffs GROUP BY state',
  oldest: `SELECT MIN(accepted_at) AS t FROM handoffs WHERE state IN ('accepted','delivering','failed')`,
  ping: 'SELECT 1',
} as const;

type Statements = { [K in keyof typeof SQL]: Database.Statement };

export type RowValues = ReturnType<typeof newRowValues>;

/** A write waiting for the next group commit: an accept, or a delivered batch. */
interface PendingWrite {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** What one queued write came to inside the group transaction. */
type WriteSettlement = { ok: true; value: unknown } | { ok: false; error: unknown };

type FailError = StoredError & { verifyFirst: boolean; salesforceApiCalls: number };

export class SqliteHandoffStore implements HandoffStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private statements: Statements | null = null;
  private writeQueue: PendingWrite[] = [];
  private flushScheduled: NodeJS.Immediate | null = null;
  private readonly writeGroup: Database.Transaction<(group: PendingWrite[]) => WriteSettlement[]>;

  /** See HandoffStore.earlySend: once migrated, when this process holds the file's exclusive lock. */
  earlySend?: EarlySend;
  /** See HandoffStore.sendDoubts: once migrated, when this process holds a lock on the file. */
  sendDoubts?: SendJournal;
  private readonly lock: StoreLock | null;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ':memory:')
      fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    this.lock = lockFor(options);
    this.db = this.open(options);
    this.writeGroup = this.db.transaction((group: PendingWrite[]) =>
      group.map((item) => this.writeOne(item)),
    );
  }

  /** The database in WAL mode; on a failure nothing stays open (nor locked). */
  private open(options: SqliteStoreOptions): Database.Database {
    let db: Database.Database | null = null;
    try {
      db = new Database(options.path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.pragma(`wal_autocheckpoint = ${checkpointPages(options.checkpointPages)}`);
      return db;
    } catch (err) {
      db?.close();
      this.lock?.release();
      throw err;
    }
  }

  migrate(): Promise<void> {
    this.db.exec(SCHEMA);
    this.statements = null;
    this.sendDoubts ??= journalFor(this.lock, this.db.name, (id) => this.s.known.get(id) !== undefined);
    if (this.lock?.mode === 'exclusive') this.earlySend = this.sendDoubts;
    return Promise.resolve();
  }

  /** The prepared statements, made once (the table must exist: after migrate). */
  private get s(): Statements {
    if (!this.statements) {
      const made: Partial<Record<keyof typeof SQL, Database.Statement>> = {};
      for (const key of Object.keys(SQL) as (keyof typeof SQL)[]) made[key] = this.db.prepare(SQL[key]);
      this.statements = made as Statements;
    }
    return this.statements;
  }

  accept(prepared: PreparedHandoff, now: number, claim?: AcceptClaim): Promise<AcceptResult> {
    return acceptAsRow((v) => this.acceptValues(v), prepared, now, claim);
  }

  /**
   * accept() for a row already built with newRowValues (the store's thread is sent the row, whose
   * strings copy cheaply, not the handoff object); a new record is built by the caller from the same
   * values. Joins the group commit like accept().
   */
  acceptValues(values: RowValues): Promise<RowAcceptResult> {
    return this.grouped(() => this.acceptRow(values));
  }

  /** Queues a write for the next group commit; resolves with its result once committed. */
  private grouped<T>(write: () => T): Promise<T> {
    if (!this.db.open) return Promise.reject(new Error('the handoff store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.writeQueue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushScheduled) this.flushScheduled = setImmediate(() => this.flushWrites());
    });
  }

  /**
   * Commits what waits for the group commit first, so a read or a mark of a handoff takes effect
   * after every write made before it: a handoff sent while its accept commits (early-send.ts) can
   * fail, and be marked so, before the accept's group has been written; the mark must find its row.
   * (Claims and listings do not wait: what they miss, the next one finds.)
   */
  private inOrder(): void {
    if (this.writeQueue.length === 0) return;
    if (this.flushScheduled) clearImmediate(this.flushScheduled);
    this.flushScheduled = null;
    while (this.writeQueue.length > 0) this.commitGroup(this.writeQueue.splice(0, WRITE_GROUP_MAX));
  }

  /** Writes what is queued, WRITE_GROUP_MAX writes per transaction; the rest on the next turn. */
  private flushWrites(): void {
    this.flushScheduled = null;
    const group = this.writeQueue.splice(0, WRITE_GROUP_MAX);
    if (this.writeQueue.length > 0) this.flushScheduled = setImmediate(() => this.flushWrites());
    if (group.length > 0) this.commitGroup(group);
  }

  private commitGroup(group: PendingWrite[]): void {
    let settled: WriteSettlement[];
    try {
      settled = this.writeGroup.immediate(group);
    } catch (err) {
      // The transaction did not commit: none of the group's rows was written.
      for (const item of group) item.reject(err);
      return;
    }
    // Committed (fsync'd): now answer.
    settled.forEach((s, i) => {
      const item = group[i]!;
      if (s.ok) item.resolve(s.value);
      else item.reject(s.error);
    });
  }

  /** One write of a group, inside its transaction. */
  private writeOne(item: PendingWrite): WriteSettlement {
    try {
      return { ok: true, value: item.write() };
    } catch (error) {
      // A failed statement is backed out alone and the transaction goes on; if SQLite ended the
      // transaction (I/O error, disk full…), the whole group fails.
      if (!this.db.inTransaction) throw error;
      return { ok: false, error };
    }
  }

  private acceptRow(v: RowValues): RowAcceptResult {
    const inserted = this.s.insert.run(v);
    if (inserted.changes === 1) return { kind: 'accepted' };
    const record = this.getSync(v.handoff_id);
    if (!record) throw new Error('handoff neither inserted nor found');
    return { kind: record.bodyHash === v.body_hash ? 'duplicate' : 'conflict', record };
  }

  get(handoffId: string): Promise<StoredHandoff | null> {
    this.inOrder();
    return Promise.resolve(this.getSync(handoffId));
  }

  private getSync(handoffId: string): StoredHandoff | null {
    const row = this.s.get.get(handoffId) as HandoffRow | undefined;
    return row ? rowToRecord(row) : null;
  }

  claimBatch(workerId: string, max: number, leaseMs: number, now: number): Promise<StoredHandoff[]> {
    const s = this.s;
    const run = this.db.transaction((): StoredHandoff[] => {
      const ids = s.dueIds.all({ now, max }) as { handoff_id: string }[];
      return ids.map(({ handoff_id }) =>
        rowToRecord(s.claim.get({ id: handoff_id, workerId, leaseUntil: now + leaseMs, now }) as HandoffRow),
      );
    });
    return Promise.resolve(run.immediate());
  }

  renewLease(ids: string[], workerId: string, leaseUntil: number, now: number): Promise<string[]> {
    this.inOrder();
    const stmt = this.s.renew;
    const run = this.db.transaction(() =>
      ids.filter((id) => stmt.run({ id, workerId, leaseUntil, now }).changes === 1),
    );
    return Promise.resolve(run.immediate());
  }

  markDelivered(id: string, workerId: string, outcome: DeliveredOutcome, now: number): Promise<boolean> {
    this.inOrder();
    return Promise.resolve(this.deliveredSync(id, workerId, outcome, now));
  }

  markDeliveredMany(
    outcomes: readonly DeliveredOutcome[],
    workerId: string,
    now: number,
  ): Promise<boolean[]> {
    if (outcomes.length === 0) return Promise.resolve([]);
    // Joins the group commit: one fsync with whatever else this turn writes, and the caller's
    // answers go out before it (the worker reports a delivered handoff before recording it).
    return this.grouped(() => outcomes.map((o) => this.deliveredSync(o.handoffId, workerId, o, now)));
  }

  private deliveredSync(id: string, workerId: string, outcome: DeliveredOutcome, now: number): boolean {
    const r = this.s.delivered.run({
      id,
      workerId,
      now,
      caseId: outcome.caseId,
      caseNumber: outcome.caseNumber,
      handoffRecordId: outcome.handoffRecordId,
      enriched: outcome.enrichedExistingCase ? 1 : 0,
      calls: outcome.salesforceApiCalls,
    });
    return r.changes === 1;
  }

  markRetry(
    id: string,
    workerId: string,
    error: FailError,
    nextAttemptAt: number,
    now: number,
  ): Promise<boolean> {
    this.inOrder();
    return Promise.resolve(this.fail(id, workerId, 'failed', error, nextAttemptAt, now));
  }

  markDeadLetter(id: string, workerId: string, error: FailError, now: number): Promise<boolean> {
    this.inOrder();
    return Promise.resolve(this.fail(id, workerId, 'dead_lettered', error, now, now));
  }

  private fail(
    id: string,
    workerId: string,
    state: 'failed' | 'dead_lettered',
    error: FailError,
    nextAttemptAt: number,
    now: number,
  ): boolean {
    const r = this.s.fail.run({
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
    this.inOrder();
    const r = this.s.agentAssigned.run({ id, agent: JSON.stringify(agent), now });
    return Promise.resolve(r.changes === 1);
  }

  release(ids: string[], workerId: string, now: number, verifyFirst = false): Promise<number> {
    this.inOrder();
    const stmt = this.s.release;
    const verify = verifyFirst ? 1 : 0;
    const run = this.db.transaction(() =>
      ids.reduce((n, id) => n + stmt.run({ id, workerId, now, verify }).changes, 0),
    );
    return Promise.resolve(run.immediate());
  }

  requeue(id: string, now: number): Promise<boolean> {
    this.inOrder();
    const r = this.s.requeue.run({ id, now });
    return Promise.resolve(r.changes === 1);
  }

  listByState(state: HandoffState, options: ListOptions = {}): Promise<StoredHandoff[]> {
    const rows = this.s.listByState.all({
      state,
      after: options.after ?? '',
      limit: options.limit ?? 100,
    }) as HandoffRow[];
    return Promise.resolve(rows.map(rowToRecord));
  }

  listAwaitingAgent(limit: number, after = ''): Promise<StoredHandoff[]> {
    const rows = this.s.awaitingAgent.all(after, limit) as HandoffRow[];
    return Promise.resolve(rows.map(rowToRecord));
  }

  stats(now: number): Promise<QueueStats> {
    const counts = ZERO_COUNTS();
    const rows = this.s.counts.all() as { state: HandoffState; n: number }[];
    for (const r of rows) counts[r.state] = r.n;
    const oldest = this.s.oldest.get() as { t: number | null };
    return Promise.resolve({
      counts,
      oldestPendingAgeMs: oldest.t === null ? 0 : Math.max(0, now - oldest.t),
    });
  }

  ping(): Promise<void> {
    this.s.ping.get();
    return Promise.resolve();
  }

  /** Writes what is still queued (its callers get their answers), then closes. */
  close(): Promise<void> {
    if (this.flushScheduled) clearImmediate(this.flushScheduled);
    this.flushScheduled = null;
    if (this.db.open) {
      while (this.writeQueue.length > 0) this.commitGroup(this.writeQueue.splice(0, WRITE_GROUP_MAX));
      this.db.close();
    }
    this.sendDoubts?.close();
    this.lock?.release();
    const closed = new Error('the handoff store is closed');
    for (const item of this.writeQueue.splice(0)) item.reject(closed);
    return Promise.resolve();
  }
}
