import { readFileSync } from 'node:fs';
import path from 'node:path';
import { conversationStateSchema, policyConfigSchema, routingConfigSchema } from '../../../src/policy';
import type {
  ConversationState,
  ConversationStateInput,
  PolicyConfig,
  RoutingConfig,
} from '../../../src/policy';

const CONFIG_DIR = path.join(__dirname, '../../../config');

export function readConfigJson(name: 'policy.json' | 'routing.json'): unknown {
  return JSON.parse(readFileSync(path.join(CONFIG_DIR, name), 'utf8'));
}

export function defaultPolicy(): PolicyConfig {
  return policyConfigSchema.parse(readConfigJson('policy.json'));
}

export function defaultRouting(): RoutingConfig {
  return routingConfigSchema.parse(readConfigJson('routing.json'));
}

export const NOW = new Date('2026-11-21T10:05:00Z');

/** A calm conversation that fires no default rule: one confident, progressing balance enquiry. */
export function calmState(overrides: Partial<ConversationStateInput> = {}): ConversationState {
  return conversationStateSchema.parse({
    conversationId: 'conv-calm-1',
    language: 'en-GB',
    intents: [
      { name: 'greeting', confidence: 0.97, outcome: 'resolved', at: '2026-11-21T10:00:00Z' },
      {
        name: 'account.balance',
        confidence: 0.88,
        outcome: 'in_progress',
        entities: { account_type: 'current' },
        at: '2026-11-21T10:00:10Z',
      },
    ],
    customerMessages: [
      { text: 'hello', at: '2026-11-21T10:00:00Z' },
      { text: 'what is on my current account', at: '2026-11-21T10:00:10Z' },
    ],
    verification: { verified: true, method: 'otp', failedAttempts: 0 },
    segment: 'retail',
    transfers: 0,
    startedAt: '2026-11-21T10:00:00Z',
    lastActivityAt: '2026-11-21T10:00:10Z',
    ...overrides,
  });
}
