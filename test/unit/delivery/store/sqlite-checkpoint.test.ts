import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deliveryConfigSchema } from '../../../../src/delivery';
import { openHandoffStore } from '../../../../src/delivery/store';
import type { HandoffStore } from '../../../../src/delivery/store';
import { DEFAULT_CHECKPOINT_PAGES } from '../../../../src/delivery/store/types';
import { prepared } from '../fixtures';

/**
 * checkpointPages: how much WAL a commit lets grow before it copies the WAL back into the database
 * file. Observable from outside the store: the database file itself only grows at a checkpoint.
 */
describe('SQLite WAL checkpoints (checkpointPages)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsc-handoff-ckpt-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Accepts `n` handoffs one commit at a time; the database file's size (not the WAL's) after. */
  async function dbFileAfter(store: HandoffStore, file: string, n: number): Promise<number> {
    for (let i = 0; i < n; i++) await store.accept(prepared(), 1);
    return fs.statSync(file).size;
  }

  it.each([
    { where: 'on its own thread', thread: true },
    { where: 'on the calling thread', thread: false },
  ])(
    '$where, a small setting copies the WAL into the database as it goes; a large one leaves it in the WAL',
    async ({ thread }) => {
      const often = path.join(dir, 'often.db');
      const never = path.join(dir, 'never.db');
      const a = await openHandoffStore({
        kind: 'sqlite',
        path: often,
        thread,
        shared: false,
        checkpointPages: 5,
      });
      const b = await openHandoffStore({
        kind: 'sqlite',
        path: never,
        thread,
        shared: false,
        checkpointPages: 100_000,
      });
      const [sizeOften, sizeNever] = [await dbFileAfter(a, often, 40), await dbFileAfter(b, never, 40)];
      // 40 handoffs of several KB each: tens of pages reached the file that checkpoints every 5 pages.
      expect(sizeOften).toBeGreaterThan(20 * 4096);
      // The other file holds at most what its schema's first checkpoint-free commits left: no handoff pages.
      expect(sizeNever).toBeLessThan(sizeOften / 4);
      await a.close();
      await b.close();
    },
  );

  it('defaults to 100 pages, and refuses a setting below one page or not whole', () => {
    expect(DEFAULT_CHECKPOINT_PAGES).toBe(100);
    const parse = (checkpointPages: unknown) =>
      deliveryConfigSchema.safeParse({ store: { path: 'x.db', checkpointPages } });
    expect(parse(250).success).toBe(true);
    for (const bad of [0, 2.5, -1, '100']) {
      const r = parse(bad);
      expect(r.success).toBe(false);
      expect(JSON.stringify(r.error?.issues.map((i) => i.path))).toContain('checkpointPages');
    }
  });
});
