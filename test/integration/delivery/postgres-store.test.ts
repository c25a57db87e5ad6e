import { randomBytes } from 'node:crypto';
import { PostgresHandoffStore } from '../../../src/delivery/store';
import type { HandoffStore } from '../../../src/delivery/store';
import { describeHandoffStore } from '../../unit/delivery/store/handoff-store-suite';
import { prepared } from '../../unit/delivery/fixtures';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const uniqueSchema = () => `t_dlv_${process.pid}_${randomBytes(4).toString('hex')}`;

describeHandoffStore('PostgreSQL', {
  async open() {
    const s = new PostgresHandoffStore({
      connectionString: DATABASE_URL,
      schema: uniqueSchema(),
      poolSize: 12,
    });
    await s.migrate();
    return s;
  },
  async cleanup(s: HandoffStore) {
    await (s as PostgresHandoffStore).dropSchema();
    await s.close();
  },
});

describe('PostgreSQL store: several instances', () => {
  const schema = uniqueSchema();
  const stores: PostgresHandoffStore[] = [];
  afterAll(async () => {
    await stores[0]?.dropSchema();
    await Promise.all(stores.map((s) => s.close()));
  });

  it('migrates concurrently and shares one backlog without a double claim', async () => {
    for (let i = 0; i < 3; i++)
      stores.push(new PostgresHandoffStore({ connectionString: DATABASE_URL, schema }));
    await Promise.all(stores.map((s) => s.migrate()));
    for (let i = 0; i < 40; i++) await stores[i % 3]!.accept(prepared(), 1);
    const claimed = (
      await Promise.all(
        stores.flatMap((s, i) => [s.claimBatch(`i${i}a`, 9, 1000, 2), s.claimBatch(`i${i}b`, 9, 1000, 2)]),
      )
    ).flat();
    expect(claimed).toHaveLength(40);
    expect(new Set(claimed.map((r) => r.handoffId)).size).toBe(40);
  });
});
