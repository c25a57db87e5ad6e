/**
 * The service logger: winston, one JSON object per line, scrubbed before it is written. Request
 * handlers log through `logger.child({ requestId })` so every line of a request carries its id.
 */
import type { Writable } from 'node:stream';
import winston from 'winston';
import type { LoggingConfig } from '../config/schema';
import { isSecretKey, REDACTED, scrubString, scrubValue } from './scrub';

export type Logger = winston.Logger;

/** winston format: scrubs every string field of the log entry (message, meta, error stacks). */
export const scrubFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level') continue;
    const value = info[key];
    info[key] = isSecretKey(key)
      ? REDACTED
      : typeof value === 'string'
        ? scrubString(value)
        : scrubValue(value);
  }
  return info;
});

export interface CreateLoggerOptions {
  level: LoggingConfig['level'];
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  stream?: Writable;
  /** Fields on every line (e.g. service name). */
  defaultMeta?: Record<string, unknown>;
}

export function createLogger(options: CreateLoggerOptions): Logger {
  return winston.createLogger({
    level: options.level,
    defaultMeta: options.defaultMeta ?? { service: 'fsc-handoff' },
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      scrubFormat(),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports: [
      options.stream
        ? new winston.transports.Stream({ stream: options.stream })
        : new winston.transports.Console({ stderrLevels: [] }),
    ],
  });
}

/** A logger that writes nothing (for tests that do not look at logs). */
export function createSilentLogger(): Logger {
  return winston.createLogger({
    silent: true,
    transports: [new winston.transports.Console({ silent: true })],
  });
}
