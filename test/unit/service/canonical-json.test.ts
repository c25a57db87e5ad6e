import { bodyHash, canonicalJson, validateHandoff } from '../../../src/service';
import { boundBodyHash, callerTag } from '../../../src/service/validate';

/**
 * Stored handoffs keep bodyHash (SHA-256 of canonicalJson): a replay is recognised only if the same
 * body hashes the same as when it was stored, so these hashes are pinned to the byte.
 */
function pinnedBody(extraEntities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    handoffId: 'ho-pinned-0001',
    source: { platform: 'generic', botName: 'Penny', conversationId: 'conv-pinned-1' },
    intent: {
      history: [
        { name: 'greeting', confidence: 0.98, outcome: 'resolved', at: '2026-11-21T09:58:00Z' },
        {
          name: 'card.declined',
          confidence: 0.91,
          outcome: 'in_progress',
          entities: {
            merchant_country: 'PT',
            amount: 184.5,
            Zeta: null,
            ünïcode: 'café “quoted” \\ \n',
            ...extraEntities,
          },
          at: '2026-11-21T09:58:20Z',
        },
        { name: 'agent.request', confidence: 0.95, outcome: 'escalated', at: '2026-11-21T10:00:04Z' },
      ],
      escalation: { reason: 'customer_requested_agent', detail: 'Customer asked for a person.' },
    },
    identity: {
      customer: { externalId: 'CUST-100001', name: 'Bench Customer', segment: 'premier' },
      channel: 'mobile_app',
      language: 'en-GB',
      verification: { verified: true, method: 'otp', verifiedAt: '2026-11-21T09:57:30Z' },
    },
    operational: {
      requestedSkills: ['Cards'],
      collectedFields: { travel_country: 'Portugal', card_in_possession: true },
    },
    conversation: {
      transcript: [
        { at: '2026-11-21T09:58:00Z', from: 'customer', text: 'Hi, my card was declined in Lisbon 😀' },
        { at: '2026-11-21T10:00:04Z', from: 'customer', text: 'I want to talk to a person please' },
      ],
      sentiment: { label: 'negative', score: -0.6 },
    },
  };
}

describe('canonicalJson and bodyHash', () => {
  it('hash a validated handoff exactly as stored hashes were made', () => {
    expect(bodyHash(validateHandoff(pinnedBody()))).toBe(
      '8f93ed1c7baa42472ae95c8dba8dad03b9e113cf3188fa0addfeba0f78492a3b',
    );
  });

  it('bind a body hash to its caller with the same tag as stored records carry', () => {
    expect(callerTag({ kind: 'jwt', issuer: 'https://bots.example.test', subject: 'penny-bot' })).toBe(
      '772b89c433852cc6a01214cf45f80f3a',
    );
    expect(callerTag({ kind: 'adapter', platform: 'rasa', principal: 'bänk-bot' })).toBe(
      '1f7aa0d13bdee5a1b48a05468353fea4',
    );
    const h = validateHandoff(pinnedBody());
    expect(boundBodyHash(h, { kind: 'jwt', issuer: 'https://bots.example.test', subject: 'penny-bot' })).toBe(
      '8f93ed1c7baa42472ae95c8dba8dad03b9e113cf3188fa0addfeba0f78492a3b.772b89c433852cc6a01214cf45f80f3a',
    );
  });

  it('sort numeric-looking keys as strings ("10" before "9"), as stored hashes did', () => {
    expect(bodyHash(validateHandoff(pinnedBody({ '10': 'ten', '9': 'nine' })))).toBe(
      'd5d25f6e7f08bf3e6da40276020a8c2f8a5e17c24608f33fc617fe0965130fe7',
    );
    expect(canonicalJson({ b: 1, '9': 2, '10': 3, a: { '2': 0, '1': 1 } })).toBe(
      '{"10":3,"9":2,"a":{"1":1,"2":0},"b":1}',
    );
  });

  it('write values JSON.stringify would drop or refuse as null, and leave out undefined fields', () => {
    const odd = {
      // eslint-disable-next-line no-sparse-arrays
      b: [1, undefined, () => 1, , 'x'],
      a: { '10': 1, '9': 2, x: undefined, f: () => 1, n: Number.NaN, d: new Date(0) },
      s: Symbol('s'),
    };
    expect(canonicalJson(odd)).toBe(
      '{"a":{"10":1,"9":2,"d":{},"f":null,"n":null},"b":[1,null,null,,"x"],"s":null}',
    );
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson({ toJSON: () => 'not called', a: 1 })).toBe('{"a":1,"toJSON":null}');
    const proto = JSON.parse('{"__proto__":{"x":1},"a":2}') as unknown;
    expect(canonicalJson(proto)).toBe('{"__proto__":{"x":1},"a":2}');
    expect(canonicalJson({ é: 1, e: 2, E: 3, 'a"b': 4 })).toBe('{"E":3,"a\\"b":4,"e":2,"é":1}');
  });
});

describe('canonicalJson key order', () => {
  /** The definition, written independently: keys by the built-in sort, values by JSON.stringify. */
  function reference(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return `{${Object.keys(o)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${reference(o[k])}`)
        .join(',')}}`;
    }
    return JSON.stringify(v);
  }

  it('orders keys by UTF-16 code unit, small and large objects alike', () => {
    // Letters, case, accents, an astral character (its surrogates sort before U+FFFF), digits
    // after letters.
    const tricky = ['b', 'B', 'a', 'é', 'e', '😀', '\uffff', 'z1', 'z', '_', 'a_b', 'ab'];
    let seed = 7;
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (const size of [2, 5, 12, 16, 17, 40]) {
      for (let round = 0; round < 20; round++) {
        const keys = Array.from(
          { length: size },
          (_, i) =>
            `${tricky[i % tricky.length]}${i >= tricky.length ? `x${Math.floor(random() * 1e6)}` : ''}`,
        );
        for (let i = keys.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
        }
        const obj = Object.fromEntries(keys.map((k, i) => [k, { n: i, [`${k}2`]: k, [k]: [i] }]));
        expect(canonicalJson(obj)).toBe(reference(obj));
      }
    }
  });
});

describe('validateHandoff before zod: forbidden keys and nesting', () => {
  function problems(raw: unknown): unknown {
    try {
      validateHandoff(raw);
    } catch (err) {
      return (err as { errors?: unknown }).errors;
    }
    throw new Error('expected a refusal');
  }

  it('names every forbidden key by its path, long keys shortened, at any depth', () => {
    const long = 'k'.repeat(70);
    const raw = JSON.parse(
      `{"a":{"__proto__":{"x":1},"list":[{"constructor":1},{"b":{"prototype":2}}]},"${long}":{"__proto__":0}}`,
    ) as unknown;
    expect(problems(raw)).toEqual([
      { path: `${'k'.repeat(60)}….__proto__`, message: 'this key is not allowed' },
      { path: 'a.__proto__', message: 'this key is not allowed' },
      { path: 'a.list.1.b.prototype', message: 'this key is not allowed' },
      { path: 'a.list.0.constructor', message: 'this key is not allowed' },
    ]);
  });

  it('refuses nesting deeper than 16 levels at the first level too deep', () => {
    let deep: unknown = { end: 1 };
    for (let i = 0; i < 20; i += 1) deep = { n: deep };
    expect(problems({ handoffId: 'x', deep })).toEqual([
      {
        path: `deep.${Array.from({ length: 16 }, () => 'n').join('.')}`,
        message: 'nests deeper than 16 levels',
      },
    ]);
  });
});
