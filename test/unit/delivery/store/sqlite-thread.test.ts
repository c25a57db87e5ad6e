import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { openHandoffStore, SqliteHandoffStore, ThreadedSqliteStore } from '../../../../src/delivery/store';
import { THREAD_LIMITS } from '../../../../src/delivery/store/sqlite-thread';
import type { HandoffStore } from '../../../../src/delivery/store';
import { prepared } from '../fixtures';
import { describeHandoffStore } from './handoff-store-suite';

// The same contract as the engine, through the store's thread.
describeHandoffStore('SQLite on its own thread (:memory:)', {
  async open() {
    const s = new ThreadedSqliteStore({ path: ':memory:' });
    await s.migrate();
    return s;
  },
  cleanup: (s: HandoffStore) => s.close(),
});

describe('SQLite store on its own thread', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsc-handoff-thread-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Accepts `n` handoffs through `store`; another connection must then find them all in `file`. */
  async function acceptedOnDisk(store: HandoffStore, file: string, n: number) {
    const ps = Array.from({ length: n }, () => prepared());
    const results = await Promise.all(ps.map((p) => store.accept(p, 1)));
    expect(results.map((r) => r.kind)).toEqual(ps.map(() => 'accepted'));
    const reader = new SqliteHandoffStore({ path: file });
    await reader.migrate();
    expect((await reader.stats(2)).counts.accepted).toBe(n);
    expect((await reader.get(ps[n - 1]!.handoffId))?.prepared).toEqual(ps[n - 1]);
    await reader.close();
    return { ps, results };
  }

  it('with thread: false the service opens the store on the calling thread, and commits to the same file', async () => {
    const file = path.join(dir, 'inline.db');
    const store = await openHandoffStore({ kind: 'sqlite', path: file, thread: false, shared: false });
    expect(store).toBeInstanceOf(SqliteHandoffStore);
    expect(store).not.toBeInstanceOf(ThreadedSqliteStore);
    await acceptedOnDisk(store, file, 12);
    await store.close();
  });

  it('is what the service opens, and what it answers is on disk for another connection', async () => {
    const file = path.join(dir, 'handoffs.db');
    const store = await openHandoffStore({ kind: 'sqlite', path: file, thread: true, shared: false });
    expect(store).toBeInstanceOf(ThreadedSqliteStore);
    const { ps, results } = await acceptedOnDisk(store, file, 40);
    // the record handed back carries the very handoff that was sent
    expect(results[0]?.record.prepared).toBe(ps[0]);
    await store.close();
  });

  it('runs its thread with a small young generation (it only passes rows through)', async () => {
    const store = new ThreadedSqliteStore({ path: ':memory:' });
    await store.migrate();
    const limits = (store as unknown as { worker: { resourceLimits?: Record<string, number> } }).worker
      .resourceLimits;
    expect(limits?.maxYoungGenerationSizeMb).toBe(THREAD_LIMITS.maxYoungGenerationSizeMb);
    expect(THREAD_LIMITS.maxYoungGenerationSizeMb).toBeLessThan(16);
    await store.close();
  });

  it('sends the calls of one turn as one message, and answers a group commit in one message', async () => {
    const store = new ThreadedSqliteStore({ path: path.join(dir, 'batched.db') });
    await store.migrate();
    const worker = (store as unknown as { worker: Worker }).worker;
    const sent = jest.spyOn(worker, 'postMessage');
    const answers: number[] = [];
    worker.on('message', (replies: unknown[]) => answers.push(replies.length));
    const ps = Array.from({ length: 25 }, () => prepared());
    const results = await Promise.all(ps.map((p) => store.accept(p, 1)));
    expect(results.map((r) => r.kind)).toEqual(ps.map(() => 'accepted'));
    expect(sent).toHaveBeenCalledTimes(1);
    expect((sent.mock.calls[0]?.[0] as unknown[]).length).toBe(25);
    expect(answers).toEqual([25]);
    // The next turn's calls are a message of their own, in order: a duplicate is seen as one.
    const again = await Promise.all([store.accept(ps[0]!, 2), store.get(ps[1]!.handoffId)]);
    expect(again[0].kind).toBe('duplicate');
    expect(again[1]?.handoffId).toBe(ps[1]!.handoffId);
    expect(sent).toHaveBeenCalledTimes(2);
    sent.mockRestore();
    await store.close();
  });

  it('writes on its own thread: the calling thread runs none of the store’s work', async () => {
    const store = new ThreadedSqliteStore({ path: path.join(dir, 'busy.db') });
    await store.migrate();
    const here = [
      jest.spyOn(SqliteHandoffStore.prototype, 'accept'),
      jest.spyOn(SqliteHandoffStore.prototype, 'acceptValues'),
      jest.spyOn(SqliteHandoffStore.prototype, 'migrate'),
    ];
    const results = await Promise.all(Array.from({ length: 50 }, () => store.accept(prepared(), 1)));
    await store.migrate();
    expect(results.every((r) => r.kind === 'accepted')).toBe(true);
    for (const spy of here) {
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }
    await store.close();
  });

  it('replaces a thread that died: calls it had fail, the next ones are answered from the same file', async () => {
    const store = new ThreadedSqliteStore({ path: path.join(dir, 'restart.db') });
    await store.migrate();
    const kept = prepared();
    await store.accept(kept, 1);
    const thread = (store as unknown as { worker: Worker }).worker;
    // From here the thread's answers are not read, so the call is still unanswered when the thread
    // dies, however quickly the thread would have answered it (CI once saw it answer first).
    thread.removeAllListeners('message');
    const inFlight = store.stats(2);
    await new Promise((resolve) => setImmediate(resolve)); // sent: the thread has it
    await thread.terminate();
    await expect(inFlight).rejects.toThrow(/thread ended/);
    expect((await store.get(kept.handoffId))?.handoffId).toBe(kept.handoffId);
    expect((await store.accept(prepared(), 3)).kind).toBe('accepted');
    expect(store.threadRestarts).toBe(1);
    await store.close();
  });

  it('gives the calls a dead thread never received to the next thread', async () => {
    const store = new ThreadedSqliteStore({ path: ':memory:' });
    await store.migrate();
    const thread = (store as unknown as { worker: Worker }).worker;
    const p = prepared();
    const accepted = store.accept(p, 1);
    // The thread ends in the same turn, before this turn's calls were sent: they are not in doubt.
    thread.emit('exit', 1);
    await thread.terminate();
    expect((await accepted).kind).toBe('accepted');
    // The new thread made the schema again (':memory:') before the call ran, and has the row.
    expect((await store.get(p.handoffId))?.handoffId).toBe(p.handoffId);
    expect(store.threadRestarts).toBe(1);
    await store.close();
  });

  it('fails only the calls it could not send to the thread', async () => {
    const store = new ThreadedSqliteStore({ path: ':memory:' });
    await store.migrate();
    const p = prepared();
    // Three calls in one turn, one of them with an argument that cannot cross to the thread.
    const [before, uncopyable, after] = await Promise.allSettled([
      store.accept(p, 1),
      store.get((() => 'x') as unknown as string),
      store.ping(),
    ]);
    expect(before).toMatchObject({ status: 'fulfilled', value: { kind: 'accepted' } });
    expect(uncopyable).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/could not be cloned/) },
    });
    expect(after).toMatchObject({ status: 'fulfilled' });
    expect((await store.get(p.handoffId))?.handoffId).toBe(p.handoffId);
    await store.close();
  });

  it('stays down, saying why, when its thread keeps failing', async () => {
    const store = new ThreadedSqliteStore({ path: path.join(dir, 'flaky.db') });
    await store.migrate();
    for (let i = 0; i < 4; i++) {
      await (store as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    }
    await expect(store.get('x')).rejects.toThrow(/keeps failing/);
    expect(store.threadRestarts).toBe(3);
    await store.close();
  });

  it('passes on a store error with its message, and refuses calls once closed', async () => {
    const store = new ThreadedSqliteStore({ path: ':memory:' });
    await expect(store.get('x')).rejects.toThrow(/no such table/);
    await store.migrate();
    await store.close();
    await expect(store.accept(prepared(), 1)).rejects.toThrow('the handoff store is closed');
  });
});
