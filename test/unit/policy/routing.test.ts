import { handoffRequestSchema } from '../../../src/contract/handoff';
import { routingDecisionSchema } from '../../../src/contract/routing';
import type { EscalationEvaluation } from '../../../src/contract/routing';
import {
  conversationStateFromHandoff,
  decideRouting,
  decideRoutingForState,
  evaluateEscalation,
} from '../../../src/policy';
import { handoff } from '../../support/handoff-factory';
import { calmState, defaultPolicy, defaultRouting, NOW } from './helpers';

const routing = defaultRouting();
const noEvaluation: EscalationEvaluation | null = null;

describe('decideRouting with the default routing rules', () => {
  it('routes the card-declined journey to Cards with English as an additional skill', () => {
    const h = handoffRequestSchema.parse(handoff());
    const evaluation = evaluateEscalation(conversationStateFromHandoff(h), defaultPolicy(), NOW);
    const d = decideRouting(h, evaluation, routing);
    expect(routingDecisionSchema.parse(d)).toEqual(d);
    expect(d.mode).toBe('skills_based');
    expect(d.skills).toEqual([
      { developerName: 'Cards', level: 5, additional: false },
      { developerName: 'English', level: 5, additional: true },
    ]);
    expect(d).toMatchObject({
      urgency: 'high',
      casePriority: 'High',
      priority: 2,
      queue: null,
      dropAdditionalSkillsTimeout: 60,
    });
    expect(d.reasons[0]).toBe("urgency high: the bot's priority hint");
    expect(d.reasons).toContain(
      'skill Cards (level 5): intent rule "cards" (card.declined); product rule "cards-product" (cards); requested by the bot',
    );
  });

  it('falls back to the general queue when no required skill applies', () => {
    const d = decideRoutingForState(
      calmState({ intents: [{ name: 'weather.today', confidence: 0.9 }] }),
      noEvaluation,
      routing,
    );
    expect(d).toMatchObject({
      mode: 'queue_based',
      skills: [],
      queue: 'Handoff_General',
      urgency: 'medium',
      priority: 5,
    });
    expect(d.reasons).toEqual(['no required skill applies: queue Handoff_General']);
  });

  it('routes a second transfer to the senior queue', () => {
    const d = decideRoutingForState(calmState({ transfers: 2 }), noEvaluation, routing);
    expect(d).toMatchObject({
      mode: 'queue_based',
      queue: 'Handoff_Senior',
      urgency: 'high',
      casePriority: 'High',
    });
  });

  it('makes fraud critical and routed first, with the Fraud skill', () => {
    const d = decideRoutingForState(
      calmState({ intents: [{ name: 'fraud.report', confidence: 0.9 }] }),
      noEvaluation,
      routing,
    );
    expect(d).toMatchObject({ urgency: 'critical', priority: 1, casePriority: 'High' });
    expect(d.skills[0]).toEqual({ developerName: 'Fraud', level: 6, additional: false });
  });

  it('raises a vulnerable customer to high and adds Vulnerable_Support', () => {
    const d = decideRoutingForState(calmState({ vulnerable: true }), noEvaluation, routing);
    expect(d.urgency).toBe('high');
    expect(d.skills.map((s) => s.developerName)).toEqual(['Accounts', 'Vulnerable_Support', 'English']);
  });

  it('makes a non-English language a required skill', () => {
    const d = decideRoutingForState(calmState({ language: 'es-ES', intents: [] }), noEvaluation, routing);
    expect(d.skills).toEqual([{ developerName: 'Spanish', level: 5, additional: false }]);
  });

  it('honours only known requested skills and says which were ignored', () => {
    const d = decideRoutingForState(
      calmState({ requestedSkills: ['Payments', 'Crypto'] }),
      noEvaluation,
      routing,
    );
    expect(d.skills.map((s) => s.developerName)).toContain('Payments');
    expect(d.reasons).toContain('requested skill "Crypto" ignored: not a known skill');
  });

  it('keeps at most five skills, required ones first', () => {
    const intents = [
      'fraud.report',
      'transaction.dispute',
      'hardship.request',
      'loan.application',
      'change_bank_details',
      'card.block',
    ].map((name) => ({ name, confidence: 0.9 }));
    const d = decideRoutingForState(calmState({ intents, vulnerable: true }), noEvaluation, routing);
    expect(d.skills).toHaveLength(5);
    expect(d.skills.every((s) => !s.additional)).toBe(true);
    expect(d.reasons.filter((r) => r.includes('dropped: at most 5 skills'))).toHaveLength(3);
  });
});
