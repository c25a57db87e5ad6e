import { createElement } from 'lwc';
import { getRecord } from 'lightning/uiRecordApi';
import { getRelatedListRecords } from 'lightning/uiRelatedListApi';
import { registerSa11yMatcher } from '@sa11y/jest';
import HandoffBrief from 'c/handoffBrief';
import {
  CASE_ID,
  HANDOFF_ID,
  caseRecord,
  consent,
  handoff,
  intent,
  relatedList,
  transcriptPart,
  verification,
} from './data';

registerSa11yMatcher();

const flush = () => Promise.resolve().then(() => Promise.resolve());

function mount() {
  const element = createElement('c-handoff-brief', { is: HandoffBrief });
  element.recordId = CASE_ID;
  document.body.appendChild(element);
  return element;
}

function emitList(relatedListId, records) {
  getRelatedListRecords.emit(relatedList(records), (config) => config.relatedListId === relatedListId);
}

/** Emits the Case, its handoffs, then (once the component asks for them) the latest handoff's children. */
async function load({
  caseData = caseRecord(),
  handoffs = [handoff()],
  intents = [],
  verifications = [],
  consents = [],
  transcript = [],
} = {}) {
  const element = mount();
  await flush(); // the wires receive their configuration after connect
  getRecord.emit(caseData);
  emitList('Bot_Handoffs__r', handoffs);
  await flush();
  emitList('Intents__r', intents);
  emitList('Verifications__r', verifications);
  emitList('Consents__r', consents);
  emitList('Transcript_Parts__r', transcript);
  await flush();
  return element;
}

const $ = (element, id) => element.shadowRoot.querySelector(`[data-id="${id}"]`);
const $$ = (element, id) => [...element.shadowRoot.querySelectorAll(`[data-id="${id}"]`)];
const text = (node) => (node ? node.textContent.replace(/\s+/g, ' ').trim() : undefined);

afterEach(() => {
  while (document.body.firstChild) document.body.removeChild(document.body.firstChild);
  jest.clearAllMocks();
});

describe('c-handoff-brief', () => {
  it('asks LDS for the Case fields, the Bot_Handoffs related list, and the latest handoff’s children', async () => {
    await load({ handoffs: [handoff()] });
    const configs = getRelatedListRecords.getLastConfig();
    expect(configs.parentRecordId).toBe(HANDOFF_ID);
    expect(getRecord.getLastConfig()).toMatchObject({ recordId: CASE_ID });
    const caseFields = getRecord
      .getLastConfig()
      .optionalFields.map((f) => `${f.objectApiName}.${f.fieldApiName}`);
    expect(caseFields).toEqual(
      expect.arrayContaining(['Case.Verification_Status__c', 'Case.Handoff_Summary__c']),
    );
  });

  describe('when the customer is verified', () => {
    let element;
    beforeEach(async () => {
      element = await load({
        intents: [
          intent(2, 'dispute_transaction', 0.87, 'escalated', 'Escalated'),
          intent(1, 'check_recent_transactions', 0.953, 'resolved', 'Resolved'),
        ],
        verifications: [verification()],
        consents: [consent(1, 'call_recording', true), consent(2, 'marketing', false)],
        transcript: [
          transcriptPart(1, 1, 1, 14, 'customer: I did not make this payment\nbot: Let me check.'),
        ],
      });
    });

    it('says who handed over and when', () => {
      expect(text($(element, 'meta'))).toBe('Handed over by Penny (Dialogflow CX) · HO-000042');
      expect($(element, 'received-at').value).toBe('2026-11-21T10:15:00.000Z');
    });

    it('shows the summary first: why the bot escalated and what the customer wants', () => {
      const sections = [...element.shadowRoot.querySelectorAll('section')].map((s) => s.dataset.id);
      expect(sections).toEqual([
        'summary',
        'verification',
        'intents',
        'attempted',
        'consents',
        'sentiment',
        'transcript',
      ]);
      expect(text($(element, 'summary-text'))).toBe(
        'Customer reports a card payment they did not make and wants it stopped.',
      );
      expect(text($(element, 'escalation-reason'))).toBe(
        'Regulated intent — Disputed card transaction needs a human decision.',
      );
      expect(text($(element, 'customer-wants'))).toBe(
        'Stop and dispute an unrecognised card payment of 120 EUR',
      );
      expect(text($(element, 'next-best-action'))).toBe('Raise a chargeback and offer a replacement card');
    });

    it('says in words that the customer is already verified, with method and time', () => {
      expect(text($(element, 'verification-headline'))).toBe('Already verified — do not re-verify');
      expect($(element, 'verification-cue').dataset.state).toBe('verified');
      expect(text($(element, 'verification-method'))).toContain('Method: One-time passcode (OTP)');
      expect($(element, 'verified-at').value).toBe('2026-11-21T10:12:00.000Z');
      expect(text($(element, 'verification-scope'))).toBe('Covers: Card servicing');
      expect($(element, 'verification-icon').alternativeText).toBe('Verified');
    });

    it('lists the intent journey in order with confidence and outcome', () => {
      expect($$(element, 'intent').map(text)).toEqual([
        'check_recent_transactions — 95% confidence — outcome: Resolved',
        'dispute_transaction — 87% confidence — outcome: Escalated',
      ]);
      expect(element.shadowRoot.querySelector('ol')).not.toBeNull();
    });

    it('shows what the bot tried and what is unresolved', () => {
      expect(text($(element, 'attempted-text'))).toBe(
        'Showed the last five card transactions; offered to freeze the card.',
      );
      expect(text($(element, 'unresolved'))).toBe('Still unresolved: Dispute not raised; card not frozen.');
    });

    it('lists consents with the decision in words', () => {
      expect($$(element, 'consent').map(text)).toEqual([
        'Call recording: Granted (wording v3)',
        'Marketing: Refused (wording v3)',
      ]);
    });

    it('shows sentiment and urgency', () => {
      expect(text($(element, 'urgency'))).toBe('High');
      expect(text($(element, 'sentiment-value'))).toBe('Negative (score -0.62)');
      expect(text($(element, 'channel'))).toBe('Web chat');
      expect($(element, 'vulnerable')).toBeNull();
    });

    it('keeps the transcript collapsed until the agent expands it', async () => {
      const toggle = $(element, 'transcript-toggle');
      expect(toggle.getAttribute('aria-expanded')).toBe('false');
      expect(text(toggle)).toBe('Show transcript (14 turns)');
      expect($$(element, 'transcript-part')).toHaveLength(0);

      toggle.click();
      await flush();
      expect(toggle.getAttribute('aria-expanded')).toBe('true');
      expect(text(toggle)).toBe('Hide transcript (14 turns)');
      const parts = $$(element, 'transcript-part');
      expect(parts).toHaveLength(1);
      expect(parts[0].querySelector('p').textContent).toBe(
        'customer: I did not make this payment\nbot: Let me check.',
      );

      toggle.click();
      await flush();
      expect($$(element, 'transcript-part')).toHaveLength(0);
    });

    it('is accessible (axe rules via sa11y), collapsed and expanded', async () => {
      await expect(element).toBeAccessible();
      $(element, 'transcript-toggle').click();
      await flush();
      await expect(element).toBeAccessible();
    });
  });

  describe('when the customer is not verified', () => {
    let element;
    beforeEach(async () => {
      element = await load({
        caseData: caseRecord({
          Verification_Status__c: ['not_verified', 'Not verified'],
          Is_Vulnerable_Customer__c: true,
        }),
        handoffs: [handoff({ Is_Vulnerable__c: true })],
        verifications: [
          verification({
            Is_Verified__c: false,
            Method__c: ['none', 'None'],
            Verified_At__c: null,
            Scope__c: null,
            Failed_Attempts__c: 2,
          }),
        ],
      });
    });

    it('tells the agent in words to verify before any account action', () => {
      expect(text($(element, 'verification-headline'))).toBe(
        'Not verified — verify before any account action',
      );
      expect($(element, 'verification-cue').dataset.state).toBe('not_verified');
      expect($(element, 'verification-icon').alternativeText).toBe('Not verified');
      expect($(element, 'verification-method')).toBeNull();
      expect(text($(element, 'failed-attempts'))).toBe('2 failed verification attempts with the bot');
    });

    it('flags a vulnerable customer in words', () => {
      expect(text($(element, 'vulnerable'))).toBe(
        'Vulnerable customer — follow the vulnerable-customer procedure.',
      );
    });

    it('says so when the bot recorded no intents, consents or transcript', () => {
      expect(text($(element, 'no-intents'))).toBe('The bot recorded no intents.');
      expect(text($(element, 'no-consents'))).toBe('No consents were captured in the conversation.');
      expect(text($(element, 'no-transcript'))).toBe('No transcript was delivered with this handoff.');
    });

    it('is accessible', async () => {
      await expect(element).toBeAccessible();
    });
  });

  describe('when re-verification is required', () => {
    it('says to re-verify, with the reason, even though the bot verified earlier', async () => {
      const element = await load({
        caseData: caseRecord({ Verification_Status__c: ['reverify_required', 'Re-verification required'] }),
        verifications: [
          verification({
            Reverify_Required__c: true,
            Reverify_Reason__c: 'Payment changes need step-up verification',
          }),
        ],
      });
      expect(text($(element, 'verification-headline'))).toBe('Re-verify before any account action');
      expect(text($(element, 'reverify-reason'))).toBe('Reason: Payment changes need step-up verification');
      expect($(element, 'verification-icon').alternativeText).toBe('Re-verification required');
    });

    it('trusts the verification record when the Case status has not been written', async () => {
      const element = await load({
        caseData: caseRecord({ Verification_Status__c: [null, null] }),
        verifications: [
          verification({ Reverify_Required__c: true, Reverify_Reason__c: 'Verification expired' }),
        ],
      });
      expect(text($(element, 'verification-headline'))).toBe('Re-verify before any account action');
    });
  });

  describe('when there is no handoff yet', () => {
    it('says so instead of an empty brief', async () => {
      const element = await load({ caseData: caseRecord({ Handoff_Id__c: null }), handoffs: [] });
      expect(text($(element, 'no-handoff'))).toBe(
        'No bot handoff on this case yet. When a chatbot hands a conversation over, its brief appears here.',
      );
      expect(element.shadowRoot.querySelectorAll('section')).toHaveLength(0);
      await expect(element).toBeAccessible();
    });

    it('shows a spinner with a text alternative while LDS loads', async () => {
      const element = mount();
      await flush();
      const spinner = element.shadowRoot.querySelector('lightning-spinner');
      expect(spinner).not.toBeNull();
      expect(spinner.alternativeText).toBe('Loading the handoff brief');
    });

    it('announces an LDS error', async () => {
      const element = mount();
      getRecord.error({ message: 'Insufficient access' }, 403, 'Forbidden');
      await flush();
      const error = $(element, 'error');
      expect(error.getAttribute('role')).toBe('alert');
      expect(text(error)).toBe('The handoff brief could not be loaded: Insufficient access');
    });
  });

  describe('when the case has several handoffs', () => {
    it('briefs the latest one and says there are earlier ones', async () => {
      const older = handoff(
        { Name: 'HO-000007', Summary_Issue__c: 'Old issue', Received_At__c: '2026-11-20T08:00:00.000Z' },
        'a00000000000007AAA',
      );
      const element = await load({ handoffs: [older, handoff()] });
      expect(getRelatedListRecords.getLastConfig().parentRecordId).toBe(HANDOFF_ID);
      expect(text($(element, 'customer-wants'))).toBe(
        'Stop and dispute an unrecognised card payment of 120 EUR',
      );
      expect(text($(element, 'earlier'))).toBe('This case has 2 bot handoffs; the brief shows the latest.');
    });
  });

  describe('when the transcript is long', () => {
    let element;
    const body = (from, to) =>
      Array.from({ length: to - from + 1 }, (_, i) => `turn ${from + i}: ${'x'.repeat(40)}`).join('\n');

    beforeEach(async () => {
      element = await load({
        handoffs: [handoff({ Transcript_Turns__c: 300, Transcript_Parts__c: 3 })],
        verifications: [verification()],
        // delivered out of order: the brief sorts by part number
        transcript: [
          transcriptPart(3, 3, 201, 300, body(201, 300)),
          transcriptPart(1, 3, 1, 100, body(1, 100)),
          transcriptPart(2, 3, 101, 200, body(101, 200)),
        ],
      });
      $(element, 'transcript-toggle').click();
      await flush();
    });

    it('labels the toggle with turns and parts', () => {
      expect(text($(element, 'transcript-toggle'))).toBe('Hide transcript (300 turns, 3 parts)');
    });

    it('shows one part at a time, in order, then all on request', async () => {
      let parts = $$(element, 'transcript-part');
      expect(parts.map((p) => text(p.querySelector('h4')))).toEqual(['Part 1 of 3, turns 1–100']);
      expect(parts[0].querySelector('p').textContent.startsWith('turn 1: ')).toBe(true);
      expect(text($(element, 'next-part'))).toBe('Show part 2 of 3');

      $(element, 'next-part').click();
      await flush();
      parts = $$(element, 'transcript-part');
      expect(parts.map((p) => text(p.querySelector('h4')))).toEqual([
        'Part 1 of 3, turns 1–100',
        'Part 2 of 3, turns 101–200',
      ]);

      $(element, 'all-parts').click();
      await flush();
      expect($$(element, 'transcript-part')).toHaveLength(3);
      expect($(element, 'next-part')).toBeNull();
    });

    it('says when parts are missing', async () => {
      const el = await load({
        handoffs: [handoff({ Transcript_Turns__c: 300, Transcript_Parts__c: 3 })],
        transcript: [transcriptPart(1, 3, 1, 100, body(1, 100))],
      });
      $(el, 'transcript-toggle').click();
      await flush();
      expect(text($(el, 'missing-parts'))).toBe(
        '2 of 3 transcript parts are not available to you or were not delivered.',
      );
    });

    it('is accessible with parts expanded', async () => {
      await expect(element).toBeAccessible();
    });
  });

  describe('structure for assistive technology', () => {
    it('has one h2, then h3 section headings, each section labelled by its heading', async () => {
      const element = await load({ transcript: [transcriptPart(1, 1, 1, 2, 'a\nb')] });
      $(element, 'transcript-toggle').click();
      await flush();
      const headings = [...element.shadowRoot.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(
        (h) => h.tagName,
      );
      expect(headings[0]).toBe('H2');
      expect(headings.filter((h) => h === 'H2')).toHaveLength(1);
      // heading levels never skip (h2 → h3 → h4)
      for (let i = 1; i < headings.length; i += 1) {
        expect(Number(headings[i][1]) - Number(headings[i - 1][1])).toBeLessThanOrEqual(1);
      }
      for (const section of element.shadowRoot.querySelectorAll('section')) {
        const labelId = section.getAttribute('aria-labelledby');
        const label = element.shadowRoot.querySelector(`[id="${labelId}"]`);
        expect(label && label.tagName).toBe('H3');
      }
      const toggle = $(element, 'transcript-toggle');
      expect(element.shadowRoot.querySelector(`[id="${toggle.getAttribute('aria-controls')}"]`)).toBe(
        $(element, 'transcript-region'),
      );
    });
  });
});
