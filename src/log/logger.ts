/**
 * The service logger: winston, one JSON object per line, scrubbed before it is written. Request
 * handlers log through `logger.child({ requestId })` so every line of a request carries its id.
 */
import { Writable } from 'node:stream';
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

/**
 * Log lines for a target stream (stdout), written together once per turn of the event loop instead
 * of one write per line: the same lines in the same order, with far fewer writes to the pipe or
 * file behind stdout (each a system call that, under load, also wakes whatever reads it). Lines
 * still pending are written when the process exits (process.exit, a signal handler that exits, the
 * end of the event loop), before the exit completes.
 */
class LineBatcher extends Writable {
  private pending: string[] = [];
  private scheduled = false;

  constructor(private readonly target: NodeJS.WritableStream) {
    super({ decodeStrings: false });
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending.push(typeof chunk === 'string' ? chunk : String(chunk));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    callback();
  }

  /** Writes whatever is pending now (also called on exit). */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join('');
    this.pending = [];
    this.target.write(text);
  };
}

let stdoutLines: LineBatcher | undefined;

/** The one batcher for stdout, shared by every logger that writes there. */
function stdoutBatcher(): LineBatcher {
  if (!stdoutLines) {
    const batcher = new LineBatcher(process.stdout);
    process.once('exit', batcher.flush);
    stdoutLines = batcher;
  }
  return stdoutLines;
}

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
    transports: [new winston.transports.Stream({ stream: options.stream ?? stdoutBatcher() })],
  });
}

/** A logger that writes nothing (for tests that do not look at logs). */
export function createSilentLogger(): Logger {
  return winston.createLogger({
    silent: true,
    transports: [new winston.transports.Console({ silent: true })],
  });
}
