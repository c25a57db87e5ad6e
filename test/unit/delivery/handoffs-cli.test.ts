/** src/cli/handoffs.ts (kept under test/unit/delivery: the CLI belongs to delivery). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runHandoffsCli } from '../../../src/cli/handoffs';
import { SqliteHandoffStore } from '../../../src/delivery';
import { delivered, prepared } from './fixtures';

describe('handoffs CLI', () => {
  let dir: string;
  let file: string;
  let out: string;
  let err: string;
  let progress: string;

  const run = async (...args: string[]) => {
    out = '';
    err = '';
    progress = '';
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => (progress += c.toString()));
    return runHandoffsCli(['--store', file, ...args], {
      out: (t) => (out += t),
      err: (t) => (err += t),
      progressStream: stream,
      now: () => 5_000,
    });
  };

  /** n dead-lettered handoffs and one routed; returns the dead-lettered ids. */
  async function seed(n: number): Promise<string[]> {
    const store = new SqliteHandoffStore({ path: file });
    await store.migrate();
    const ids: string[] = [];
    for (let i = 0; i < n + 1; i++) {
      const p = prepared();
      await store.accept(p, 1_000);
      await store.claimBatch('w', 1, 60_000, 1_000);
      if (i === n) {
        await store.markDelivered(p.handoffId, 'w', delivered(p.handoffId), 1_500);
      } else {
        await store.markDeadLetter(
          p.handoffId,
          'w',
          {
            code: 'INVALID_FIELD',
            message: "No such column 'Foo__c' on entity 'Case'",
            verifyFirst: false,
            salesforceApiCalls: 1,
          },
          2_000,
        );
        ids.push(p.handoffId);
      }
    }
    await store.close();
    return ids.sort();
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsc-handoffs-cli-'));
    file = path.join(dir, 'handoffs.db');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists dead-lettered handoffs with their error', async () => {
    const ids = await seed(3);
    expect(await run('list')).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^HANDOFF ID\s+STATE\s+ATTEMPTS\s+ERROR/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(ids);
    expect(lines[1]).toContain('INVALID_FIELD');
    expect(await run('list', '--state', 'routed', '--json')).toBe(0);
    expect(JSON.parse(out.trim())).toMatchObject({ state: 'routed', caseId: expect.any(String) });
    expect(await run('list', '--state', 'lost')).not.toBe(0);
  });

  it('inspects one handoff, and says so when it does not exist', async () => {
    const [id] = await seed(1);
    expect(await run('inspect', id!)).toBe(0);
    const shown = JSON.parse(out) as Record<string, unknown>;
    expect(shown).toMatchObject({
      handoffId: id,
      state: 'dead_lettered',
      lastError: { code: 'INVALID_FIELD' },
    });
    expect(shown).not.toHaveProperty('handoff');
    expect(await run('inspect', 'ho-nope-0000')).toBe(1);
    expect(err).toMatch(/not found/);
  });

  it('replays named handoffs, and reports ids it left alone', async () => {
    const ids = await seed(2);
    expect(await run('replay', ids[0]!, 'ho-unknown-1')).toBe(1);
    expect(out).toMatch(/requeued 1 handoff/);
    expect(err).toContain('ho-unknown-1');
    const store = new SqliteHandoffStore({ path: file });
    expect(await store.get(ids[0]!)).toMatchObject({ state: 'failed', attempts: 0, nextAttemptAt: 5_000 });
    expect((await store.get(ids[1]!))?.state).toBe('dead_lettered');
    await store.close();
  });

  it('replays every dead letter with --all, drawing a progress bar', async () => {
    const ids = await seed(7);
    expect(await run('replay', '--all')).toBe(0);
    expect(out).toMatch(/requeued 7 handoff/);
    expect(progress).toMatch(/7\/7/);
    const store = new SqliteHandoffStore({ path: file });
    expect((await store.stats(5_000)).counts).toMatchObject({ dead_lettered: 0, failed: 7, routed: 1 });
    expect((await store.claimBatch('svc', 75, 1000, 5_000)).map((r) => r.handoffId).sort()).toEqual(ids);
    await store.close();
    expect(await run('replay')).toBe(2);
    expect(err).toMatch(/--all/);
  });

  it('prints counts per state', async () => {
    await seed(2);
    expect(await run('stats')).toBe(0);
    expect(out).toMatch(/^dead_lettered\s+2$/m);
    expect(out).toMatch(/^routed\s+1$/m);
  });
});
