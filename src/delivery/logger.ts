/** The part of a winston logger delivery uses; pass the service logger (or a child of it). */
export interface DeliveryLogger {
  debug(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

export const silentLogger: DeliveryLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Message of an unknown thrown value, without stack or cause (which may hold request bodies). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
