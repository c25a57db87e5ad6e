/**
 * The real app (createApp + createHandoffService + real policy, routing, redaction, auth) over an
 * in-memory Deliverer, with every log line captured, for unit tests of the HTTP edge and the service.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import { SignJWT } from 'jose';
import { createBotAuthenticator } from '../../src/auth';
import { botAuthConfigSchema } from '../../src/config/schema';
import { createApp } from '../../src/http/app';
import { createLogger, type Logger } from '../../src/log';
import {
  policyConfigSchema,
  routingConfigSchema,
  type PolicyConfig,
  type RoutingConfig,
} from '../../src/policy';
import { createHandoffService, type HandoffService } from '../../src/service';
import { createMemoryDeliverer, type DeliverFn, type MemoryDeliverer } from './memory-deliverer';

export const TEST_SECRET = 'unit-test-shared-secret-0123456789abcdef';
export const TEST_ISSUER = 'https://bots.example.test';
export const TEST_AUDIENCE = 'fsc-handoff';

const configDir = path.resolve(__dirname, '../../config');

export function repoPolicy(): PolicyConfig {
  return policyConfigSchema.parse(JSON.parse(readFileSync(path.join(configDir, 'policy.json'), 'utf8')));
}

export function repoRouting(): RoutingConfig {
  return routingConfigSchema.parse(JSON.parse(readFileSync(path.join(configDir, 'routing.json'), 'utf8')));
}

/** A logger whose lines are kept in memory (parsed JSON and raw text). */
export function capturingLogger(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { logger: createLogger({ level: level as 'debug', stream }), lines };
}

export async function botToken(
  claims: { sub?: string; aud?: string; iss?: string; expiresIn?: string } = {},
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(claims.iss ?? TEST_ISSUER)
    .setAudience(claims.aud ?? TEST_AUDIENCE)
    .setSubject(claims.sub ?? 'penny-bot')
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '5m')
    .sign(new TextEncoder().encode(TEST_SECRET));
}

export interface AppFixture {
  app: Express;
  deliverer: MemoryDeliverer;
  service: HandoffService;
  lines: string[];
  token: string;
}

export async function appFixture(
  options: { deliver?: DeliverFn; bodyLimitBytes?: number } = {},
): Promise<AppFixture> {
  const { logger, lines } = capturingLogger();
  const deliverer = createMemoryDeliverer(options.deliver);
  const service = createHandoffService({ deliverer, policy: repoPolicy(), routing: repoRouting(), logger });
  const authenticator = createBotAuthenticator(
    botAuthConfigSchema.parse({ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, hs256Secret: TEST_SECRET }),
    logger,
  );
  const app = createApp({
    version: 'test',
    server: { bodyLimitBytes: options.bodyLimitBytes ?? 2 * 1024 * 1024 },
    handoffs: service,
    authenticator,
    logger,
  });
  return { app, deliverer, service, lines, token: await botToken() };
}
