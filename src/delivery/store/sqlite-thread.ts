/**
 * The embedded SQLite store on a thread of its own. better-sqlite3 is synchronous: every commit
 * waits for its fsync on the thread that called it, and on the request thread that wait stops every
 * request in the process (the bench measured group commits of 8 ms mean and 66 ms p99 on a busy disk,
 * during which nothing else moved). Here a SqliteHandoffStore runs in a worker thread and each call
 * is a message; the request thread never waits on the disk, and the group commit works as before on
 * the store's thread (whatever arrives while a commit runs goes in the next one). Durability is
 * unchanged: a call resolves only after the store's thread has committed it.
 *
 * Calls made in one turn of the event loop travel as one message, and the thread answers a turn's
 * calls in one message: each message wakes the other thread, and on two cores a woken thread
 * preempts the one that woke it (at 1,000 accepts/s, one wake per accept each way).
 *
 * The service opens this one (openHandoffStore); SqliteHandoffStore stays the engine, tested directly.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { HandoffState } from '../../contract/answer';
import type { PreparedHandoff } from '../../contract/prepared';
import { acceptAsRow, type RowAcceptResult } from './rows';
import type { SqliteStoreOptions } from './sqlite-store';
import { journalFor } from './early-send';
import type { EarlySend, SendJournal } from './early-send';
import { lockFor } from './sqlite-lock';
import type { StoreLock } from './sqlite-lock';
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

/** What the store's thread answers: the method's value, or what its error said. */
export type ThreadReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };

export interface ThreadRequest {
  id: number;
  method: string;
  args: unknown[];
}

type FailError = StoredError & { verifyFirst: boolean; salesforceApiCalls: number };

/**
 * The thread holds rows in transit and little else: a small young generation (V8 would give it the
 * same 3 x 16 MB as the main thread) saves about 12 MB of resident memory under load. The old
 * generation is not capped, so a large listing cannot kill the thread.
 */
export const THREAD_LIMITS = { maxYoungGenerationSizeMb: 4 } as const;

/** earlySend's reader: a point read needs a few pages, and must never hold the request thread long. */
const READER_CACHE_KB = 256;
const READER_BUSY_MS = 50;

/**
 * Starts the worker's module beside this one: the .js file when compiled; under tsx and jest (which
 * run the .ts sources) the thread first registers tsx's require hook, as those runners do.
 */
function startWorker(workerData: unknown): Worker {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `sqlite-thread-worker${ext}`);
  const options = { workerData, execArgv: [], resourceLimits: THREAD_LIMITS };
  if (ext !== '.ts') return new Worker(file, options);
  const hook = require.resolve('tsx/cjs');
  const boot = `require(${JSON.stringify(hook)}); require(${JSON.stringify(file)});`;
  return new Worker(boot, { ...options, eval: true });
}

/** A thread that fails more often than this within RESTART_WINDOW_MS stays down. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

export class ThreadedSqliteStore implements HandoffStore {
  readonly kind = 'sqlite' as const;
  private worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Set once the store is closed, or its thread failed too often: every call is refused with it. */
  private failure: Error | null = null;
  private closing = false;
  private readonly restarts: number[] = [];
  /** Calls made this turn, sent together on the next (flush). */
  private outbox: ThreadRequest[] = [];
  private flushScheduled: NodeJS.Immediate | null = null;

  /** See HandoffStore.earlySend: once migrated, when this process holds the file's exclusive lock. */
  earlySend?: EarlySend;
  /** See HandoffStore.sendDoubts: once migrated, when this process holds a lock on the file. */
  sendDoubts?: SendJournal;
  private readonly lock: StoreLock | null;
  /** The request thread's own connection for earlySend.knows (opened at its first use, after migrate). */
  private reader: Database.Statement | null = null;
  private readerDb: Database.Database | null = null;

  constructor(private readonly options: SqliteStoreOptions) {
    this.lock = lockFor(options);
    try {
      this.worker = this.spawn();
    } catch (err) {
      this.lock?.release();
      throw err;
    }
  }

  /**
   * knows() of earlySend: a point read by primary key on this thread: the file is in WAL mode, so it never waits for the
   * store's thread or its fsync, and sees every committed row (an accept under way is the caller's
   * to know). A read that cannot run throws; the caller then waits for accept() as usual.
   */
  private read(): Database.Statement {
    if (this.failure) throw this.failure;
    if (!this.reader) {
      const db = new Database(this.options.path, { fileMustExist: true, timeout: READER_BUSY_MS });
      try {
        db.pragma(`cache_size = -${READER_CACHE_KB}`);
        db.pragma('query_only = true');
        this.reader = db.prepare('SELECT 1 FROM handoffs WHERE handoff_id = ?').pluck();
      } catch (err) {
        db.close();
        throw err;
      }
      this.readerDb = db;
    }
    return this.reader;
  }

  /**
   * Starts the store's thread. If it dies (an uncaught error in it), the calls it had are refused
   * (their callers answer 503 and the bot retries: a write that did commit is then found as a
   * duplicate, so nothing is accepted twice or lost) and a new thread takes over the same file, up
   * to MAX_RESTARTS within RESTART_WINDOW_MS; after that the store stays down and says why.
   */
  private spawn(): Worker {
    const worker = startWorker({ path: this.options.path, checkpointPages: this.options.checkpointPages });
    worker.on('message', (replies: ThreadReply[]) => {
      for (const reply of replies) {
        const p = this.pending.get(reply.id);
        if (!p) continue;
        this.pending.delete(reply.id);
        if (reply.ok) p.resolve(reply.value);
        else p.reject(Object.assign(new Error(reply.error.message), reply.error));
      }
      if (this.pending.size === 0) worker.unref();
    });
    let ended = false;
    const end = (err: Error) => {
      if (ended) return;
      ended = true;
      // Calls the dead thread had are in doubt: refused (a write that did commit is found as a
      // duplicate when the bot retries). Calls not sent yet go to the next thread, if there is one.
      const unsent = new Set(this.outbox.map((r) => r.id));
      for (const [id, p] of this.pending) {
        if (unsent.has(id)) continue;
        p.reject(err);
        this.pending.delete(id);
      }
      if (this.closing || this.failure) {
        this.rejectUnsent(this.failure ?? err);
        return;
      }
      const now = Date.now();
      while (this.restarts.length > 0 && now - (this.restarts[0] ?? now) > RESTART_WINDOW_MS)
        this.restarts.shift();
      if (this.restarts.length >= MAX_RESTARTS) {
        this.failure = new Error(`the handoff store's thread keeps failing: ${err.message}`);
        this.rejectUnsent(this.failure);
        return;
      }
      this.restarts.push(now);
      this.worker = this.spawn();
      // The new thread's first message, ahead of the unsent calls: the schema is there (a file), or
      // is made again (':memory:').
      this.call('migrate', [], 'first').catch(() => undefined);
    };
    worker.on('error', (err) => end(new Error(`the handoff store's thread failed: ${err.message}`)));
    worker.on('exit', () => end(new Error("the handoff store's thread ended")));
    // The thread keeps the process alive only while a call waits for it (startup awaits migrate).
    worker.unref();
    return worker;
  }

  /** How many times the store's thread was replaced after failing (operations, tests). */
  get threadRestarts(): number {
    return this.restarts.length;
  }

  /** Queues a call for this turn's message; `first`: ahead of the calls already queued. */
  private call<T>(
    method: keyof HandoffStore | 'acceptValues',
    args: unknown[],
    order: 'last' | 'first' = 'last',
  ): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.worker.ref(); // until no call waits (the reply handler unrefs it)
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (order === 'first') this.outbox.unshift({ id, method, args });
      else this.outbox.push({ id, method, args });
      this.flushScheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Sends this turn's calls, in the order they were made, as one message. */
  private flush(): void {
    this.flushScheduled = null;
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length === 0) return;
    try {
      this.worker.postMessage(batch);
    } catch {
      // Something in the batch cannot be copied to the thread: send the calls one by one, in order,
      // so only the call that cannot be sent fails.
      for (const r of batch) {
        try {
          this.worker.postMessage([r]);
        } catch (err) {
          this.pending.get(r.id)?.reject(err instanceof Error ? err : new Error(String(err)));
          this.pending.delete(r.id);
        }
      }
    }
  }

  /** Refuses every call not sent yet (the store is down or closed). */
  private rejectUnsent(err: Error): void {
    for (const r of this.outbox.splice(0)) {
      this.pending.get(r.id)?.reject(err);
      this.pending.delete(r.id);
    }
  }

  async migrate(): Promise<void> {
    await this.call('migrate', []);
    this.sendDoubts ??= journalFor(this.lock, this.options.path, (id) => this.read().get(id) !== undefined);
    if (this.lock?.mode === 'exclusive') this.earlySend = this.sendDoubts;
  }

  accept(prepared: PreparedHandoff, now: number, claim?: AcceptClaim): Promise<AcceptResult> {
    // The row's strings travel to the thread (cheap to copy); the handoff object stays here.
    return acceptAsRow((v) => this.call<RowAcceptResult>('acceptValues', [v]), prepared, now, claim);
  }

  get(handoffId: string): Promise<StoredHandoff | null> {
    return this.call('get', [handoffId]);
  }

  claimBatch(workerId: string, max: number, leaseMs: number, now: number): Promise<StoredHandoff[]> {
    return this.call('claimBatch', [workerId, max, leaseMs, now]);
  }

  renewLease(ids: string[], workerId: string, leaseUntil: number, now: number): Promise<string[]> {
    return this.call('renewLease', [ids, workerId, leaseUntil, now]);
  }

  markDelivered(id: string, workerId: string, outcome: DeliveredOutcome, now: number): Promise<boolean> {
    return this.call('markDelivered', [id, workerId, outcome, now]);
  }

  markDeliveredMany(
    outcomes: readonly DeliveredOutcome[],
    workerId: string,
    now: number,
  ): Promise<boolean[]> {
    return this.call('markDeliveredMany', [outcomes, workerId, now]);
  }

  markRetry(
    id: string,
    workerId: string,
    error: FailError,
    nextAttemptAt: number,
    now: number,
  ): Promise<boolean> {
    return this.call('markRetry', [id, workerId, error, nextAttemptAt, now]);
  }

  markDeadLetter(id: string, workerId: string, error: FailError, now: number): Promise<boolean> {
    return this.call('markDeadLetter', [id, workerId, error, now]);
  }

  markAgentAssigned(id: string, agent: AgentAssignment, now: number): Promise<boolean> {
    return this.call('markAgentAssigned', [id, agent, now]);
  }

  release(ids: string[], workerId: string, now: number, verifyFirst?: boolean): Promise<number> {
    return this.call('release', [ids, workerId, now, verifyFirst]);
  }

  requeue(id: string, now: number): Promise<boolean> {
    return this.call('requeue', [id, now]);
  }

  listByState(state: HandoffState, options?: ListOptions): Promise<StoredHandoff[]> {
    return this.call('listByState', [state, options]);
  }

  listAwaitingAgent(limit: number, after?: string): Promise<StoredHandoff[]> {
    return this.call('listAwaitingAgent', [limit, after]);
  }

  stats(now: number): Promise<QueueStats> {
    return this.call('stats', [now]);
  }

  ping(): Promise<void> {
    return this.call('ping', []);
  }

  /** Writes what is queued, closes the database, then ends the thread. */
  async close(): Promise<void> {
    this.sendDoubts?.close();
    this.readerDb?.close();
    this.readerDb = null;
    this.reader = null;
    if (this.failure) {
      this.lock?.release();
      return;
    }
    this.closing = true;
    try {
      await this.call('close', []);
    } finally {
      this.failure ??= new Error('the handoff store is closed');
      await this.worker.terminate();
      this.lock?.release();
    }
  }
}
