/**
 * The one error type. Built from an options object with a stable code; one place (the HTTP error
 * handler) maps it to problem+json. 5xx answers carry the request id, never internals.
 */
export interface FieldProblem {
  path: string;
  message: string;
}

export interface AppErrorOptions {
  code: string;
  message: string;
  status: number;
  actions?: string[];
  errors?: FieldProblem[];
  cause?: unknown;
  /** Whether retrying the same operation later may succeed (used by delivery). */
  transient?: boolean;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly actions: string[];
  readonly errors: FieldProblem[];
  readonly transient: boolean;

  constructor(options: AppErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = options.code;
    this.status = options.status;
    this.actions = options.actions ?? [];
    this.errors = options.errors ?? [];
    this.transient = options.transient ?? false;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
