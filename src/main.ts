/**
 * The composition root: from a validated configuration to a listening service. Used by
 * `npm start` (src/cli/start.ts), `npm run dev` (src/cli/dev.ts) and the integration harness.
 */
import type { Server } from 'node:http';
import type { Router } from 'express';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { createBotAuthenticator } from './auth';
import type { ServiceConfig } from './config/schema';
import { createDeliverer, createDeliveryMetrics } from './delivery';
import { createApp, type MountContext } from './http/app';
import {
  botFrameworkAdapterRouter,
  dialogflowCxAdapterRouter,
  lexV2AdapterRouter,
  rasaAdapterRouter,
  type SubmitHandoff,
} from './http/routes/adapters';
import { escalationRoutes } from './http/routes/escalations';
import { createLogger, type Logger } from './log';
import { watchGarbageCollection } from './runtime-metrics';
import { createSalesforceClient, type SalesforceClient } from './salesforce';
import { createHandoffService, type Deliverer } from './service';

export const VERSION = '0.1.0';

export interface RunningService {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  server: Server;
  salesforce: SalesforceClient;
  deliverer: Deliverer;
  logger: Logger;
  /** Stops taking requests, lets open ones finish (bounded), then stops delivery and the store. */
  close(): Promise<void>;
}

export interface StartServiceOptions {
  logger?: Logger;
  /** Listen on this port instead of config.server.port (0 = any free port). */
  port?: number;
}

function absoluteStatusUrl(base: string | undefined) {
  return (id: string) => {
    const rel = `/v1/handoffs/${encodeURIComponent(id)}`;
    return base ? `${base.replace(/\/+$/, '')}${rel}` : rel;
  };
}

/** The Salesforce client for the configured org (or emulator). */
export function salesforceClientFor(sf: ServiceConfig['salesforce'], logger: Logger): SalesforceClient {
  return createSalesforceClient(
    {
      loginUrl: sf.loginUrl,
      ...(sf.instanceUrl ? { instanceUrl: sf.instanceUrl } : {}),
      ...(sf.clientId ? { clientId: sf.clientId } : {}),
      ...(sf.username ? { username: sf.username } : {}),
      ...(sf.privateKey ? { privateKey: sf.privateKey } : {}),
      ...(sf.clientSecret ? { clientSecret: sf.clientSecret } : {}),
      ...(sf.audience ? { audience: sf.audience } : {}),
      apiVersion: sf.apiVersion,
    },
    logger,
  );
}

export async function startService(
  config: Readonly<ServiceConfig>,
  options: StartServiceOptions = {},
): Promise<RunningService> {
  const logger = options.logger ?? createLogger({ level: config.logging.level });
  const sf = config.salesforce;
  const salesforce = salesforceClientFor(sf, logger);
  const registry = new Registry();
  const deliverer = await createDeliverer({
    config: config.delivery,
    salesforce,
    mapping: config.mapping,
    logger,
    metrics: createDeliveryMetrics(registry),
  });
  const handoffs = createHandoffService({
    deliverer,
    policy: config.policy,
    routing: config.routing,
    logger,
    statusUrl: absoluteStatusUrl(config.server.publicBaseUrl),
  });
  const authenticator = createBotAuthenticator(config.botAuth, logger);
  const submit: SubmitHandoff = (input, ctx) =>
    handoffs.submit(input, {
      requestId: ctx.requestId,
      ...(ctx.botSubject ? { botSubject: ctx.botSubject } : {}),
      logger: logger.child({ requestId: ctx.requestId, platform: ctx.platform }),
    });
  const { adapters, adapterAuth } = config;
  const mounts: ((ctx: MountContext) => Router)[] = [
    (ctx) =>
      escalationRoutes({
        authenticator: ctx.authenticator,
        policy: config.policy,
        routing: config.routing,
        jsonBody: ctx.jsonBody,
      }),
    (ctx) =>
      botFrameworkAdapterRouter({
        submit,
        authenticator: ctx.authenticator,
        mapping: adapters.botFramework,
        jsonBody: ctx.jsonBody,
      }),
  ];
  const cx = adapterAuth.dialogflowCx;
  if (cx) {
    mounts.push((ctx) =>
      dialogflowCxAdapterRouter({ submit, auth: cx, mapping: adapters.dialogflowCx, jsonBody: ctx.jsonBody }),
    );
  }
  const lex = adapterAuth.lexV2;
  if (lex) {
    mounts.push((ctx) =>
      lexV2AdapterRouter({ submit, auth: lex, mapping: adapters.lexV2, jsonBody: ctx.jsonBody }),
    );
  }
  const rasa = adapterAuth.rasa;
  if (rasa) {
    mounts.push((ctx) =>
      rasaAdapterRouter({ submit, auth: rasa, mapping: adapters.rasa, jsonBody: ctx.jsonBody }),
    );
  }
  const app = createApp({
    version: VERSION,
    server: config.server,
    handoffs,
    authenticator,
    logger,
    metrics: registry,
    mounts,
  });

  const server = app.listen(options.port ?? config.server.port, config.server.host);
  // A client that trickles headers or a body cannot hold a connection for long.
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (err) {
    await deliverer.close();
    throw err;
  }
  const stopGcMetrics = watchGarbageCollection(registry);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  const st = config.delivery.store;
  // Which store and where it runs (never its connection string: it can hold a password).
  const store =
    st.kind === 'postgres' ? 'postgres' : st.thread ? 'sqlite, own thread' : 'sqlite, request thread';
  logger.info('service listening', { url, salesforceMode: sf.mode, authFlow: sf.authFlow, store });

  // Log in now so a wrong credential shows at start; handoffs are stored and retried regardless.
  salesforce.login().then(
    () => logger.info('salesforce login ok'),
    (err: unknown) => logger.warn('salesforce login failed; handoffs are stored and retried', { error: err }),
  );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      logger.info('shutting down');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.server.shutdownTimeoutMs);
      timer.unref();
      try {
        await closed;
        clearTimeout(timer);
        await deliverer.close();
      } finally {
        stopGcMetrics();
      }
      logger.info('stopped');
    })());

  return { url, server, salesforce, deliverer, logger, close };
}
