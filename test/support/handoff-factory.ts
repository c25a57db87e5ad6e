/**
 * Builds canonical handoff requests for tests. The default is the card-declined-abroad journey: a
 * verified premier customer whose card was declined in Lisbon, who asked for a person after the bot's
 * fallback. The customer is one the emulator seed has (config/emulator-seed.json), so posting the
 * default gets a Case linked to the customer's account and contact in one call. Pass overrides for
 * what a test is about; fixtures that must fail say so in their names, and
 * `unknownCustomerHandoff()` is the same journey for a customer Salesforce does not know.
 */
import type { HandoffRequestInput } from '../../src/contract/handoff';

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

/** A customer in the emulator seed (config/emulator-seed.json): a premier Person Account. */
export const SEEDED_CUSTOMER = { externalId: 'CUST-100001', name: 'Eleanor Whitfield' } as const;
/** A bank customer number that is in no seed: Salesforce cannot link the case to it. */
export const UNKNOWN_CUSTOMER_ID = 'CUST-100234';

let counter = 0;

export function uniqueHandoffId(prefix = 'ho-test'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${process.pid}-${counter}`;
}

export function cardDeclinedAbroad(): HandoffRequestInput {
  return {
    handoffId: uniqueHandoffId(),
    source: { platform: 'generic', botName: 'Penny', conversationId: 'conv-7f3a-2291' },
    intent: {
      history: [
        { name: 'greeting', confidence: 0.98, outcome: 'resolved', at: '2026-11-21T09:58:02Z' },
        {
          name: 'card.declined',
          confidence: 0.91,
          outcome: 'in_progress',
          entities: { merchant_country: 'PT', amount: 184.5, currency: 'EUR' },
          at: '2026-11-21T09:58:40Z',
        },
        { name: 'fallback', outcome: 'fallback', at: '2026-11-21T09:59:30Z' },
        { name: 'agent.request', confidence: 0.95, outcome: 'escalated', at: '2026-11-21T10:00:05Z' },
      ],
      escalation: {
        reason: 'customer_requested_agent',
        detail: 'Customer asked for a person after a fallback.',
      },
    },
    identity: {
      customer: {
        externalId: SEEDED_CUSTOMER.externalId,
        name: SEEDED_CUSTOMER.name,
        segment: 'premier',
        linkedProducts: ['visa_debit', 'current_account'],
      },
      maskedAccounts: [
        { kind: 'debit_card', last4: '4821', label: 'Visa Debit' },
        { kind: 'current_account', last4: '0192' },
      ],
      channel: 'mobile_app',
      language: 'en-GB',
      verification: {
        verified: true,
        method: 'otp',
        verifiedAt: '2026-11-21T09:57:30Z',
        scope: 'card servicing',
        reverifyRequired: false,
      },
      consents: [
        { type: 'call_recording', granted: true, capturedAt: '2026-11-21T09:57:00Z', wordingVersion: 'v3' },
      ],
    },
    operational: {
      requestedSkills: ['Cards'],
      productCategory: 'cards',
      priorityHint: 'high',
      vip: false,
      vulnerable: false,
      slaStartedAt: '2026-11-21T10:00:05Z',
      caseType: 'Card Servicing',
      caseSubcategory: 'Declined abroad',
      collectedFields: { travel_country: 'Portugal', card_in_possession: true },
    },
    conversation: {
      transcript: [
        { at: '2026-11-21T09:58:00Z', from: 'customer', text: 'My card got declined in Lisbon' },
        {
          at: '2026-11-21T09:58:01Z',
          from: 'bot',
          text: 'Sorry to hear that. Was it a card payment or a cash withdrawal?',
        },
        {
          at: '2026-11-21T09:59:29Z',
          from: 'customer',
          text: 'it just says declined, I am stuck at the hotel',
        },
        { at: '2026-11-21T09:59:30Z', from: 'bot', text: "I didn't quite get that. Could you rephrase?" },
        { at: '2026-11-21T10:00:04Z', from: 'customer', text: 'I want to talk to a person' },
      ],
      summary: {
        issue: 'Debit card declined at a hotel in Lisbon',
        attempted: ['Asked whether it was a payment or a withdrawal'],
        unresolved: ['Why the card was declined', 'Whether travel flag is set'],
        nextBestAction: 'Check fraud hold on card ending 4821 and set travel notice',
        urgency: 'high',
      },
      sentiment: { label: 'negative', score: -0.6 },
    },
  };
}

/** The default journey with a few fields replaced (shallow merge per layer). */
export function handoff(overrides: DeepPartial<HandoffRequestInput> = {}): HandoffRequestInput {
  const base = cardDeclinedAbroad();
  return {
    ...base,
    ...(overrides as Partial<HandoffRequestInput>),
    source: { ...base.source, ...(overrides.source ?? {}) },
    intent: { ...base.intent, ...(overrides.intent as Partial<HandoffRequestInput['intent']>) },
    identity: { ...base.identity, ...(overrides.identity as Partial<HandoffRequestInput['identity']>) },
    operational: { ...base.operational, ...(overrides.operational as object) },
    conversation: { ...base.conversation, ...(overrides.conversation as object) },
  };
}

/**
 * The default journey for a customer whose bank customer number is in no seed: the case cannot be
 * linked (the service writes it unlinked in a second call and notes why on the handoff record).
 */
export function unknownCustomerHandoff(
  overrides: DeepPartial<HandoffRequestInput> = {},
): HandoffRequestInput {
  const h = handoff(overrides);
  return {
    ...h,
    identity: {
      ...h.identity,
      customer: { ...h.identity.customer, externalId: UNKNOWN_CUSTOMER_ID, name: 'Amelia Hart' },
    },
  };
}
