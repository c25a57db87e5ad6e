import { evaluateEscalation, policyConfigSchema, routingConfigSchema } from '../../../src/policy';
import { calmState, NOW, readConfigJson } from './helpers';

type Json = Record<string, unknown> & { rules: Record<string, unknown>[] };

describe('config/policy.json and config/routing.json', () => {
  it('the default files parse, and every rule type of the field defaults is there with a unique name', () => {
    const policy = policyConfigSchema.parse(readConfigJson('policy.json'));
    expect(policy.rules.map((r) => r.type).sort()).toEqual([
      'customer_requested_agent',
      'failed_authentication',
      'fallback_loop',
      'high_value',
      'low_confidence',
      'missing_critical_entity',
      'negative_sentiment',
      'no_progress',
      'regulated_intent',
      'repeated_transfer',
    ]);
    const phrases = policy.rules.find((r) => r.type === 'customer_requested_agent');
    expect(Object.keys(phrases?.type === 'customer_requested_agent' ? phrases.phrases : {})).toEqual(
      expect.arrayContaining(['en', 'es', 'fr', 'de']),
    );
    expect(routingConfigSchema.safeParse(readConfigJson('routing.json')).success).toBe(true);
  });

  it('a policy file with a changed threshold changes the decision, with no code change', () => {
    const state = calmState({ sentiment: { label: 'negative', score: -0.3 } });
    const original = policyConfigSchema.parse(readConfigJson('policy.json'));
    expect(evaluateEscalation(state, original, NOW).handoff).toBe(false);

    const edited = readConfigJson('policy.json') as Json;
    edited.version = '2026-11-21.2-stricter';
    const rule = edited.rules.find((r) => r.name === 'negative-sentiment');
    if (!rule) throw new Error('negative-sentiment rule missing from config/policy.json');
    rule.scoreAtOrBelow = -0.25;
    const stricter = policyConfigSchema.parse(JSON.parse(JSON.stringify(edited)));
    const ev = evaluateEscalation(state, stricter, NOW);
    expect(ev.handoff).toBe(true);
    expect(ev.policyVersion).toBe('2026-11-21.2-stricter');
    expect(ev.fired[0]?.reason).toBe('sentiment score -0.3 is at or below -0.25');
  });

  it('a renamed rule is reported under its new name', () => {
    const edited = readConfigJson('policy.json') as Json;
    const rule = edited.rules.find((r) => r.type === 'repeated_transfer');
    if (!rule) throw new Error('repeated_transfer rule missing');
    rule.name = 'senior-after-two-transfers';
    const ev = evaluateEscalation(calmState({ transfers: 2 }), policyConfigSchema.parse(edited), NOW);
    expect(ev.fired.map((f) => f.rule)).toEqual(['senior-after-two-transfers']);
  });

  it('rejects a bad policy naming every problem: broken regex, duplicate name, unknown type, bad threshold', () => {
    const edited = readConfigJson('policy.json') as Json;
    const regulated = edited.rules.find((r) => r.type === 'regulated_intent') as {
      categories: { pattern: string }[];
    };
    regulated.categories[0] = { ...regulated.categories[0], pattern: 'credit(' };
    const low = edited.rules.find((r) => r.type === 'low_confidence');
    if (low) low.below = 1.5;
    edited.rules.push({ name: 'fallback-loop', type: 'fallback_loop', maxFallbacks: 1 });
    edited.rules.push({ name: 'mood', type: 'horoscope' });
    const result = policyConfigSchema.safeParse(edited);
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues.join('\n')).toMatch(/must be a valid regular expression/);
    expect(issues.join('\n')).toMatch(/rules\.0\.below/);
    expect(issues.join('\n')).toMatch(/rules\.11/);
  });

  it('rejects a routing file that grants a skill the org does not know', () => {
    const edited = readConfigJson('routing.json') as { intentRules: { skills: { skill: string }[] }[] };
    const first = edited.intentRules[0];
    if (!first?.skills[0]) throw new Error('routing.json has no intent rule');
    first.skills[0].skill = 'Astrology';
    const result = routingConfigSchema.safeParse(edited);
    expect(result.error?.issues[0]).toMatchObject({
      path: ['intentRules', 0, 'skills', 0, 'skill'],
      message: 'unknown skill "Astrology" (not in knownSkills)',
    });
  });
});
