import {
  compilePhrases,
  compilePhraseSet,
  findCompiledPhrase,
  findInPhraseSet,
  matchesPattern,
  normalizedSetting,
  normalizeText,
} from '../../../src/policy/text';

/** A raw text against a list of phrases, as the policy matches a message: normalised once, compiled once. */
const findPhrase = (text: string, phrases: readonly string[]): string | undefined =>
  findCompiledPhrase(normalizeText(text), compilePhrases(phrases));

describe('policy text matching', () => {
  it('finds a phrase as whole words, accent- and case-insensitively, skipping empty phrases', () => {
    const phrases = ['   ', 'parler à un conseiller', 'agent'];
    expect(findPhrase('Je veux PARLER a un Conseiller', phrases)).toBe('parler à un conseiller');
    expect(findPhrase('the agents are busy', phrases)).toBeUndefined();
    expect(findPhrase('an agent, please', phrases)).toBe('agent');
  });

  it('answers the first phrase in list order, not the first found in the text', () => {
    const phrases = ['speak to a human', 'human', 'agent'];
    expect(findPhrase('an agent or a human, I want to speak to a human', phrases)).toBe('speak to a human');
    expect(findPhrase('an agent or a human', phrases)).toBe('human');
    expect(findPhrase('humane agents', phrases)).toBeUndefined();
    expect(findPhrase('anything', [])).toBeUndefined();
    expect(findPhrase('anything', ['', '  '])).toBeUndefined();
  });

  it('answers the same on every call with the same configured phrase or pattern', () => {
    for (let i = 0; i < 3; i += 1) {
      expect(findPhrase('an agent, please', ['agent'])).toBe('agent');
      expect(findPhrase('reagent', ['agent'])).toBeUndefined();
      expect(matchesPattern('Talk_To_Agent', '^talk_to_(agent|human)$')).toBe(true);
      expect(matchesPattern('talk_to_bot', '^talk_to_(agent|human)$')).toBe(false);
    }
  });

  it('throws for a pattern that does not compile, every time (config validation refuses it first)', () => {
    expect(() => matchesPattern('x', '(')).toThrow(SyntaxError);
    expect(() => matchesPattern('x', '(')).toThrow(SyntaxError);
  });

  it('matches a message normalised once as findPhrase matches the raw text', () => {
    const phrases = ['   ', 'parler à un conseiller', 'ça ne sert à rien', 'agent', "j'en ai marre"];
    const compiled = compilePhrases(phrases);
    expect(compiled.map((c) => c.phrase)).toEqual(phrases.slice(1)); // the empty phrase never matches
    for (const text of [
      'Je veux PARLER a un Conseiller',
      'Ça  ne\tsert À RIEN',
      'J’en ai marre',
      'the agents are busy',
      'reagent',
      'an agent, please',
      '',
    ]) {
      expect(findCompiledPhrase(normalizeText(text), compiled)).toBe(findPhrase(text, phrases));
    }
    expect(findCompiledPhrase(normalizeText('J’en ai marre'), compiled)).toBe("j'en ai marre");
    // The needle occurs, but not as whole words: the expression still decides.
    expect(findCompiledPhrase('reagents', compiled)).toBeUndefined();
  });

  it('normalises a configured value once, the same as normalizeText', () => {
    for (const s of ['Wéalth ', 'PRIVATE', '  v  i  p ']) {
      expect(normalizedSetting(s)).toBe(normalizeText(s));
      expect(normalizedSetting(s)).toBe(normalizeText(s));
    }
  });

  it('normalises ASCII and non-ASCII text alike', () => {
    expect(normalizeText('  Talk\tTO\n a   PERSON  ')).toBe('talk to a person');
    expect(normalizeText('  Ça NE sert\u00a0à RIEN  ')).toBe('ca ne sert a rien');
    expect(normalizeText('J’EN ai MARRE')).toBe("j'en ai marre");
    expect(normalizeText('')).toBe('');
  });

  it('finds the first phrase of a set by language order, then list order, as per-language lookups do', () => {
    const byLanguage = { en: ['useless', 'fed up'], fr: ['inutile', "j'en ai marre"], de: ['   '] };
    const set = compilePhraseSet(byLanguage);
    expect(compilePhraseSet(byLanguage)).toBe(set); // compiled once
    const find = (text: string) => findInPhraseSet(normalizeText(text), set);
    expect(find('C’est inutile, I am FED UP')).toEqual({ phrase: 'fed up', language: 'en' });
    expect(find('j’en ai marre')).toEqual({ phrase: "j'en ai marre", language: 'fr' });
    expect(find('uselessness')).toBeUndefined(); // the needle occurs, the whole words do not
    expect(find('all good')).toBeUndefined();
    expect(compilePhraseSet({ en: ['  '] }).anyNeedle).toBeNull();
  });

  it('compiles a set again when its configuration changed in place', () => {
    const byLanguage: Record<string, string[]> = { en: ['useless'] };
    expect(findInPhraseSet('fed up', compilePhraseSet(byLanguage))).toBeUndefined();
    byLanguage.en?.push('fed up');
    expect(findInPhraseSet('fed up', compilePhraseSet(byLanguage))).toEqual({
      phrase: 'fed up',
      language: 'en',
    });
    byLanguage.es = ['harto'];
    expect(findInPhraseSet('harto', compilePhraseSet(byLanguage))).toEqual({
      phrase: 'harto',
      language: 'es',
    });
    byLanguage.en = ['harto'];
    expect(findInPhraseSet('harto', compilePhraseSet(byLanguage))).toEqual({
      phrase: 'harto',
      language: 'en',
    });
  });
});
