import { readFileSync } from 'node:fs';
import path from 'node:path';
import { handoffRequestSchema } from '../../../src/contract/handoff';
import type { Handoff, HandoffRequestInput } from '../../../src/contract/handoff';
import type { HandoffAnswer } from '../../../src/contract/answer';

const DIR = path.join(__dirname, '../../fixtures/bot-platforms');

/** A fresh copy of a composed fixture (tests may mutate it). */
export function fixture<T = Record<string, unknown>>(relative: string): T {
  return JSON.parse(readFileSync(path.join(DIR, relative), 'utf8')) as T;
}

/** Validates an adapter's output against the canonical contract, failing with every issue. */
export function canonical(input: HandoffRequestInput): Handoff {
  const r = handoffRequestSchema.safeParse(input);
  if (!r.success) {
    throw new Error(
      `not a canonical handoff:\n${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  return r.data;
}

export const RECEIVED_AT = new Date('2026-11-21T10:15:00Z');

/** A customer turn of about 1 KB; five of them make a transcript over 4 KB. */
export function longText(n: number): string {
  return (
    `Turn ${n}: ` +
    'the card was charged twice at the same merchant and the second charge is still pending; '.repeat(11)
  );
}

export function answer(overrides: Partial<HandoffAnswer> = {}): HandoffAnswer {
  return {
    handoffId: 'ho-answer-0001',
    status: 'routed',
    statusUrl: '/v1/handoffs/ho-answer-0001',
    caseId: '500000000000001AAA',
    caseNumber: '00001042',
    handoffRecordId: 'a01000000000001AAA',
    enrichedExistingCase: false,
    routing: {
      mode: 'skills_based',
      skills: [{ developerName: 'Disputes', level: 5, additional: false }],
      priority: 2,
      casePriority: 'High',
      urgency: 'high',
      queue: null,
      reasons: ['intent rule "disputes"'],
    },
    agent: null,
    salesforceApiCalls: 1,
    redactions: [],
    error: null,
    ...overrides,
  };
}

/** The AppError an adapter threw, as {status, code, paths, message}. */
export function refusal(fn: () => unknown): {
  status: number;
  code: string;
  paths: string[];
  message: string;
} {
  try {
    fn();
  } catch (err) {
    const e = err as { status: number; code: string; errors: { path: string }[]; message: string };
    return { status: e.status, code: e.code, paths: e.errors.map((x) => x.path), message: e.message };
  }
  throw new Error('expected the adapter to refuse the payload');
}
