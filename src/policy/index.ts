/** Escalation policy, routing rules and summaries: pure functions over typed data. */
export { policyConfigSchema, policyRuleSchema } from './policy-config';
export type { PolicyConfig, PolicyConfigInput, PolicyRule, PolicyRuleType } from './policy-config';
export { routingConfigSchema, skillGrantSchema } from './routing-config';
export type { RoutingConfig, RoutingConfigInput, SkillGrant } from './routing-config';
export { conversationStateSchema, conversationStateFromHandoff } from './conversation-state';
export type { ConversationState, ConversationStateInput } from './conversation-state';
export { evaluateEscalation } from './evaluate';
export { decideRouting, decideRoutingForState } from './routing';
export { buildSummary, summaryFor, summaryText, SUMMARY_TEXT_MAX } from './summary';
