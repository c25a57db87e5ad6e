/** Bot platform endpoints; the app mounts each with app.use(router) (the paths are inside). */
export { BOT_FRAMEWORK_PATH, botFrameworkAdapterRouter } from './bot-framework';
export type { BotFrameworkRouteDeps } from './bot-framework';
export { DIALOGFLOW_CX_PATH, dialogflowCxAdapterRouter } from './dialogflow-cx';
export type { DialogflowCxRouteDeps } from './dialogflow-cx';
export { LEX_V2_PATH, lexV2AdapterRouter } from './lex-v2';
export type { LexV2RouteDeps } from './lex-v2';
export { RASA_PATH, rasaAdapterRouter } from './rasa';
export type { RasaRouteDeps } from './rasa';
export type { AdapterSubmitContext, AdapterSubmitResult, SubmitHandoff } from './adapter-route';
export { adapterMounts, escalationMount } from './mounts';
export type { AdapterMount, AdapterMountContext, AdapterMountsOptions } from './mounts';
