/**
 * Routing rules as configuration (config/routing.json): intent, product, language and segment to
 * skills; VIP, vulnerable and fraud to priority; repeated transfer to the senior queue; a fallback
 * queue when no skill applies.
 */
import { z } from 'zod';
import { URGENCIES } from '../contract/handoff';
import { isValidPattern } from './text';

const pattern = z
  .string()
  .min(1)
  .refine(isValidPattern, 'must be a valid regular expression (matched case-insensitively)');
const developerName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, 'must be a DeveloperName');
const ruleName = z.string().min(1).max(80);

export const skillGrantSchema = z
  .object({
    skill: developerName.describe('Skill DeveloperName'),
    level: z.number().int().min(1).max(10).default(5),
    additional: z.boolean().default(false).describe('Additional skills are dropped after the timeout'),
  })
  .strict();

const skills = z.array(skillGrantSchema).min(1);
const intentRuleSchema = z.object({ name: ruleName, intentPattern: pattern, skills }).strict();
const productRuleSchema = z.object({ name: ruleName, productPattern: pattern, skills }).strict();
const languageRuleSchema = z
  .object({
    name: ruleName,
    language: z.string().regex(/^[a-z]{2,3}$/, 'must be a primary language subtag such as en'),
    skills,
  })
  .strict();
const segmentRuleSchema = z
  .object({ name: ruleName, segments: z.array(z.string().min(1)).min(1), skills })
  .strict();

const urgencySettingSchema = z
  .object({
    routingPriority: z.number().int().min(1).max(10).describe('PSR RoutingPriority, 1 is routed first'),
    casePriority: z.enum(['High', 'Medium', 'Low']),
  })
  .strict();

const priorityRuleSchema = z
  .object({
    name: ruleName,
    when: z
      .object({
        vip: z.literal(true).optional(),
        vulnerable: z.literal(true).optional(),
        segments: z.array(z.string().min(1)).optional(),
        intentPattern: pattern.optional(),
        firedRules: z.array(z.string().min(1)).optional().describe('Policy rule names; any of them'),
      })
      .strict()
      .refine((w) => Object.keys(w).length > 0, 'needs at least one condition'),
    urgency: z.enum(URGENCIES),
    routingPriority: z.number().int().min(1).max(10).optional().describe('Overrides the urgency table'),
    skills: z.array(skillGrantSchema).default([]),
  })
  .strict();

export const routingConfigSchema = z
  .object({
    version: z.string().min(1),
    knownSkills: z.array(developerName).min(1).describe('Skills that exist in the org (DeveloperName)'),
    maxSkills: z.number().int().min(1).max(5).default(5),
    dropAdditionalSkillsTimeout: z.number().int().min(0).default(60),
    fallbackQueue: developerName.describe('Queue when no skill applies'),
    intentRules: z.array(intentRuleSchema).default([]).describe('Any intent in the history matching'),
    productRules: z.array(productRuleSchema).default([]),
    languageRules: z.array(languageRuleSchema).default([]),
    segmentRules: z.array(segmentRuleSchema).default([]),
    requestedSkills: z
      .object({ level: z.number().int().min(1).max(10), additional: z.boolean() })
      .strict()
      .default({ level: 5, additional: true })
      .describe('How skills the bot asks for are requested (only known skills are honoured)'),
    urgency: z
      .object({
        low: urgencySettingSchema,
        medium: urgencySettingSchema,
        high: urgencySettingSchema,
        critical: urgencySettingSchema,
      })
      .strict(),
    defaultUrgency: z.enum(URGENCIES).default('medium'),
    honourPriorityHint: z.boolean().default(true).describe("Raise urgency to the bot's priorityHint"),
    priorityRules: z.array(priorityRuleSchema).default([]),
    repeatedTransfer: z
      .object({
        transfers: z.number().int().min(2).describe('At this many transfers the senior queue takes over'),
        firedRules: z.array(z.string()).default([]).describe('Or when one of these policy rules fired'),
        queue: developerName,
        urgency: z.enum(URGENCIES).default('high'),
      })
      .strict(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const known = new Set(r.knownSkills);
    const check = (skills: { skill: string }[], path: (string | number)[]) =>
      skills.forEach((s, i) => {
        if (!known.has(s.skill)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, i, 'skill'],
            message: `unknown skill "${s.skill}" (not in knownSkills)`,
          });
        }
      });
    r.intentRules.forEach((x, i) => check(x.skills, ['intentRules', i, 'skills']));
    r.productRules.forEach((x, i) => check(x.skills, ['productRules', i, 'skills']));
    r.languageRules.forEach((x, i) => check(x.skills, ['languageRules', i, 'skills']));
    r.segmentRules.forEach((x, i) => check(x.skills, ['segmentRules', i, 'skills']));
    r.priorityRules.forEach((x, i) => check(x.skills, ['priorityRules', i, 'skills']));
  });

export type RoutingConfig = z.output<typeof routingConfigSchema>;
export type RoutingConfigInput = z.input<typeof routingConfigSchema>;
export type SkillGrant = z.output<typeof skillGrantSchema>;
