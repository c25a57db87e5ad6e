/**
 * Sending a handoff while its accept commits (HandoffStore.earlySend), for a SQLite file this process
 * owns alone (sqlite-lock.ts). The accept is a round trip to the store's thread and an fsync; the
 * Salesforce call takes a network round trip. They do not depend on each other, so the call need not
 * wait for the commit; the bot's answer still waits for both, so what is answered is stored.
 *
 * Two things make that safe:
 *
 * - **Knowing a handoff is new without the commit.** `knows` reads the file on the calling thread (a
 *   point read by primary key; in WAL mode it never waits for the writer). With the accepts this
 *   process has under way (the caller's), and no other process inserting (the lock), an id that is
 *   in neither has never been accepted: sending it cannot repeat a delivery.
 * - **A crash between the send and the commit.** The call may then have reached Salesforce while the
 *   store has no record; the bot, answered nothing, retries, and that retry must look in Salesforce
 *   before sending again (one PendingServiceRouting per Case: a second send would fail or route the
 *   Case twice). So before an early send the id is appended to `<file>.sending` (a write(2) that
 *   reaches the page cache, which outlives the process). The next owner of the file reads it: every
 *   id there that the store does not hold is sent again only after a look in Salesforce
 *   (`mustVerify`, which the worker asks before every send, whatever path the handoff took), until a
 *   record of it is stored and Salesforce has confirmed it after that. The same holds for an id whose accept
 *   failed after its call left. Processes that share the file read the journal too (SendDoubts).
 *
 * The journal is rewritten, with only what still counts, when it passes JOURNAL_REWRITE_BYTES; an
 * entry older than VERIFY_FOR_MS is dropped (a bot does not retry a handoff a day later).
 * A power failure can lose the journal's last appends; a process crash cannot.
 */
import fs from 'node:fs';

/**
 * Ids that may be in Salesforce without a record here (a send whose accept never committed): a send
 * of one looks in Salesforce first. Every process that accepts into the file keeps them, owner or not.
 */
export interface SendDoubts {
  /** Whether a send of this id must look in Salesforce first. */
  mustVerify(handoffId: string): boolean;
  /** Its accept committed: the store holds a record of it now. */
  stored(handoffId: string): void;
  /** Salesforce confirmed it (written or found); once a record of it was stored before, the doubt is over. */
  delivered(handoffId: string): void;
}

/** What the owner of the file does around an early send. */
export interface EarlySend extends SendDoubts {
  /** Whether the store holds a committed record with this id (answered at once; throws if it cannot tell). */
  knows(handoffId: string): boolean;
  /** Call before a handoff is sent ahead of its commit: survives a crash of this process. */
  sending(handoffId: string): void;
  /** Its early send never left (taken back, or the journal could not be written). */
  notSent(handoffId: string): void;
  /** Its accept failed, and its call may have reached Salesforce: it stays in doubt until a record of it is stored and Salesforce confirms it. */
  inDoubt(handoffId: string): void;
  close(): void;
}

export const JOURNAL_REWRITE_BYTES = 1 << 20;
export const VERIFY_FOR_MS = 24 * 60 * 60 * 1000;

export interface JournalOptions {
  /** The journal file (`<db>.sending`). */
  path: string;
  knows: (handoffId: string) => boolean;
  /**
   * false: a process sharing the file (it sends nothing early): it reads the journal for the ids in
   * doubt and never writes it.
   */
  owner?: boolean;
  now?: () => number;
  rewriteBytes?: number;
}

interface Doubt {
  /** Epoch ms since when. */
  at: number;
  /**
   * A record of it has been stored since: a confirmation from Salesforce after that (of a send that
   * looked first) ends the doubt. One from before proves nothing about the next send.
   */
  recorded: boolean;
}

export class SendJournal implements EarlySend {
  /** Sent ahead of their commit, not yet stored (epoch ms of the send). */
  private readonly sendingNow = new Map<string, number>();
  private readonly doubtful = new Map<string, Doubt>();
  private fd = -1;
  private bytes = 0;
  private readonly now: () => number;
  private readonly rewriteBytes: number;
  private readonly owner: boolean;

  constructor(private readonly options: JournalOptions) {
    this.now = options.now ?? Date.now;
    this.rewriteBytes = options.rewriteBytes ?? JOURNAL_REWRITE_BYTES;
    this.owner = options.owner ?? true;
    const since = this.now() - VERIFY_FOR_MS;
    // What a process that died left: sent, maybe, and not stored.
    for (const [id, at] of readJournal(options.path)) {
      if (at < since || options.knows(id)) continue;
      const known = this.doubtful.get(id);
      this.doubtful.set(id, { at: Math.min(at, known?.at ?? at), recorded: false });
    }
    if (this.owner) this.fd = this.rewrite();
  }

  knows(handoffId: string): boolean {
    return this.options.knows(handoffId);
  }

  sending(handoffId: string): void {
    if (!this.owner) throw new Error('only the owner of the handoff store sends ahead of a commit');
    if (this.bytes >= this.rewriteBytes) this.fd = this.rewrite();
    const at = this.now();
    this.sendingNow.set(handoffId, at);
    this.append(handoffId, at);
  }

  notSent(handoffId: string): void {
    this.sendingNow.delete(handoffId);
  }

  stored(handoffId: string): void {
    this.sendingNow.delete(handoffId);
    const d = this.doubtful.get(handoffId);
    if (d) d.recorded = true;
  }

  inDoubt(handoffId: string): void {
    const at = this.sendingNow.get(handoffId) ?? this.now();
    this.sendingNow.delete(handoffId);
    this.doubtful.set(handoffId, {
      at: Math.min(at, this.doubtful.get(handoffId)?.at ?? at),
      recorded: false,
    });
  }

  delivered(handoffId: string): void {
    if (this.doubtful.get(handoffId)?.recorded) this.doubtful.delete(handoffId);
  }

  mustVerify(handoffId: string): boolean {
    const d = this.doubtful.get(handoffId);
    if (d === undefined) return false;
    if (d.at < this.now() - VERIFY_FOR_MS) {
      this.doubtful.delete(handoffId);
      return false;
    }
    return true;
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  private append(handoffId: string, at: number): void {
    const line = `${handoffId}\t${at}\n`;
    fs.writeSync(this.fd, line);
    this.bytes += Buffer.byteLength(line);
  }

  /**
   * Replaces the journal with what still counts (sends under way, ids in doubt) and returns the new
   * file's descriptor: written beside it and renamed over it, so a crash leaves the old or the new.
   * Doubts past VERIFY_FOR_MS are dropped here too.
   */
  private rewrite(): number {
    if (this.fd >= 0) fs.closeSync(this.fd);
    const since = this.now() - VERIFY_FOR_MS;
    let text = '';
    for (const [id, d] of this.doubtful) {
      if (d.at >= since) text += `${id}\t${d.at}\n`;
      else this.doubtful.delete(id);
    }
    for (const [id, at] of this.sendingNow) text += `${id}\t${at}\n`;
    const tmp = `${this.options.path}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, this.options.path);
    this.bytes = Buffer.byteLength(text);
    return fs.openSync(this.options.path, 'a');
  }
}

/**
 * The journal of a store's file, once the store is migrated: read (and, by the owner, written) by a
 * process holding the file's lock; none without a lock (':memory:', the operator CLI).
 */
export function journalFor(
  lock: { mode: 'exclusive' | 'shared' } | null,
  dbPath: string,
  knows: (handoffId: string) => boolean,
): SendJournal | undefined {
  if (!lock) return undefined;
  return new SendJournal({ path: `${dbPath}.sending`, knows, owner: lock.mode === 'exclusive' });
}

/** The journal's entries (id, epoch ms); a torn last line is skipped. */
export function readJournal(file: string): [string, number][] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return [];
    throw err;
  }
  const entries: [string, number][] = [];
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab <= 0) continue;
    const at = Number(line.slice(tab + 1));
    if (Number.isFinite(at)) entries.push([line.slice(0, tab), at]);
  }
  return entries;
}
