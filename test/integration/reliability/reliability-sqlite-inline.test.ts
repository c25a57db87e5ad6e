import { describeReliability, sqliteStoreOn } from './reliability-suite';

// The same guarantees with the store on the request thread (delivery.store.thread: false).
describeReliability('SQLite on the request thread', sqliteStoreOn(false));
