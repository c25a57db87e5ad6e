import {
  IdGenerator,
  checksumSuffix,
  keyPrefixOf,
  normalizeId,
  toId18,
} from '../../../../src/emulator/org/ids';

describe('Salesforce id checksum', () => {
  // Real 15 → 18 conversions published with the algorithm, and ids from Salesforce's REST documentation.
  it.each([
    ['a01M00000062mPg', 'a01M00000062mPgIAI'],
    ['001M000000qfPyS', '001M000000qfPySIAU'],
    ['a0FE000000D6r3F', 'a0FE000000D6r3FMAR'],
    ['0F9E000000092w2', '0F9E000000092w2KAA'],
    ['a0RE000000IJmcN', 'a0RE000000IJmcNMAT'],
    ['001R00000066cnd', '001R00000066cndIAA'],
    ['00190000001pPvH', '00190000001pPvHAAU'],
    // Ids from recorded REST responses in public code (GroupMember, Group, PendingServiceRouting, User).
    ['011Dn000000ELhw', '011Dn000000ELhwIAG'],
    ['00GDn000000KWE5', '00GDn000000KWE5MAO'],
    ['0JR5i000001OXSg', '0JR5i000001OXSgGAO'],
    ['0055i000001MDJ7', '0055i000001MDJ7AAO'],
    ['aaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaAAA'],
    ['AbCdEfGhIjKlMnO', 'AbCdEfGhIjKlMnOVKV'],
    ['aBcDEfgHIJKLMNO', 'aBcDEfgHIJKLMNO025'],
  ])('%s → %s', (id15, id18) => {
    expect(toId18(id15)).toBe(id18);
    expect(checksumSuffix(id15)).toBe(id18.slice(15));
  });

  it('rejects anything that is not 15 alphanumerics', () => {
    expect(() => checksumSuffix('001R00000066cn')).toThrow();
    expect(() => checksumSuffix('001R00000066cn!')).toThrow();
  });
});

describe('normalizeId', () => {
  it('turns a 15-character id into its 18-character form', () => {
    expect(normalizeId('001R00000066cnd')).toBe('001R00000066cndIAA');
  });

  it('accepts a correct 18-character id, with the suffix in either case', () => {
    expect(normalizeId('001R00000066cndIAA')).toBe('001R00000066cndIAA');
    expect(normalizeId('001R00000066cndiaa')).toBe('001R00000066cndIAA');
  });

  it.each([
    ['wrong suffix', '001R00000066cndAAA'],
    ['wrong length', '001R00000066cndIA'],
    ['bad characters', '001R00000066cn-IAA'],
    ['empty', ''],
    ['suffix outside A-Z0-5', '001R00000066cnd9AA'],
  ])('rejects %s', (_why, id) => {
    expect(normalizeId(id)).toBeNull();
  });

  it('rejects non-strings', () => {
    expect(normalizeId(42)).toBeNull();
    expect(normalizeId(null)).toBeNull();
  });
});

describe('IdGenerator', () => {
  it('makes 18-character ids with the key prefix and a correct suffix, all different', () => {
    const gen = new IdGenerator();
    const ids = Array.from({ length: 500 }, () => gen.next('500'));
    expect(new Set(ids).size).toBe(500);
    for (const id of ids) {
      expect(id).toMatch(/^500[0-9A-Za-z]{12}[A-Z0-5]{3}$/);
      expect(keyPrefixOf(id)).toBe('500');
      expect(normalizeId(id)).toBe(id);
      expect(toId18(id.slice(0, 15))).toBe(id);
    }
  });

  it('counts per key prefix and restores its state', () => {
    const gen = new IdGenerator();
    const a1 = gen.next('001');
    gen.next('003');
    const state = gen.state();
    const a2 = gen.next('001');
    const other = new IdGenerator();
    other.load(state);
    expect(other.next('001')).toBe(a2);
    expect(a2).not.toBe(a1);
  });

  it('refuses bad prefixes and instances', () => {
    expect(() => new IdGenerator().next('0-1')).toThrow();
    expect(() => new IdGenerator('x')).toThrow();
  });
});
