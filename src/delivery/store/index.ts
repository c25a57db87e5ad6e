import type { StoreConfig } from '../config';
import { PostgresHandoffStore } from './postgres-store';
import { SqliteHandoffStore } from './sqlite-store';
import { ThreadedSqliteStore } from './sqlite-thread';
import type { HandoffStore } from './types';

export * from './types';
export { SqliteHandoffStore } from './sqlite-store';
export { ThreadedSqliteStore } from './sqlite-thread';
export { PostgresHandoffStore } from './postgres-store';

export interface OpenStoreOptions {
  /**
   * This process accepts handoffs into the store (the service; not the operator CLI): a SQLite file
   * is then locked for it, alone or shared by `shared` (sqlite-lock.ts).
   */
  accepts?: boolean;
}

/**
 * Opens the configured store and creates its schema. SQLite runs on its own thread (sqlite-thread.ts)
 * unless `thread` is false, and then on the calling thread; a file a process accepts into is locked
 * for it (options.accepts).
 */
export async function openHandoffStore(
  config: StoreConfig,
  options: OpenStoreOptions = {},
): Promise<HandoffStore> {
  let store: HandoffStore;
  if (config.kind === 'sqlite') {
    const sqlite = {
      path: config.path,
      checkpointPages: config.checkpointPages,
      lock: options.accepts ? (config.shared ? ('shared' as const) : ('exclusive' as const)) : undefined,
    };
    store = config.thread ? new ThreadedSqliteStore(sqlite) : new SqliteHandoffStore(sqlite);
  } else {
    store = new PostgresHandoffStore({
      connectionString: config.connectionString,
      schema: config.schema,
      poolSize: config.poolSize,
    });
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
