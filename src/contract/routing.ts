/**
 * What the decide step produces and the plan step consumes: how the Case is routed, and why the
 * handoff happened (the escalation evaluation an agent and an auditor can read).
 */
import { z } from 'zod';
import { URGENCIES } from './handoff';

export const skillRequirementSchema = z
  .object({
    developerName: z.string().describe('Skill DeveloperName, resolved to an id once per org and cached'),
    level: z.number().min(1).max(10).describe('Omni-Channel skill level 1..10'),
    additional: z.boolean().describe('Dropped after DropAdditionalSkillsTimeout when no agent matches'),
  })
  .strict();

export const routingDecisionSchema = z
  .object({
    mode: z.enum(['skills_based', 'queue_based']),
    skills: z.array(skillRequirementSchema).max(5).describe('Empty for queue-based routing'),
    priority: z.number().int().min(1).max(10).describe('PSR RoutingPriority: 1 is routed first'),
    casePriority: z.enum(['High', 'Medium', 'Low']),
    urgency: z.enum(URGENCIES),
    queue: z.string().nullable().describe('Queue DeveloperName: the owner for queue-based routing'),
    dropAdditionalSkillsTimeout: z.number().int().min(0).optional(),
    reasons: z.array(z.string()).describe('Which routing rules applied, in order'),
  })
  .strict();

export const firedRuleSchema = z
  .object({
    rule: z.string().describe('Rule name from the policy file'),
    reason: z.string().describe('Why it fired, in words an auditor can read'),
    escalationReason: z.string().optional(),
  })
  .strict();

export const escalationEvaluationSchema = z
  .object({
    handoff: z.boolean(),
    fired: z.array(firedRuleSchema),
    policyVersion: z.string(),
    evaluatedAt: z.string(),
  })
  .strict();

export type SkillRequirementSpec = z.infer<typeof skillRequirementSchema>;
export type RoutingDecision = z.infer<typeof routingDecisionSchema>;
export type FiredRule = z.infer<typeof firedRuleSchema>;
export type EscalationEvaluation = z.infer<typeof escalationEvaluationSchema>;
