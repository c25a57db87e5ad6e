import { describeReliability, sqliteStore } from './reliability-suite';

describeReliability('SQLite', sqliteStore);
