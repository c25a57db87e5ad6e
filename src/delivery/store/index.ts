import type { StoreConfig } from '../config';
import { PostgresHandoffStore } from './postgres-store';
import { SqliteHandoffStore } from './sqlite-store';
import type { HandoffStore } from './types';

export * from './types';
export { SqliteHandoffStore } from './sqlite-store';
export { PostgresHandoffStore } from './postgres-store';

/** Opens the configured store and creates its schema. */
export async function openHandoffStore(config: StoreConfig): Promise<HandoffStore> {
  const store: HandoffStore =
    config.kind === 'sqlite'
      ? new SqliteHandoffStore({ path: config.path })
      : new PostgresHandoffStore({
          connectionString: config.connectionString,
          schema: config.schema,
          poolSize: config.poolSize,
        });
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
