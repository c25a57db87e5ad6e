export { Org, DEFAULT_API_VERSION, recordUrl } from './org';
export type { OrgOptions, WriteOptions } from './org';
export { IdGenerator, checksumSuffix, keyPrefixOf, normalizeId, toId18 } from './ids';
export { MAX_OFFSET } from './soql';
export * from './types';
