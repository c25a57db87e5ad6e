export * from './config';
export * from './store';
export * from './backoff';
export * from './circuit-breaker';
export * from './metrics';
export * from './logger';
export * from './scrub';
export * from './worker';
