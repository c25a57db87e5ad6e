/**
 * Mount functions for createApp's `mounts`: each takes the app's MountContext (structurally: the
 * handoff service, the bot authenticator, the JSON body parser) and returns the router. A
 * shared-secret adapter is mounted only when its secret is configured.
 */
import type { RequestHandler, Router } from 'express';
import type { AdaptersConfig, SharedSecretAuth } from '../../../adapters';
import { adaptersConfigSchema } from '../../../adapters';
import type { PolicyConfig, RoutingConfig } from '../../../policy';
import { escalationRoutes } from '../escalations';
import type { SubmitHandoff } from './adapter-route';
import { botFrameworkAdapterRouter } from './bot-framework';
import { dialogflowCxAdapterRouter } from './dialogflow-cx';
import { lexV2AdapterRouter } from './lex-v2';
import { rasaAdapterRouter } from './rasa';

/** What the mounts need from the app (a structural subset of createApp's MountContext). */
export interface AdapterMountContext {
  handoffs: { submit: SubmitHandoff };
  authenticator: { authenticate(authorization: string | undefined): Promise<{ subject: string }> };
  jsonBody: RequestHandler;
}

export type AdapterMount = (ctx: AdapterMountContext) => Router;

export interface AdapterMountsOptions {
  /** Session attribute names per platform; defaults when absent. */
  adapters?: AdaptersConfig;
  /** The shared secrets (from the environment); an adapter without one is not mounted. */
  secrets?: { dialogflowCx?: SharedSecretAuth; lexV2?: SharedSecretAuth; rasa?: SharedSecretAuth };
  now?: () => Date;
}

/** The four platform endpoints (Bot Framework always; the others when their secret is set). */
export function adapterMounts(options: AdapterMountsOptions = {}): AdapterMount[] {
  const config = options.adapters ?? adaptersConfigSchema.parse({});
  const now = options.now ? { now: options.now } : {};
  const submitOf =
    (ctx: AdapterMountContext): SubmitHandoff =>
    (input, c) =>
      ctx.handoffs.submit(input, c);
  const mounts: AdapterMount[] = [
    (ctx) =>
      botFrameworkAdapterRouter({
        submit: submitOf(ctx),
        authenticator: ctx.authenticator,
        mapping: config.botFramework,
        jsonBody: ctx.jsonBody,
        ...now,
      }),
  ];
  const { dialogflowCx, lexV2, rasa } = options.secrets ?? {};
  if (dialogflowCx) {
    mounts.push((ctx) =>
      dialogflowCxAdapterRouter({
        submit: submitOf(ctx),
        auth: dialogflowCx,
        mapping: config.dialogflowCx,
        jsonBody: ctx.jsonBody,
        ...now,
      }),
    );
  }
  if (lexV2) {
    mounts.push((ctx) =>
      lexV2AdapterRouter({
        submit: submitOf(ctx),
        auth: lexV2,
        mapping: config.lexV2,
        jsonBody: ctx.jsonBody,
        ...now,
      }),
    );
  }
  if (rasa) {
    mounts.push((ctx) =>
      rasaAdapterRouter({
        submit: submitOf(ctx),
        auth: rasa,
        mapping: config.rasa,
        jsonBody: ctx.jsonBody,
        ...now,
      }),
    );
  }
  return mounts;
}

/** POST /v1/escalations/evaluate, with the policy and routing the service uses. */
export function escalationMount(options: {
  policy: PolicyConfig;
  routing: RoutingConfig;
  now?: () => Date;
}): AdapterMount {
  return (ctx) =>
    escalationRoutes({
      authenticator: ctx.authenticator,
      policy: options.policy,
      routing: options.routing,
      jsonBody: ctx.jsonBody,
      ...(options.now ? { now: options.now } : {}),
    });
}
