import { randomSfId } from './util';

interface Cursor {
  id: string;
  owner: string;
  records: Record<string, unknown>[];
  totalSize: number;
  batchSize: number;
  lastUsed: number;
}

export interface QueryPage {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Record<string, unknown>[];
}

export const DEFAULT_BATCH_SIZE = 2000;
export const MIN_BATCH_SIZE = 200;
export const MAX_BATCH_SIZE = 2000;
/** Salesforce keeps at most 10 open query cursors per user; opening another closes the oldest. */
export const MAX_OPEN_CURSORS_PER_USER = 10;
/** A cursor that is not used for 15 minutes is closed. */
export const CURSOR_IDLE_MS = 15 * 60 * 1000;

/** Reads `Sforce-Query-Options: batchSize=N` (200–2000; out-of-range values are clamped). */
export function batchSizeFromHeader(header: string | undefined): number {
  if (!header) return DEFAULT_BATCH_SIZE;
  const m = /batchSize\s*=\s*(\d+)/i.exec(header);
  if (!m?.[1]) return DEFAULT_BATCH_SIZE;
  const n = Number.parseInt(m[1], 10);
  return Math.min(MAX_BATCH_SIZE, Math.max(MIN_BATCH_SIZE, n));
}

/** Server-side query cursors behind `nextRecordsUrl` (queryMore). */
export class QueryCursors {
  private readonly cursors = new Map<string, Cursor>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The first page of a result; opens a cursor when more records remain. */
  firstPage(
    owner: string,
    version: string,
    kind: 'query' | 'queryAll',
    result: { totalSize: number; records: Record<string, unknown>[] },
    batchSize: number,
  ): QueryPage {
    if (result.records.length <= batchSize) {
      return { totalSize: result.totalSize, done: true, records: result.records };
    }
    this.expire();
    const open = [...this.cursors.values()]
      .filter((c) => c.owner === owner)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    while (open.length >= MAX_OPEN_CURSORS_PER_USER) {
      const oldest = open.shift();
      if (oldest) this.cursors.delete(oldest.id);
    }
    const id = randomSfId('01g', false);
    this.cursors.set(id, {
      id,
      owner,
      records: result.records,
      totalSize: result.totalSize,
      batchSize,
      lastUsed: this.now(),
    });
    return {
      totalSize: result.totalSize,
      done: false,
      nextRecordsUrl: `/services/data/v${version}/${kind}/${id}-${batchSize}`,
      records: result.records.slice(0, batchSize),
    };
  }

  /** The page a locator (`01g…-2000`) points at, or undefined when the locator is unknown or expired. */
  nextPage(
    owner: string,
    version: string,
    kind: 'query' | 'queryAll',
    locator: string,
  ): QueryPage | undefined {
    this.expire();
    const m = /^(01g[A-Za-z0-9]{12})-(\d+)$/.exec(locator);
    if (!m?.[1] || !m[2]) return undefined;
    const cursor = this.cursors.get(m[1]);
    if (!cursor || cursor.owner !== owner) return undefined;
    const offset = Number.parseInt(m[2], 10);
    if (offset <= 0 || offset >= cursor.records.length) return undefined;
    cursor.lastUsed = this.now();
    const end = offset + cursor.batchSize;
    const records = cursor.records.slice(offset, end);
    if (end >= cursor.records.length) {
      this.cursors.delete(cursor.id);
      return { totalSize: cursor.totalSize, done: true, records };
    }
    return {
      totalSize: cursor.totalSize,
      done: false,
      nextRecordsUrl: `/services/data/v${version}/${kind}/${cursor.id}-${end}`,
      records,
    };
  }

  clear(): void {
    this.cursors.clear();
  }

  private expire(): void {
    const limit = this.now() - CURSOR_IDLE_MS;
    for (const [id, c] of this.cursors) if (c.lastUsed < limit) this.cursors.delete(id);
  }
}
