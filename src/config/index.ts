export { loadConfig, ConfigError, formatProblem } from './load';
export type { ConfigProblem, LoadConfigOptions } from './load';
export * from './schema';
export { ENV_BINDINGS, nodeOptions } from './env';
export { loadDevSettings, devSettingsSchema, emulatorSalesforceSettings } from './dev';
export type { DevSettings, EmulatorJwtApp } from './dev';
