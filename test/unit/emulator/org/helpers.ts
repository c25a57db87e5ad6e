import { join } from 'node:path';
import { Org } from '../../../../src/emulator/org/org';
import type { OrgOptions } from '../../../../src/emulator/org/org';
import { SalesforceApiError } from '../../../../src/emulator/org/types';
import type { SfErrorItem } from '../../../../src/emulator/org/types';

export const FORCE_APP_MINI = join(__dirname, '../../../fixtures/force-app-mini');

/** A controllable clock starting at a fixed instant. */
export class Clock {
  constructor(public ms = Date.UTC(2026, 10, 21, 10, 0, 0)) {}
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

export function makeOrg(options: OrgOptions = {}): { org: Org; clock: Clock } {
  const clock = new Clock();
  const org = new Org({ forceAppDir: FORCE_APP_MINI, now: clock.now, ...options });
  return { org, clock };
}

/** Runs `fn`, expects a SalesforceApiError and returns it. */
export function sfErr(fn: () => unknown): SalesforceApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SalesforceApiError) return e;
    throw e;
  }
  throw new Error('expected a SalesforceApiError, nothing was thrown');
}

/** The first error item of a standard error body. */
export function item(e: SalesforceApiError): SfErrorItem {
  expect(Array.isArray(e.body)).toBe(true);
  const body = e.body as SfErrorItem[];
  expect(body).toHaveLength(1);
  return body[0] as SfErrorItem;
}

/** Creates a Case with the minimum and returns its id. */
export function newCase(org: Org, fields: Record<string, unknown> = {}): string {
  return org.create('Case', { Subject: 'Card blocked', ...fields }).id;
}
