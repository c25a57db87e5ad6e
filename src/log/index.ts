export { createLogger, createSilentLogger, scrubFormat } from './logger';
export type { Logger, CreateLoggerOptions } from './logger';
export { scrubString, scrubValue, isSecretKey, REDACTED } from './scrub';
