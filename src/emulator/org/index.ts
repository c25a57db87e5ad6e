export { Org, DEFAULT_API_VERSION, recordUrl } from './org.js';
export type { OrgOptions, WriteOptions } from './org.js';
export { IdGenerator, checksumSuffix, keyPrefixOf, normalizeId, toId18 } from './ids.js';
export { MAX_OFFSET } from './soql.js';
export * from './types.js';
