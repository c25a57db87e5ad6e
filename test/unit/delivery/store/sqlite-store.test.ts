import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteHandoffStore } from '../../../../src/delivery/store';
import type { HandoffStore } from '../../../../src/delivery/store';
import { prepared } from '../fixtures';
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
