import { z } from 'zod';
import { REQUEST_LIMIT_BODY, sfErrorBody, type RestResponse } from './errors';
import { randomSfId } from './util';

export const FAULT_KINDS = ['unableToLockRow', 'serviceUnavailable', 'requestLimitExceeded'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const rate = z.number().min(0).max(1);

/** The fault settings (admin `PUT /__emulator/faults` body, and the `faults` option). */
export const faultSettingsSchema = z
  .object({
    /** Added latency per call (ms), plus a uniform random 0..jitterMs. */
    latencyMs: z.number().int().min(0).max(600_000).default(0),
    jitterMs: z.number().int().min(0).max(600_000).default(0),
    /** Probability (0–1) that a data call fails with each kind of error, before it runs. */
    errorRates: z
      .object({
        unableToLockRow: rate.default(0),
        serviceUnavailable: rate.default(0),
        requestLimitExceeded: rate.default(0),
      })
      .strict()
      .default({ unableToLockRow: 0, serviceUnavailable: 0, requestLimitExceeded: 0 }),
    /** Deterministic failures: the next data calls fail with these kinds, in order. */
    failNext: z.array(z.enum(FAULT_KINDS)).max(10_000).default([]),
    /** Full outage: every data call answers 503. `true` until cleared, or a number of ms from now. */
    outage: z.union([z.boolean(), z.number().int().min(0)]).default(false),
    /** The write commits but the answer is lost: a 503 or a dropped connection. */
    commitThenFail: z
      .object({
        rate: rate.default(0),
        /** How many of the next writes fail this way regardless of rate. */
        next: z.number().int().min(0).max(10_000).default(0),
        mode: z.enum(['503', 'drop']).default('503'),
      })
      .strict()
      .default({ rate: 0, next: 0, mode: '503' }),
    /** One-shot action: end every current session now (not stored). */
    expireSessions: z.boolean().optional(),
  })
  .strict();

export type FaultSettingsInput = z.input<typeof faultSettingsSchema>;
export type FaultSettings = z.output<typeof faultSettingsSchema>;

export interface FaultState {
  latencyMs: number;
  jitterMs: number;
  errorRates: Record<FaultKind, number>;
  failNext: FaultKind[];
  /** Epoch ms the outage ends, Infinity for "until cleared", null for none. */
  outageUntil: number | null;
  commitThenFail: { rate: number; next: number; mode: '503' | 'drop' };
}

export function faultBody(kind: FaultKind, recordId?: string): RestResponse {
  switch (kind) {
    case 'unableToLockRow':
      return {
        status: 400,
        body: [
          {
            errorCode: 'UNABLE_TO_LOCK_ROW',
            message: `unable to obtain exclusive access to this record or 1 records: ${recordId ?? randomSfId('500')}`,
          },
        ],
      };
    case 'serviceUnavailable':
      return serviceUnavailable();
    case 'requestLimitExceeded':
      return { status: 403, body: REQUEST_LIMIT_BODY };
  }
}

export function serviceUnavailable(): RestResponse {
  return {
    status: 503,
    body: sfErrorBody(
      'SERVER_UNAVAILABLE',
      'The server is temporarily unable to service your request. Please try again.',
    ),
  };
}

/** Faults on demand: latency, error rates, outage windows and commit-then-fail. */
export class Faults {
  state: FaultState = Faults.empty();

  constructor(
    private readonly rng: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  static empty(): FaultState {
    return {
      latencyMs: 0,
      jitterMs: 0,
      errorRates: { unableToLockRow: 0, serviceUnavailable: 0, requestLimitExceeded: 0 },
      failNext: [],
      outageUntil: null,
      commitThenFail: { rate: 0, next: 0, mode: '503' },
    };
  }

  /** Replaces the settings. Returns whether sessions must be expired (a one-shot action). */
  set(input: FaultSettingsInput): { expireSessions: boolean } {
    const s = faultSettingsSchema.parse(input);
    this.state = {
      latencyMs: s.latencyMs,
      jitterMs: s.jitterMs,
      errorRates: { ...s.errorRates },
      failNext: [...s.failNext],
      outageUntil: s.outage === false ? null : s.outage === true ? Infinity : this.now() + s.outage,
      commitThenFail: { ...s.commitThenFail },
    };
    return { expireSessions: s.expireSessions === true };
  }

  clear(): void {
    this.state = Faults.empty();
  }

  /** The settings as the admin API shows them. */
  view(): Record<string, unknown> {
    const s = this.state;
    const outageActive = this.inOutage();
    return {
      latencyMs: s.latencyMs,
      jitterMs: s.jitterMs,
      errorRates: s.errorRates,
      failNext: s.failNext,
      outage: outageActive,
      outageRemainingMs: !outageActive
        ? 0
        : s.outageUntil === Infinity
          ? null
          : (s.outageUntil ?? 0) - this.now(),
      commitThenFail: s.commitThenFail,
    };
  }

  delayMs(): number {
    const { latencyMs, jitterMs } = this.state;
    return latencyMs + (jitterMs > 0 ? Math.floor(this.rng() * (jitterMs + 1)) : 0);
  }

  inOutage(): boolean {
    const until = this.state.outageUntil;
    if (until === null) return false;
    if (this.now() < until) return true;
    this.state.outageUntil = null;
    return false;
  }

  /** The error a data call fails with before it runs, if any. */
  preCallFault(): FaultKind | undefined {
    const queued = this.state.failNext.shift();
    if (queued) return queued;
    for (const kind of FAULT_KINDS) {
      const r = this.state.errorRates[kind];
      if (r > 0 && this.rng() < r) return kind;
    }
    return undefined;
  }

  /** After a write committed: whether its answer is lost, and how. */
  postCommitFault(): '503' | 'drop' | undefined {
    const c = this.state.commitThenFail;
    if (c.next > 0) {
      c.next--;
      return c.mode;
    }
    if (c.rate > 0 && this.rng() < c.rate) return c.mode;
    return undefined;
  }
}
