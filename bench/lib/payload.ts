/**
 * The handoff the benchmark sends: a realistic, fully populated canonical handoff (four intents,
 * verification, a consent, two masked accounts, a twelve-turn transcript, a summary), about 4 KB of
 * JSON. It is the bench's own fixture, so a change elsewhere cannot silently change what is measured.
 *
 * Bodies are built by splicing the handoffId (and the customer) into a pre-serialised template:
 * building 1,000 bodies a second must not cost the load generator, which shares the machine.
 */
import type { HandoffRequestInput } from '../../src/contract/handoff';

const ID_MARK = '__BENCH_HANDOFF_ID__';
const CUSTOMER_MARK = '__BENCH_CUSTOMER_ID__';

export function benchHandoff(handoffId: string, customerExternalId: string | null): HandoffRequestInput {
  const turns: [string, 'customer' | 'bot', string][] = [
    ['09:58:00', 'customer', 'Hi, my card was declined at the hotel in Lisbon'],
    ['09:58:01', 'bot', 'Sorry to hear that. Was it a card payment or a cash withdrawal?'],
    ['09:58:20', 'customer', 'A card payment, for the room, about 180 euros'],
    ['09:58:21', 'bot', 'Thanks. I can see a recent declined payment. Did you set a travel notice?'],
    ['09:58:45', 'customer', 'No, I did not know I had to'],
    ['09:58:46', 'bot', 'I can help you set one. Which countries are you visiting, and until when?'],
    ['09:59:10', 'customer', 'Portugal until Sunday. But the card still does not work'],
    ['09:59:11', 'bot', "I didn't quite get that. Could you rephrase?"],
    ['09:59:29', 'customer', 'it just says declined, I am stuck at the front desk'],
    ['09:59:30', 'bot', "I didn't quite get that. Could you rephrase?"],
    ['10:00:04', 'customer', 'I want to talk to a person please'],
    ['10:00:05', 'bot', 'Of course. I am passing you to a colleague with everything we discussed.'],
  ];
  return {
    handoffId,
    source: { platform: 'generic', botName: 'Penny', conversationId: `conv-${handoffId}` },
    intent: {
      history: [
        { name: 'greeting', confidence: 0.98, outcome: 'resolved', at: '2026-11-21T09:58:00Z' },
        {
          name: 'card.declined',
          confidence: 0.91,
          outcome: 'in_progress',
          entities: { merchant_country: 'PT', amount: 184.5, currency: 'EUR', channel: 'pos' },
          at: '2026-11-21T09:58:20Z',
        },
        { name: 'fallback', outcome: 'fallback', at: '2026-11-21T09:59:30Z' },
        { name: 'agent.request', confidence: 0.95, outcome: 'escalated', at: '2026-11-21T10:00:04Z' },
      ],
      escalation: {
        reason: 'customer_requested_agent',
        detail: 'Customer asked for a person after two fallbacks.',
      },
    },
    identity: {
      customer:
        customerExternalId === null
          ? { segment: 'premier', linkedProducts: ['visa_debit', 'current_account'] }
          : {
              externalId: customerExternalId,
              name: 'Bench Customer',
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
        failedAttempts: 0,
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
      collectedFields: { travel_country: 'Portugal', card_in_possession: true, travel_until: '2026-11-23' },
      documentsRequested: [],
    },
    conversation: {
      transcript: turns.map(([t, from, text]) => ({ at: `2026-11-21T${t}Z`, from, text })),
      summary: {
        issue: 'Debit card declined for a hotel payment in Lisbon',
        attempted: ['Asked whether it was a payment or a withdrawal', 'Offered a travel notice'],
        unresolved: ['Why the card was declined', 'Whether a fraud hold is on the card'],
        nextBestAction: 'Check for a fraud hold on the card ending 4821 and set a travel notice',
        urgency: 'high',
      },
      sentiment: { label: 'negative', score: -0.6 },
    },
  };
}

/** Makes request bodies quickly: one JSON.stringify, then string splicing per body. */
export class BodyFactory {
  private readonly parts: string[];
  private readonly customerSlots: boolean[];
  private n = 0;

  /**
   * @param prefix every handoffId starts with it (the scenario's, so its deliveries can be counted)
   * @param customers bank customer numbers to cycle through (seeded in the org), or null for anonymous
   */
  constructor(
    readonly prefix: string,
    private readonly customers: readonly string[] | null,
  ) {
    const template = JSON.stringify(benchHandoff(ID_MARK, customers === null ? null : CUSTOMER_MARK));
    // Split on both marks, remembering which mark each gap was.
    const re = new RegExp(`${ID_MARK}|${CUSTOMER_MARK}`, 'g');
    this.parts = [];
    this.customerSlots = [];
    let last = 0;
    for (const m of template.matchAll(re)) {
      this.parts.push(template.slice(last, m.index));
      this.customerSlots.push(m[0] === CUSTOMER_MARK);
      last = (m.index ?? 0) + m[0].length;
    }
    this.parts.push(template.slice(last));
  }

  /** A fresh handoffId: letters, digits and "-" only, unique within the run. */
  nextId(): string {
    this.n++;
    return `${this.prefix}${this.n.toString(36).padStart(5, '0')}`;
  }

  body(handoffId: string, index = this.n): string {
    const customer =
      this.customers && this.customers.length > 0 ? this.customers[index % this.customers.length] : '';
    let out = this.parts[0] ?? '';
    for (let i = 0; i < this.customerSlots.length; i++) {
      out += (this.customerSlots[i] ? customer : handoffId) + (this.parts[i + 1] ?? '');
    }
    return out;
  }

  get issued(): number {
    return this.n;
  }
}
