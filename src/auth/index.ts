export { createBotAuthenticator, bearerChallenge, algorithmsForPublicKey } from './bot-auth';
export type { BotAuthenticator, BotPrincipal } from './bot-auth';
