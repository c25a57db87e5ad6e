/** Bot platform adapters: native event → canonical handoff; native answer from a HandoffAnswer. */
export { adapterMappingSchema, adaptersConfigSchema, attributeNamesSchema, defaultMapping } from './mapping';
export type { AdapterMapping, AdaptersConfig, AttributeNames } from './mapping';
export { ADAPTER_INPUT_INVALID } from './common';
export type { SourcePlatform } from './common';
export {
  botFrameworkAnswer,
  botFrameworkToHandoff,
  handoffStatusActivity,
  handoffStatusFor,
} from './bot-framework';
export type {
  BotFrameworkAnswer,
  BotFrameworkReplyContext,
  HandoffStatusActivity,
  HandoffStatusState,
} from './bot-framework';
export {
  CX_ANSWER_PARAMETERS,
  dialogflowCxAnswer,
  dialogflowCxToHandoff,
  sentimentLabel,
} from './dialogflow-cx';
export type { DialogflowReplyContext, DialogflowWebhookResponse } from './dialogflow-cx';
export { LEX_ANSWER_ATTRIBUTES, lexV2Answer, lexV2ToHandoff } from './lex-v2';
export type { LexReplyContext, LexV2Response } from './lex-v2';
export { RASA_ANSWER_SLOTS, rasaAnswer, rasaToHandoff } from './rasa';
export type { RasaActionResponse, RasaReplyContext } from './rasa';
export { sharedSecretAuthSchema, sharedSecretAuthenticator } from './shared-secret';
export type { SharedSecretAuth } from './shared-secret';
