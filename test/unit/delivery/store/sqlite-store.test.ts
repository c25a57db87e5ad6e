import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteHandoffStore } from '../../../../src/delivery/store';
import { WRITE_GROUP_MAX } from '../../../../src/delivery/store/sqlite-store';
import type { HandoffStore } from '../../../../src/delivery/store';
import { delivered, prepared } from '../fixtures';
import { describeHandoffStore } from './handoff-store-suite';

describeHandoffStore('SQLite (:memory:)', {
  async open() {
    const s = new SqliteHandoffStore({ path: ':memory:' });
    await s.migrate();
    return s;
  },
  cleanup: (s: HandoffStore) => s.close(),
});

describe('SQLite store on a file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsc-handoff-store-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uses WAL and keeps what was accepted across a reopen', async () => {
    const file = path.join(dir, 'nested', 'handoffs.db');
    const p = prepared();
    const a = new SqliteHandoffStore({ path: file });
    await a.migrate();
    await a.accept(p, 1);
    await a.close();
    const b = new SqliteHandoffStore({ path: file });
    await b.migrate();
    expect((await b.get(p.handoffId))?.prepared).toEqual(p);
    await b.close();
    expect(fs.existsSync(`${file}-wal`) || fs.existsSync(file)).toBe(true);
  });

  it('answers an accept only once it is committed: another connection on the file sees every answered one', async () => {
    const file = path.join(dir, 'group.db');
    const a = new SqliteHandoffStore({ path: file });
    const b = new SqliteHandoffStore({ path: file });
    await a.migrate();
    await b.migrate();
    // more than one group's worth at once
    const ps = Array.from({ length: WRITE_GROUP_MAX + 30 }, () => prepared());
    const results = await Promise.all(ps.map((p) => a.accept(p, 1)));
    expect(results.every((r) => r.kind === 'accepted')).toBe(true);
    expect((await b.stats(2)).counts.accepted).toBe(ps.length);
    expect((await b.get(ps.at(-1)!.handoffId))?.prepared).toEqual(ps.at(-1));
    await a.close();
    await b.close();
  });

  it('records a delivered batch in the same group commit as the accepts of that turn', async () => {
    const file = path.join(dir, 'settle.db');
    const a = new SqliteHandoffStore({ path: file });
    const b = new SqliteHandoffStore({ path: file });
    await a.migrate();
    await b.migrate();
    const first = prepared();
    await a.accept(first, 1, { workerId: 'w1', leaseUntil: 60_000 });
    const commits = jest.spyOn(a as unknown as { commitGroup: () => void }, 'commitGroup');
    const second = prepared();
    const settled = a.markDeliveredMany([delivered(first.handoffId)], 'w1', 2);
    const accepted = a.accept(second, 2);
    // nothing is written before the turn ends; then one transaction holds both
    expect((await b.get(first.handoffId))?.state).toBe('delivering');
    expect(await settled).toEqual([true]);
    expect((await accepted).kind).toBe('accepted');
    expect(commits).toHaveBeenCalledTimes(1);
    expect((await b.get(first.handoffId))?.state).toBe('routed');
    expect((await b.get(second.handoffId))?.state).toBe('accepted');
    await a.close();
    await b.close();
  });

  it('writes the accepts still queued when closed, and refuses accepts after', async () => {
    const file = path.join(dir, 'closing.db');
    const a = new SqliteHandoffStore({ path: file });
    await a.migrate();
    const ps = [prepared(), prepared(), prepared()];
    const pending = ps.map((p) => a.accept(p, 1));
    await a.close();
    expect((await Promise.all(pending)).map((r) => r.kind)).toEqual(['accepted', 'accepted', 'accepted']);
    await expect(a.accept(prepared(), 2)).rejects.toThrow('the handoff store is closed');
    const b = new SqliteHandoffStore({ path: file });
    await b.migrate();
    for (const p of ps) expect((await b.get(p.handoffId))?.state).toBe('accepted');
    await b.close();
  });

  it('two connections on one file never claim the same handoff', async () => {
    const file = path.join(dir, 'shared.db');
    const a = new SqliteHandoffStore({ path: file });
    const b = new SqliteHandoffStore({ path: file });
    await a.migrate();
    await b.migrate();
    for (let i = 0; i < 20; i++) await a.accept(prepared(), 1);
    const got = [...(await a.claimBatch('a', 7, 1000, 2)), ...(await b.claimBatch('b', 50, 1000, 2))];
    expect(new Set(got.map((r) => r.handoffId)).size).toBe(20);
    await a.close();
    await b.close();
  });
});
