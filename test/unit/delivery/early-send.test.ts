import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDurableDeliverer, deliveryConfigSchema, openHandoffStore } from '../../../src/delivery';
import { EARLY_SEND_MAX_ACCEPTS } from '../../../src/delivery/durable-deliverer';
import type { DurableDeliverer, HandoffStore } from '../../../src/delivery';
import { readJournal, SendJournal, VERIFY_FOR_MS } from '../../../src/delivery/store/early-send';
import { lockStoreFile } from '../../../src/delivery/store/sqlite-lock';
import { isAppError } from '../../../src/errors';
import { deferred, FakeSalesforce } from './fake-salesforce';
import { prepared } from './fixtures';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsc-early-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Resolves once cond() holds (polled every few ms), or fails after limitMs. */
async function until(cond: () => boolean, limitMs = 5_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('sending a handoff while its accept commits (a SQLite file this process owns)', () => {
  let sf: FakeSalesforce;
  let deliverer: DurableDeliverer | null = null;

  /**
   * The service's deliverer on a file store. `held(id)`: that accept is written at once (in order
   * with what follows) but its answer waits for the promise. `failing(id)`: that accept is not
   * written, and fails once the promise settles.
   */
  const open = async (
    opts: {
      thread?: boolean;
      shared?: boolean;
      concurrency?: number;
      budgetMs?: number;
      held?: (id: string) => Promise<void> | undefined;
      failing?: (id: string) => Promise<void> | undefined;
    } = {},
  ) => {
    const config = deliveryConfigSchema.parse({
      store: {
        kind: 'sqlite',
        path: path.join(dir, 'h.db'),
        thread: opts.thread ?? false,
        shared: opts.shared,
      },
      pollIntervalMs: 60_000,
      latencyBudgetMs: opts.budgetMs ?? 10_000,
      concurrency: opts.concurrency ?? 8,
    });
    deliverer = await createDurableDeliverer({
      config,
      deliver: sf.deliver,
      findDelivered: sf.findDelivered,
    });
    const store = deliverer.store;
    const accept = store.accept.bind(store);
    store.accept = async (...args) => {
      const id = args[0].handoffId;
      const failure = opts.failing?.(id);
      if (failure) {
        await failure;
        throw new Error('SQLITE_FULL: database or disk is full');
      }
      const written = accept(...args);
      await opts.held?.(id);
      return written;
    };
    return deliverer;
  };

  beforeEach(() => {
    sf = new FakeSalesforce();
  });
  afterEach(async () => {
    await deliverer?.close();
    deliverer = null;
  });

  it.each([
    { where: 'on the calling thread', thread: false },
    { where: 'on its own thread', thread: true },
  ])('$where: the call leaves before the commit, and the answer waits for both', async ({ thread }) => {
    const gate = deferred();
    const d = await open({ thread, held: () => gate.promise });
    expect(d.store.earlySend).toBeDefined();
    const p = prepared();
    let answered = false;
    const answer = d.submit(p).then((r) => {
      answered = true;
      return r;
    });
    await until(() => sf.writes.get(p.handoffId) === 1); // in Salesforce, its accept still held
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false); // not answered before it is stored
    gate.resolve();
    const r = await answer;
    expect(r.state).toBe('delivered');
    expect((await d.store.get(p.handoffId))?.state).toBe('routed');
    expect(sf.writes.get(p.handoffId)).toBe(1);
  });

  it(`with ${EARLY_SEND_MAX_ACCEPTS} accepts under way (handoffs arriving together), the next one's accept commits first`, async () => {
    const gate = deferred();
    const d = await open({ held: () => gate.promise });
    const first = Array.from({ length: EARLY_SEND_MAX_ACCEPTS }, () => prepared());
    const answers = first.map((p) => d.submit(p));
    await until(() => first.every((p) => sf.writes.get(p.handoffId) === 1)); // sent early
    const next = prepared();
    const answer = d.submit(next);
    await new Promise((r) => setTimeout(r, 30));
    expect(sf.writes.get(next.handoffId)).toBeUndefined(); // waits for its commit
    gate.resolve();
    expect((await answer).state).toBe('delivered');
    for (const a of answers) expect((await a).state).toBe('delivered');
  });

  it('a shared file keeps the accept first: nothing leaves before its commit', async () => {
    const gate = deferred();
    const d = await open({ shared: true, held: () => gate.promise });
    expect(d.store.earlySend).toBeUndefined();
    const p = prepared();
    const answer = d.submit(p);
    await new Promise((r) => setTimeout(r, 30));
    expect(sf.batches).toHaveLength(0);
    gate.resolve();
    expect((await answer).state).toBe('delivered');
  });

  it('the same id again while its accept is under way, or once stored, is a replay and is not sent again', async () => {
    const gate = deferred();
    const d = await open({ held: () => gate.promise });
    const p = prepared();
    const first = d.submit(p);
    await until(() => sf.writes.get(p.handoffId) === 1);
    const during = d.submit(p); // its accept is under way: this one waits for the store's answer
    gate.resolve();
    expect((await first).state).toBe('delivered');
    expect((await during).state).toBe('replay');
    expect((await d.submit(p)).state).toBe('replay'); // stored: the file says so at once
    expect(sf.writes.get(p.handoffId)).toBe(1);
    expect(sf.batches.flat().filter((id) => id === p.handoffId)).toHaveLength(1);
  });

  it('an accept that fails before the call leaves takes it back: 503, nothing sent', async () => {
    const p = prepared();
    const fail = deferred();
    const d = await open({
      concurrency: 1,
      failing: (id) => (id === p.handoffId ? fail.promise : undefined),
    });
    const busy = deferred();
    sf.script.push({ block: busy.promise }); // the only slot is taken by another handoff's call
    const other = d.submit(prepared());
    await until(() => sf.batches.length === 1);
    const answer = d.submit(p).catch((e: unknown) => e);
    await until(() => d.worker.queued === 1); // queued behind the busy slot
    fail.resolve();
    const err = await answer;
    expect(isAppError(err) && err.status === 503 && /nothing was sent/.test(err.message)).toBe(true);
    expect(d.worker.queued).toBe(0);
    busy.resolve();
    expect((await other).state).toBe('delivered');
    expect(sf.batches.flat()).not.toContain(p.handoffId);
    expect(d.store.earlySend?.mustVerify(p.handoffId)).toBe(false);
  });

  it('an accept that fails after the call left is answered 503; a replay looks in Salesforce and does not write it again', async () => {
    const gate = deferred();
    const p = prepared();
    let failed = false; // only its first accept fails
    const d = await open({
      failing: (id) => (id === p.handoffId && !failed ? ((failed = true), gate.promise) : undefined),
    });
    const answer = d.submit(p).catch((e: unknown) => e);
    await until(() => sf.writes.get(p.handoffId) === 1); // delivered while the accept is held
    await new Promise((r) => setTimeout(r, 20)); // the worker has its outcome: routed
    gate.resolve(); // …then the accept fails
    const err = await answer;
    // No record, so no 201: every 2xx answers a stored handoff.
    expect(isAppError(err) && err.status === 503 && /may have reached Salesforce/.test(err.message)).toBe(
      true,
    );
    expect(d.store.earlySend?.mustVerify(p.handoffId)).toBe(true); // confirmed, but not stored
    const retry = await d.submit(p);
    expect(retry.state).toBe('delivered');
    expect(sf.verified.flat()).toContain(p.handoffId); // looked first…
    expect(sf.writes.get(p.handoffId)).toBe(1); // …and did not write it again
    expect((await d.store.get(p.handoffId))?.state).toBe('routed'); // stored now
    expect(d.store.earlySend?.mustVerify(p.handoffId)).toBe(false);
  });

  it('a call that fails before its early accept is written is still marked on the right row', async () => {
    // A permanent failure comes back at once (no network): its dead-letter mark is made before the
    // accept's group commit has run, and must not miss the row.
    sf.script.push({ retry: 'permanent', code: 'INVALID_FIELD' });
    const d = await open({ budgetMs: 5_000 });
    const p = prepared();
    const started = Date.now();
    const r = await d.submit(p);
    expect(Date.now() - started).toBeLessThan(2_000); // not the whole budget
    expect(r.record.state).toBe('dead_lettered');
    expect((await d.store.get(p.handoffId))?.state).toBe('dead_lettered');
  });

  it('after a crash between the send and the commit, the next owner looks in Salesforce before sending it again', async () => {
    const file = path.join(dir, 'h.db');
    const q = prepared();
    // What a process that died mid-send leaves: the journal names the id, the store has no record.
    fs.writeFileSync(`${file}.sending`, `${q.handoffId}\t${Date.now()}\n`);
    sf.script.push('ok');
    await sf.deliver([q]); // it did reach Salesforce
    const d = await open();
    expect(d.store.earlySend?.mustVerify(q.handoffId)).toBe(true);
    const r = await d.submit(q); // the bot's retry
    expect(r.state).toBe('delivered');
    expect(sf.verified.flat()).toContain(q.handoffId);
    expect(sf.writes.get(q.handoffId)).toBe(1);
  });
});

describe('a crashed owner’s journal, read by a process that shares the file', () => {
  it('the retry looks in Salesforce before sending, though nothing is sent early', async () => {
    const sf = new FakeSalesforce();
    const file = path.join(dir, 'h.db');
    const q = prepared();
    fs.writeFileSync(`${file}.sending`, `${q.handoffId}\t${Date.now()}\n`);
    await sf.deliver([q]); // the owner's call did reach Salesforce
    const d = await createDurableDeliverer({
      config: deliveryConfigSchema.parse({
        store: { kind: 'sqlite', path: file, shared: true },
        pollIntervalMs: 60_000,
        latencyBudgetMs: 10_000,
      }),
      deliver: sf.deliver,
      findDelivered: sf.findDelivered,
    });
    try {
      expect(d.store.earlySend).toBeUndefined();
      expect(d.store.sendDoubts?.mustVerify(q.handoffId)).toBe(true);
      expect((await d.submit(q)).state).toBe('delivered');
      expect(sf.verified.flat()).toContain(q.handoffId);
      expect(sf.writes.get(q.handoffId)).toBe(1);
    } finally {
      await d.close();
    }
  });
});

describe('the early-send journal', () => {
  it('lists the previous owner’s sends the store does not hold as in doubt, and drops the rest', () => {
    const file = path.join(dir, 'h.db.sending');
    const now = 1_000_000_000_000;
    fs.writeFileSync(
      file,
      `ho-stored\t${now - 10}\nho-lost\t${now - 20}\nho-old\t${now - VERIFY_FOR_MS - 1}\nho-torn\t17`.slice(
        0,
        -2,
      ),
    );
    const j = new SendJournal({ path: file, knows: (id) => id === 'ho-stored', now: () => now });
    expect(j.mustVerify('ho-lost')).toBe(true);
    expect(j.mustVerify('ho-stored')).toBe(false);
    expect(j.mustVerify('ho-old')).toBe(false);
    // The file now holds only what still counts, so another crash keeps it.
    expect(readJournal(file).map(([id]) => id)).toEqual(['ho-lost']);
    j.delivered('ho-lost'); // confirmed by Salesforce, but no record here yet: still in doubt
    expect(j.mustVerify('ho-lost')).toBe(true);
    j.stored('ho-lost');
    j.delivered('ho-lost');
    expect(j.mustVerify('ho-lost')).toBe(false);
    j.close();
  });

  it('a process sharing the file reads the ids in doubt, and writes nothing', () => {
    const file = path.join(dir, 'h.db.sending');
    const text = `ho-lost\t${Date.now()}\n`;
    fs.writeFileSync(file, text);
    const j = new SendJournal({ path: file, knows: () => false, owner: false });
    expect(j.mustVerify('ho-lost')).toBe(true);
    expect(() => j.sending('ho-new')).toThrow(/only the owner/);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    j.close();
  });

  it('writes each send before it leaves, and rewrites the file short once it grows past its size', () => {
    const file = path.join(dir, 'h.db.sending');
    let t = 1_000;
    const j = new SendJournal({ path: file, knows: () => false, now: () => t, rewriteBytes: 200 });
    for (let i = 0; i < 20; i++) {
      j.sending(`ho-${i}`);
      if (i !== 7) j.stored(`ho-${i}`);
      t += 1;
    }
    j.sending('ho-x');
    const left = readJournal(file).map(([id]) => id);
    expect(left).toContain('ho-7'); // still under way when the file was rewritten
    expect(left).toContain('ho-x');
    expect(left.length).toBeLessThan(21);
    expect(fs.statSync(file).size).toBeLessThan(400);
    // After a crash, the next owner finds the unsettled sends in doubt.
    const next = new SendJournal({ path: file, knows: () => false, now: () => t });
    expect(next.mustVerify('ho-7')).toBe(true);
    expect(next.mustVerify('ho-3')).toBe(false);
    j.close();
    next.close();
  });

  it('an accept that failed after its call left keeps the id in doubt until it is stored and confirmed', () => {
    const j = new SendJournal({ path: path.join(dir, 'j.sending'), knows: () => false });
    j.sending('ho-a');
    j.inDoubt('ho-a');
    expect(j.mustVerify('ho-a')).toBe(true);
    j.delivered('ho-a');
    expect(j.mustVerify('ho-a')).toBe(true);
    j.stored('ho-a'); // the retry's record: its send looks first…
    expect(j.mustVerify('ho-a')).toBe(true);
    j.delivered('ho-a'); // …and Salesforce confirms it
    expect(j.mustVerify('ho-a')).toBe(false);
    j.close();
  });
});

describe('the lock on a SQLite file the service accepts into', () => {
  const lockIn = (file: string, mode: string) =>
    spawnSync(
      process.execPath,
      [
        '-r',
        require.resolve('tsx/cjs'),
        '-e',
        `const { lockStoreFile } = require(${JSON.stringify(path.resolve(__dirname, '../../../src/delivery/store/sqlite-lock'))});
         try { lockStoreFile(${JSON.stringify(file)}, ${JSON.stringify(mode)}); console.log('locked'); }
         catch (e) { console.log(e.code, e.message); }`,
      ],
      { encoding: 'utf8' },
    ).stdout.trim();

  it('one owner refuses every other process; sharing processes admit each other and refuse an owner', () => {
    const file = path.join(dir, 'h.db');
    const owner = lockStoreFile(file, 'exclusive');
    expect(lockIn(file, 'exclusive')).toMatch(/^STORE_IN_USE .*HANDOFF_STORE_SHARED/);
    expect(lockIn(file, 'shared')).toMatch(/^STORE_IN_USE/);
    owner.release();
    expect(lockIn(file, 'exclusive')).toBe('locked');
    const sharer = lockStoreFile(file, 'shared');
    expect(lockIn(file, 'shared')).toBe('locked');
    expect(lockIn(file, 'exclusive')).toMatch(/^STORE_IN_USE/);
    sharer.release();
  });

  it('the service takes it when it opens the store; the operator CLI does not', async () => {
    const file = path.join(dir, 'h.db');
    const config = { kind: 'sqlite' as const, path: file, thread: true, shared: false };
    const service = await openHandoffStore(config, { accepts: true });
    expect(lockIn(file, 'exclusive')).toMatch(/^STORE_IN_USE/);
    const operator: HandoffStore = await openHandoffStore(config);
    expect(operator.earlySend).toBeUndefined();
    await operator.close();
    await service.close();
    expect(lockIn(file, 'exclusive')).toBe('locked'); // released on close
  });
});
