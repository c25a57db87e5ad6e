import { handoffRequestSchema } from '../../../src/contract/handoff';
import {
  formatRedactions,
  ibanValid,
  luhnValid,
  redactHandoff,
  redactString,
  scrubText,
} from '../../../src/redact';
import { handoff } from '../../support/handoff-factory';

function redact(s: string): { text: string; counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  const text = redactString(s, counts);
  return { text, counts };
}

describe('checksums', () => {
  it('Luhn accepts test card numbers and refuses a changed digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('5500005555555559')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
  it('IBAN mod-97', () => {
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
  });
});

describe('card numbers', () => {
  it.each([
    ['4111 1111 1111 1111', '[card ••••1111]'],
    ['4111-1111-1111-1111', '[card ••••1111]'],
    ['4111111111111111', '[card ••••1111]'],
    ['378282246310005', '[card ••••0005]'], // Amex, 15 digits
    ['6011 0009 9013 9424', '[card ••••9424]'],
  ])('masks %s to the last four', (card, masked) => {
    const r = redact(`my card is ${card}, please help`);
    expect(r.text).toBe(`my card is ${masked}, please help`);
    expect(r.counts).toEqual({ card_number: 1 });
  });

  it('leaves a 16-digit number that fails Luhn', () => {
    expect(redact('reference 4111 1111 1111 1112').text).toBe('reference 4111 1111 1111 1112');
  });

  it('counts two cards', () => {
    const r = redact('4111111111111111 and 5500 0055 5555 5559');
    expect(r.text).toBe('[card ••••1111] and [card ••••5559]');
    expect(r.counts.card_number).toBe(2);
  });

  it.each([
    'paid 1,234,567.89 EUR on 2026-11-21',
    'call me on +44 20 7946 0958',
    'order 123456789012', // 12 digits: too short for a card, no account word
    'the time is 2026-11-21T10:00:05Z',
  ])('no false positive: %s', (s) => {
    expect(redact(s).text).toBe(s);
  });
});

describe('CVV and PIN only in context', () => {
  it.each([
    ['cvv 123', 'cvv [cvv •••]'],
    ['the CVC is 4567', 'the CVC is [cvv •••]'],
    ['security code: 987', 'security code: [cvv •••]'],
  ])('%s', (s, expected) => {
    const r = redact(s);
    expect(r.text).toBe(expected);
    expect(r.counts).toEqual({ card_security_code: 1 });
  });

  it.each([
    ['my pin is 4821', 'my pin is [pin ••••]'],
    ['PIN: 123456', 'PIN: [pin ••••]'],
  ])('%s', (s, expected) => {
    const r = redact(s);
    expect(r.text).toBe(expected);
    expect(r.counts).toEqual({ pin: 1 });
  });

  it('leaves numbers without the context word', () => {
    for (const s of ['I spent 123 euros', 'room 4821', 'pinned message 1234 shown', 'code 4821']) {
      expect(redact(s).text).toBe(s);
    }
  });
});

describe('national identifiers', () => {
  it('US SSN formatted, and unformatted after the word SSN', () => {
    expect(redact('SSN 123-45-6789').text).toBe('SSN [national id ••••6789]');
    expect(redact('my social security number is 123456789').text).toBe(
      'my social security number is [national id ••••6789]',
    );
  });
  it('refuses reserved SSN ranges and plain 9-digit numbers without context', () => {
    expect(redact('000-12-3456').text).toBe('000-12-3456');
    expect(redact('666-12-3456').text).toBe('666-12-3456');
    expect(redact('ticket 123456789').text).toBe('ticket 123456789');
  });
  it('UK National Insurance number, with and without spaces', () => {
    expect(redact('NI AB123456C').text).toBe('NI [national id ••••456C]');
    expect(redact('ni number AB 12 34 56 C thanks').text).toBe('ni number [national id ••••456C] thanks');
    // Prefix never allocated
    expect(redact('GB123456A').text).toBe('GB123456A');
  });
  it('Spanish DNI/NIE with a check letter', () => {
    expect(redact('DNI 12345678Z').counts).toEqual({ national_id: 1 });
    expect(redact('DNI 12345678A').text).toBe('DNI 12345678A'); // wrong check letter
    expect(redact('NIE X1234567L').counts).toEqual({ national_id: 1 });
  });
  it('Canadian SIN with separators (Luhn)', () => {
    expect(redact('SIN 130 692 544').text).toBe('SIN [national id ••••2544]');
    expect(redact('call 555-123-4567').text).toBe('call 555-123-4567');
  });
  it('dates and amounts are not identifiers', () => {
    for (const s of ['born 1985-04-12', 'on 12-05-2026', 'amount 123-45', 'ref 2026-11-21-0001']) {
      expect(redact(s).text).toBe(s);
    }
  });
});

describe('account numbers', () => {
  it('IBAN with a valid checksum', () => {
    const r = redact('send to GB82 WEST 1234 5698 7654 32 today');
    expect(r.text).toBe('send to [iban ••••5432] today');
    expect(r.counts).toEqual({ iban: 1 });
  });
  it('leaves an IBAN-shaped string with a bad checksum', () => {
    expect(redact('GB82WEST12345698765433').text).toBe('GB82WEST12345698765433');
  });
  it('8–17 digits after an account word', () => {
    expect(redact('account number 12345678').text).toBe('account number [account ••••5678]');
    expect(redact('acct: 0012-3456-7890').text).toBe('acct: [account ••••7890]');
    expect(redact('my account no. is 98765432101').counts).toEqual({ account_number: 1 });
  });
  it('does not mask short numbers or numbers without the word', () => {
    expect(redact('account ending 4821').text).toBe('account ending 4821');
    expect(redact('I have 12345678 points').text).toBe('I have 12345678 points');
  });
});

describe('redactHandoff', () => {
  function parsed(over: Parameters<typeof handoff>[0] = {}) {
    return handoffRequestSchema.parse(handoff(over));
  }

  it('redacts transcript, entities, collected fields, summary and escalation detail', () => {
    const base = parsed();
    const h = {
      ...base,
      intent: {
        ...base.intent,
        escalation: { reason: 'customer_requested_agent' as const, detail: 'card 4111111111111111 blocked' },
        history: [
          {
            name: 'card.declined',
            outcome: 'in_progress' as const,
            entities: { card: '4111 1111 1111 1111', amount: 184.5, at: 'pin 4821' },
          },
        ],
      },
      operational: {
        ...base.operational,
        collectedFields: { ssn: '123-45-6789', account_number: 12345678901, amount: 25000000 },
      },
      conversation: {
        ...base.conversation,
        transcript: [{ at: '2026-11-21T09:58:00Z', from: 'customer' as const, text: 'my cvv is 123' }],
        summary: {
          issue: 'Card 5500 0055 5555 5559 declined',
          attempted: ['asked for IBAN GB82 WEST 1234 5698 7654 32'],
          unresolved: [],
          urgency: 'high' as const,
        },
      },
    };
    const { handoff: out, redactions } = redactHandoff(h);
    const json = JSON.stringify(out);
    for (const secret of [
      '4111111111111111',
      '4111 1111',
      '123-45-6789',
      '5500 0055',
      'WEST 1234',
      'cvv is 123',
      'pin 4821',
    ]) {
      expect(json).not.toContain(secret);
    }
    expect(out.intent.escalation.detail).toBe('card [card ••••1111] blocked');
    expect(out.intent.history[0]?.entities?.amount).toBe(184.5);
    expect(out.operational.collectedFields.account_number).toBe('[account ••••8901]');
    expect(out.operational.collectedFields.amount).toBe(25000000);
    expect(out.conversation.transcript[0]?.text).toBe('my cvv is [cvv •••]');
    expect(redactions).toEqual([
      { kind: 'card_number', count: 3 },
      { kind: 'card_security_code', count: 1 },
      { kind: 'pin', count: 1 },
      { kind: 'national_id', count: 1 },
      { kind: 'iban', count: 1 },
      { kind: 'account_number', count: 1 },
    ]);
    // The result is still a valid handoff.
    expect(() => handoffRequestSchema.parse(out)).not.toThrow();
  });

  it('keeps identifiers, dates and enums untouched and reports nothing for clean input', () => {
    const h = parsed();
    const { handoff: out, redactions } = redactHandoff(h);
    expect(out).toEqual(h);
    expect(redactions).toEqual([]);
  });

  it('copies only what it masks: the rest is shared with the input, and the input is left as it was', () => {
    const h = parsed({
      conversation: {
        transcript: [
          { at: '2026-11-21T09:58:00Z', from: 'customer', text: 'hello' },
          { at: '2026-11-21T09:58:10Z', from: 'customer', text: 'card 4111111111111111' },
          { at: '2026-11-21T09:58:20Z', from: 'bot', text: 'thanks' },
        ],
      },
    });
    const before = structuredClone(h);
    const { handoff: out } = redactHandoff(h);
    expect(h).toEqual(before); // nothing written into the input
    // Changed: the turn, its transcript and the objects above it are new…
    expect(out.conversation.transcript[1]?.text).toBe('card [card ••••1111]');
    expect(out).not.toBe(h);
    expect(out.conversation).not.toBe(h.conversation);
    expect(out.conversation.transcript).not.toBe(h.conversation.transcript);
    expect(out.conversation.transcript[1]).not.toBe(h.conversation.transcript[1]);
    // …the turns around it and every clean part of the handoff are the input's own.
    expect(out.conversation.transcript[0]).toBe(h.conversation.transcript[0]);
    expect(out.conversation.transcript[2]).toBe(h.conversation.transcript[2]);
    expect(out.identity).toBe(h.identity);
    expect(out.intent).toBe(h.intent);
    expect(Object.keys(out)).toEqual(Object.keys(h));
    expect(Object.keys(out.conversation)).toEqual(Object.keys(h.conversation));
  });

  it('an array item masked first, last or alone keeps the array in order', () => {
    const masked = (text: string) => ({ at: '2026-11-21T09:58:00Z', from: 'customer' as const, text });
    for (const texts of [
      ['card 4111111111111111', 'a', 'b'],
      ['a', 'b', 'card 4111111111111111'],
      ['card 4111111111111111'],
    ]) {
      const h = parsed({ conversation: { transcript: texts.map(masked) } });
      const { handoff: out } = redactHandoff(h);
      expect(out.conversation.transcript.map((t) => t.text)).toEqual(
        texts.map((t) => t.replace('4111111111111111', '[card ••••1111]')),
      );
    }
  });

  it('never rewrites the customer number or conversation id even if they look like numbers', () => {
    const h = parsed({
      identity: {
        customer: { externalId: '4111111111111111', linkedProducts: [] },
      },
      source: { conversationId: '4111111111111111' },
    });
    const { handoff: out } = redactHandoff(h);
    expect(out.identity.customer.externalId).toBe('4111111111111111');
    expect(out.source.conversationId).toBe('4111111111111111');
  });

  it('is idempotent: redacting twice adds nothing', () => {
    const h = parsed({
      conversation: {
        transcript: [{ at: '2026-11-21T09:58:00Z', from: 'customer', text: 'card 4111111111111111 cvv 123' }],
      },
    });
    const once = redactHandoff(h);
    const twice = redactHandoff(once.handoff);
    expect(twice.handoff).toEqual(once.handoff);
    expect(twice.redactions).toEqual([]);
  });

  it('formatRedactions', () => {
    expect(
      formatRedactions([
        { kind: 'card_number', count: 2 },
        { kind: 'national_id', count: 1 },
      ]),
    ).toBe('card_number:2, national_id:1');
  });
});

describe('scrubText', () => {
  it('removes the value STRING_TOO_LONG echoes, keeps the field', () => {
    const msg = 'Subject: data value too large: Amelia Hart lost card in Lisbon (max length=255)';
    expect(scrubText(msg)).toBe('Subject: data value too large: [value removed] (max length=255)');
  });
  it('restricted picklist', () => {
    expect(scrubText('Urgency: bad value for restricted picklist field: very_high')).toBe(
      'Urgency: bad value for restricted picklist field: [value removed]',
    );
  });
  it('foreign key external id', () => {
    expect(
      scrubText(
        'Foreign key external ID: CUST-100234 not found for field Bank_Customer_Id__c in entity Account',
      ),
    ).toBe(
      'Foreign key external ID: [value removed] not found for field Bank_Customer_Id__c in entity Account',
    );
  });
  it('finds the echoes in any letter case, and leaves other text with colons alone', () => {
    expect(scrubText('Email: INVALID EMAIL ADDRESS: amelia@example')).toBe(
      'Email: INVALID EMAIL ADDRESS: [value removed]',
    );
    expect(scrubText('Score: Value Not Of Required Type: high')).toBe(
      'Score: Value Not Of Required Type: [value removed]',
    );
    expect(scrubText("urgency high: the bot's priority hint")).toBe("urgency high: the bot's priority hint");
    expect(scrubText('a value: not removed; invalid: neither')).toBe(
      'a value: not removed; invalid: neither',
    );
  });
  it('redacts personal data in log lines', () => {
    expect(scrubText('retrying with card 4111111111111111')).toBe('retrying with card [card ••••1111]');
    expect(scrubText('plain message')).toBe('plain message');
  });
});

describe('the fewest digits each detector needs (text with fewer is not scanned)', () => {
  it.each([
    [
      'a 13-digit card with no two digits adjacent',
      'card 4 2 2 2 2 2 2 2 2 2 2 2 2 ok',
      'card [card ••••2222] ok',
      'card_number',
    ],
    [
      'an account number of 8 single digits',
      'account 1 2 3 4 5 6 7 8',
      'account [account ••••5678]',
      'account_number',
    ],
    ['a NI number (pairs of digits)', 'NI AB 12 34 56 C', 'NI [national id ••••456C]', 'national_id'],
    ['a DNI (a run of 8)', 'dni 12345678Z', 'dni [national id ••••678Z]', 'national_id'],
    ['a NIE (a run of 7)', 'nie X1234567L', 'nie [national id ••••567L]', 'national_id'],
    ['a SIN in groups of 3', 'sin 130 692 544', 'sin [national id ••••2544]', 'national_id'],
    ['a SIN in context (a run of 9)', 'SIN 046454286', 'SIN [national id ••••4286]', 'national_id'],
    ['a formatted SSN', 'ssn 123-45-6789', 'ssn [national id ••••6789]', 'national_id'],
    ['an IBAN', 'GB82 WEST 1234 5698 7654 32', '[iban ••••5432]', 'iban'],
    ['a 3-digit CVV', 'cvv 123', 'cvv [cvv •••]', 'card_security_code'],
    ['a 4-digit PIN', 'pin 1234', 'pin [pin ••••]', 'pin'],
  ])('%s', (_name, input, expected, kind) => {
    const r = redact(input);
    expect(r.text).toBe(expected);
    expect(r.counts).toEqual({ [kind]: 1 });
  });

  it('a later detector still sees the text an earlier one masked, and finds what remains', () => {
    const r = redact('card 4111111111111111 and pin 4821, cvv 987');
    expect(r.text).toBe('card [card ••••1111] and pin [pin ••••], cvv [cvv •••]');
    expect(r.counts).toEqual({ card_number: 1, pin: 1, card_security_code: 1 });
  });

  it('leaves text without enough digits as it is, and counts nothing', () => {
    for (const s of ['no digits at all', 'cvv 12', 'pin 123', 'account 1234567', 'ssn 12-34-567', '']) {
      const r = redact(s);
      expect(r.text).toBe(s);
      expect(r.counts).toEqual({});
    }
  });
});
