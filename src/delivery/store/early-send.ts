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
 *   (`mustVerify`, which the worker asks before every send, whatever path the handoff took), until
 *   Salesforce confirms it. The same holds for an id whose accept failed after its call left.
 *
 * The journal is rewritten, with only what still counts, when it passes JOURNAL_REWRITE_BYTES; an
 * entry older than VERIFY_FOR_MS is dropped (a bot does not retry a handoff a day later).
 * A power failure can lose the journal's last appends; a process crash cannot.
 */
import fs from 'node:fs';

export interface EarlySend {
  /** Whether the store holds a committed record with this id (answered at once; throws if it cannot tell). */
  knows(handoffId: string): boolean;
  /** Call before a handoff is sent ahead of its commit: survives a crash of this process. */
  sending(handoffId: string): void;
  /** Its early send is no longer under way unrecorded: its accept committed, or its call never left. */
  settled(handoffId: string): void;
  /** Its accept failed, and its call may have reached Salesforce: its next send looks there first. */
  inDoubt(handoffId: string): void;
  /** Salesforce confirmed it (written or found): no send of it needs to look first any more. */
  delivered(handoffId: string): void;
  /** Whether a send of this id must look in Salesforce first (it may be there without a record). */
  mustVerify(handoffId: string): boolean;
  close(): void;
}

export const JOURNAL_REWRITE_BYTES = 1 << 20;
export const VERIFY_FOR_MS = 24 * 60 * 60 * 1000;

export interface JournalOptions {
  /** The journal file (`<db>.sending`). */
  path: string;
  knows: (handoffId: string) => boolean;
  now?: () => number;
  rewriteBytes?: number;
}

export class SendJournal implements EarlySend {
  /** Sent ahead of their commit, not yet stored (epoch ms of the send). */
  private readonly sendingNow = new Map<string, number>();
  /** May be in Salesforce without a record here (epoch ms since when). */
  private readonly doubtful = new Map<string, number>();
  private fd = -1;
  private bytes = 0;
  private readonly now: () => number;
  private readonly rewriteBytes: number;

  constructor(private readonly options: JournalOptions) {
    this.now = options.now ?? Date.now;
    this.rewriteBytes = options.rewriteBytes ?? JOURNAL_REWRITE_BYTES;
    const since = this.now() - VERIFY_FOR_MS;
    // What the previous owner left: sent, maybe, and not stored.
    for (const [id, at] of readJournal(options.path)) {
      if (at >= since && !options.knows(id)) this.doubtful.set(id, Math.min(at, this.doubtful.get(id) ?? at));
    }
    this.fd = this.rewrite();
  }

  knows(handoffId: string): boolean {
    return this.options.knows(handoffId);
  }

  sending(handoffId: string): void {
    if (this.bytes >= this.rewriteBytes) this.fd = this.rewrite();
    const at = this.now();
    this.sendingNow.set(handoffId, at);
    this.append(handoffId, at);
  }

  settled(handoffId: string): void {
    this.sendingNow.delete(handoffId);
  }

  delivered(handoffId: string): void {
    this.doubtful.delete(handoffId);
  }

  inDoubt(handoffId: string): void {
    const at = this.sendingNow.get(handoffId) ?? this.now();
    this.sendingNow.delete(handoffId);
    if (!this.doubtful.has(handoffId)) this.doubtful.set(handoffId, at);
  }

  mustVerify(handoffId: string): boolean {
    const at = this.doubtful.get(handoffId);
    if (at === undefined) return false;
    if (at < this.now() - VERIFY_FOR_MS) {
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
   */
  private rewrite(): number {
    if (this.fd >= 0) fs.closeSync(this.fd);
    const since = this.now() - VERIFY_FOR_MS;
    let text = '';
    for (const [id, at] of this.doubtful) if (at >= since) text += `${id}\t${at}\n`;
    for (const [id, at] of this.sendingNow) text += `${id}\t${at}\n`;
    const tmp = `${this.options.path}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, this.options.path);
    this.bytes = Buffer.byteLength(text);
    return fs.openSync(this.options.path, 'a');
  }
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
