import { describeReliability, sqliteStoreOn } from './reliability-suite';

// Two instances accepting into one SQLite file at once (delivery.store.shared: each accept commits
// before its handoff is sent).
describeReliability('SQLite shared by two instances', sqliteStoreOn(true, true));
