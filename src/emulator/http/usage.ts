/** Endpoint families the call counter reports. */
export type CallFamily =
  | 'oauth'
  | 'versions'
  | 'resources'
  | 'query'
  | 'sobjects'
  | 'composite'
  | 'composite/batch'
  | 'composite/graph'
  | 'composite/sobjects'
  | 'limits'
  | 'other';

export function familyOf(segments: string[]): CallFamily {
  const [a, b] = segments;
  switch (a) {
    case undefined:
    case '':
      return 'resources';
    case 'sobjects':
      return 'sobjects';
    case 'query':
    case 'queryAll':
      return 'query';
    case 'limits':
      return 'limits';
    case 'composite':
      if (b === 'batch') return 'composite/batch';
      if (b === 'graph') return 'composite/graph';
      if (b === 'sobjects') return 'composite/sobjects';
      return 'composite';
    default:
      return 'other';
  }
}

/**
 * API usage: the daily allocation the REST API enforces (`Sforce-Limit-Info`, `/limits`,
 * REQUEST_LIMIT_EXCEEDED) and the per-family call counter the admin API reports.
 */
export class ApiUsage {
  used = 0;
  private counts = new Map<string, number>();

  constructor(public dailyMax: number) {}

  /** Counts a request in its family (every request the emulator receives, admin routes excepted). */
  count(family: CallFamily): void {
    this.counts.set(family, (this.counts.get(family) ?? 0) + 1);
  }

  /** True when the daily allocation is spent. */
  exhausted(): boolean {
    return this.used >= this.dailyMax;
  }

  /** Charges one API call against the daily allocation. */
  charge(): void {
    this.used++;
  }

  limitInfo(): string {
    return `api-usage=${this.used}/${this.dailyMax}`;
  }

  calls(): Record<string, number> {
    const out: Record<string, number> = {};
    let total = 0;
    for (const [k, v] of [...this.counts.entries()].sort((x, y) => x[0].localeCompare(y[0]))) {
      out[k] = v;
      total += v;
    }
    out.total = total;
    return out;
  }

  resetCalls(): void {
    this.counts.clear();
  }

  resetAll(): void {
    this.counts.clear();
    this.used = 0;
  }

  limits(): Record<string, { Max: number; Remaining: number }> {
    return {
      ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
      DailyApiRequests: { Max: this.dailyMax, Remaining: Math.max(0, this.dailyMax - this.used) },
      DailyAsyncApexExecutions: { Max: 250000, Remaining: 250000 },
      DailyBulkApiBatches: { Max: 15000, Remaining: 15000 },
      DailyBulkV2QueryJobs: { Max: 10000, Remaining: 10000 },
      DailyDeliveredPlatformEvents: { Max: 50000, Remaining: 50000 },
      DataStorageMB: { Max: 5, Remaining: 5 },
      FileStorageMB: { Max: 20, Remaining: 20 },
      HourlyPublishedPlatformEvents: { Max: 250000, Remaining: 250000 },
      SingleEmail: { Max: 5000, Remaining: 5000 },
    };
  }
}
