import type { StoreConfig } from '../config';
import { PostgresHandoffStore } from './postgres-store';
import { SqliteHandoffStore } from './sqlite-store';
import { ThreadedSqliteStore } from './sqlite-thread';
import type { HandoffStore } from './types';

export * from './types';
export { SqliteHandoffStore } from './sqlite-store';
export { ThreadedSqliteStore } from './sqlite-thread';
export { PostgresHandoffStore } from './postgres-store';

/**
 * Opens the configured store and creates its schema. SQLite runs on its own thread (sqlite-thread.ts)
 * unless `thread` is false, and then on the calling thread.
 */
export async function openHandoffStore(config: StoreConfig): Promise<HandoffStore> {
  const store: HandoffStore =
    config.kind === 'sqlite'
      ? config.thread
        ? new ThreadedSqliteStore({ path: config.path, checkpointPages: config.checkpointPages })
        : new SqliteHandoffStore({ path: config.path, checkpointPages: config.checkpointPages })
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
