import { describeReliability, postgresStore } from './reliability-suite';

describeReliability('PostgreSQL', postgresStore);
