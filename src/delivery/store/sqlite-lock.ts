/**
 * Who accepts handoffs into a SQLite file: one service process that owns it alone, or several that
 * share it. A process that owns the file tells new handoff ids from known ones by reading the file
 * (plus the accepts it has under way itself), so it may send a handoff to Salesforce while the
 * handoff's accept commits; that is only right while no other process inserts into the file. The
 * two modes must therefore never meet on one file:
 *
 * - `exclusive`: an exclusive lock on `<file>.lock`, held until release(): refused while any other
 *   process holds the lock in either mode.
 * - `shared`: a shared lock on the same file: refused while a process holds it exclusively; any
 *   number of sharing processes together.
 *
 * The locks are SQLite's own (POSIX advisory locks on the lock file, taken by a transaction that
 * stays open), so the operating system releases them when the process ends, however it ends.
 * Operator tools that only read and requeue (npm run handoffs) take no lock: they insert no handoff.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type StoreLockMode = 'exclusive' | 'shared';

export interface StoreLock {
  readonly mode: StoreLockMode;
  release(): void;
}

export function lockStoreFile(dbPath: string, mode: StoreLockMode): StoreLock {
  // Beside the file itself, whatever path (a symbolic link, a relative one) names it.
  const lockPath = `${realPath(dbPath)}.lock`;
  const db = new Database(lockPath, { timeout: 0 });
  try {
    // Rollback-journal locking on the lock file: a read transaction holds SHARED, an exclusive one
    // holds EXCLUSIVE, each until it ends. Nothing is ever written, so the journal stays in memory
    // (no `-journal` file beside it; OFF is refused for a new, empty file).
    db.pragma('journal_mode = MEMORY');
    if (mode === 'exclusive') {
      db.exec('BEGIN EXCLUSIVE');
    } else {
      db.exec('BEGIN');
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    }
  } catch (err) {
    db.close();
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') throw inUse(dbPath, mode);
    throw err;
  }
  let held = true;
  return {
    mode,
    release() {
      if (!held) return;
      held = false;
      db.close(); // ends the transaction and with it the lock
    },
  };
}

/** The lock a store opened with these options takes: none for ':memory:' or without a mode. */
export function lockFor(options: { path: string; lock?: StoreLockMode }): StoreLock | null {
  return options.path !== ':memory:' && options.lock ? lockStoreFile(options.path, options.lock) : null;
}

function inUse(dbPath: string, mode: StoreLockMode): Error {
  const how =
    mode === 'exclusive'
      ? 'another service process uses it. Run one process per SQLite file, or set delivery.store.shared ' +
        '(HANDOFF_STORE_SHARED=true) in every process that shares it, or use PostgreSQL for several instances'
      : 'a service process that owns it alone (delivery.store.shared false) uses it. Stop that process, or set ' +
        'delivery.store.shared (HANDOFF_STORE_SHARED=true) in it too';
  return Object.assign(new Error(`the handoff store ${dbPath} is in use: ${how}`), {
    code: 'STORE_IN_USE',
  });
}

/** The file's real path; for a file not made yet, its directory's real path and its name. */
function realPath(file: string): string {
  const absolute = path.resolve(file);
  try {
    return fs.realpathSync(absolute);
  } catch {
    return path.join(fs.realpathSync(path.dirname(absolute)), path.basename(absolute));
  }
}
