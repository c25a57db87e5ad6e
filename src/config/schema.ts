/**
 * The service configuration as one zod schema: each section is owned by the module that uses it
 * (delivery, policy, routing, mapping) and composed here. src/config/load.ts fills it from
 * config/*.json and the environment, and nothing else reads either.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey } from 'node:crypto';
import { z } from 'zod';
import { adaptersConfigSchema, sharedSecretAuthSchema } from '../adapters';
import { deliveryConfigSchema } from '../delivery/config';
import { enrichmentSettingsSchema, salesforceMappingSchema } from '../plan/mapping';
import { policyConfigSchema, routingConfigSchema } from '../policy';

export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

/** Algorithms a bot token may use; `none` is never among them. */
export const BOT_TOKEN_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'HS256',
] as const;
export type BotTokenAlgorithm = (typeof BOT_TOKEN_ALGORITHMS)[number];

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const serverConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(3000),
    /** Largest JSON body accepted; larger bodies answer 413. */
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(50 * 1024 * 1024)
      .default(2 * 1024 * 1024),
    /** Absolute base for statusUrl/Location (e.g. behind a proxy); relative URLs when absent. */
    publicBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Graceful shutdown: how long open requests get before the server closes them. */
    shutdownTimeoutMs: z.number().int().min(0).default(10_000),
    /**
     * How far the JavaScript heap may grow past what was live after a full garbage collection before
     * the next one (V8's heap growing percent). V8's own rule lets it grow up to 4x under a heavy
     * allocation rate, mostly with handoffs already answered; 25 keeps the peak near the live data
     * for a few percent more GC time. 0 leaves V8's rule. Applied by the process entry points.
     */
    heapGrowingPercent: z.number().int().min(0).max(300).default(25),
    /**
     * With heapGrowingPercent: the heap may also grow this many MB past what was live after a full
     * collection before the next one, whichever is more. A small heap then collects less often (each
     * full collection stalls the request thread for tens of ms on a busy host); a large one still
     * grows by the percent only. 0: the percent alone. Applied by the process entry points
     * (src/cli/heap.ts).
     */
    heapHeadroomMb: z.number().int().min(0).max(1024).default(16),
    /**
     * V8's allocation-site pretenuring (allocating in the old generation the objects of a place in
     * the code whose objects mostly survived a young collection). Off by default: a handoff's objects
     * outlive one young collection only because they wait for Salesforce, and pretenured they die in
     * the old generation, holding young objects with them (src/cli/heap.ts). Applied by the process
     * entry points.
     */
    allocationSitePretenuring: z.boolean().default(false),
  })
  .strict();

export const publicKeyConfigSchema = z
  .object({
    kid: z.string().min(1).max(200).optional(),
    /** SPKI PEM text ("-----BEGIN PUBLIC KEY-----"). */
    pem: z.string().min(1).optional(),
    /** A public JWK (RSA, EC or OKP). */
    jwk: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine((k, ctx) => {
    if (!k.pem === !k.jwk) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of pem or jwk' });
      return;
    }
    try {
      const key = k.pem
        ? createPublicKey(k.pem)
        : createPublicKey({ key: k.jwk as JsonWebKey, format: 'jwk' });
      if (key.type !== 'public') ctx.addIssue({ code: 'custom', message: 'must be a public key' });
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a readable public key (PEM SPKI or JWK)' });
    }
  });

export const botAuthConfigSchema = z
  .object({
    /** Expected `iss` claim (one or several). */
    issuer: oneOrMany.optional(),
    /** Expected `aud` claim (one or several). */
    audience: oneOrMany.optional(),
    /** Keys from a JWKS endpoint (asymmetric algorithms only). */
    jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Configured public keys (asymmetric algorithms only). */
    publicKeys: z.array(publicKeyConfigSchema).max(20).default([]),
    /** HS256 shared secret for simple bots; at least 32 characters. */
    hs256Secret: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Allowed algorithms; each key type is further limited to the algorithms of its kind. */
    algorithms: z
      .array(z.enum(BOT_TOKEN_ALGORITHMS))
      .min(1)
      .default([...BOT_TOKEN_ALGORITHMS]),
    clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
    /** Refuse tokens whose exp − iat (or exp − now) exceeds this; 0 = no limit. */
    maxTokenLifetimeSeconds: z.number().int().min(0).default(3600),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.issuer) ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'is required' });
    if (!c.audience) ctx.addIssue({ code: 'custom', path: ['audience'], message: 'is required' });
    if (!c.jwksUrl && c.publicKeys.length === 0 && !c.hs256Secret) {
      ctx.addIssue({
        code: 'custom',
        path: ['keys'],
        message: 'no key to verify bot tokens: configure a JWKS URL, public keys or an HS256 secret',
      });
    }
  });

export const SALESFORCE_MODES = ['emulator', 'org'] as const;

export const salesforceConfigSchema = z
  .object({
    mode: z.enum(SALESFORCE_MODES).default('org'),
    /** Token endpoint host: https://login.salesforce.com, https://test.salesforce.com or My Domain. */
    loginUrl: z.url({ protocol: /^https?$/ }).default('https://login.salesforce.com'),
    /** Optional: where the data API lives (normally taken from the token response). */
    instanceUrl: z.url({ protocol: /^https?$/ }).optional(),
    clientId: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    /** PEM text of the connected app's private key (JWT bearer flow). */
    privateKey: z.string().min(1).optional(),
    /** Path to the PEM file; read at start-up into privateKey. */
    privateKeyFile: z.string().min(1).optional(),
    /** Client credentials flow. */
    clientSecret: z.string().min(1).optional(),
    /** JWT `aud` for the JWT bearer flow; the loginUrl by default (set it for My Domain logins). */
    audience: z.string().min(1).optional(),
    apiVersion: z
      .string()
      .regex(/^\d{2,3}\.0$/, 'must look like 63.0')
      .default('63.0'),
  })
  .strict()
  .superRefine((s, ctx) => {
    const https = (u: string | undefined) => !u || u.startsWith('https://');
    if (s.mode === 'org') {
      if (!https(s.loginUrl)) ctx.addIssue({ code: 'custom', path: ['loginUrl'], message: 'must be https' });
      if (!https(s.instanceUrl)) {
        ctx.addIssue({ code: 'custom', path: ['instanceUrl'], message: 'must be https' });
      }
    }
    if (!s.clientId) {
      ctx.addIssue({ code: 'custom', path: ['clientId'], message: `is required when mode=${s.mode}` });
    }
    const hasKey = Boolean(s.privateKey ?? s.privateKeyFile);
    if (hasKey && s.clientSecret) {
      ctx.addIssue({
        code: 'custom',
        path: ['clientSecret'],
        message: 'give either a private key (JWT bearer) or a client secret (client credentials), not both',
      });
    }
    if (!hasKey && !s.clientSecret) {
      ctx.addIssue({
        code: 'custom',
        path: ['privateKey'],
        message: `a credential is required when mode=${s.mode}: a private key (JWT bearer) or a client secret (client credentials)`,
      });
    }
    if (hasKey && !s.username) {
      ctx.addIssue({
        code: 'custom',
        path: ['username'],
        message: 'is required for the JWT bearer flow (the integration user)',
      });
    }
    if (s.privateKey) {
      try {
        createPrivateKey(s.privateKey);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['privateKey'], message: 'is not a readable PEM private key' });
      }
    }
  })
  .transform((s) => ({
    ...s,
    authFlow: s.privateKey ? ('jwt_bearer' as const) : ('client_credentials' as const),
  }));

/**
 * Enrich instead of create: with dedupeWindowSeconds > 0, a handoff whose customer has an open case
 * of the same case type opened within the window enriches that case. Off (0) by default, so the
 * common path stays one Salesforce call. Defined with the mapping (src/plan), which carries it to
 * the delivery path.
 */
export const enrichmentConfigSchema = enrichmentSettingsSchema;

export const loggingConfigSchema = z
  .object({
    level: z.enum(LOG_LEVELS).default('info'),
  })
  .strict();

export const serviceConfigSchema = z
  .object({
    server: serverConfigSchema.prefault({}),
    botAuth: botAuthConfigSchema.prefault({}),
    salesforce: salesforceConfigSchema.prefault({}),
    /** Salesforce object and field names (src/plan); defaults match force-app. */
    mapping: salesforceMappingSchema.prefault({}),
    /** Routing rules (src/policy), from config/routing.json. */
    routing: routingConfigSchema,
    /** Escalation policy (src/policy), from config/policy.json. */
    policy: policyConfigSchema,
    delivery: deliveryConfigSchema.prefault({}),
    /** How each platform adapter reads the bot's session (src/adapters). */
    adapters: adaptersConfigSchema.prefault({}),
    /**
     * Shared secrets of the platforms that cannot sign a JWT; an adapter without one is not mounted.
     * (Bot Framework / Copilot Studio uses botAuth.)
     */
    adapterAuth: z
      .object({
        dialogflowCx: sharedSecretAuthSchema.optional(),
        lexV2: sharedSecretAuthSchema.optional(),
        rasa: sharedSecretAuthSchema.optional(),
      })
      .strict()
      .prefault({}),
    enrichment: enrichmentConfigSchema.prefault({}),
    logging: loggingConfigSchema.prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mapping.enrichment !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['mapping', 'enrichment'],
        message:
          'is set from enrichment.dedupeWindowSeconds (ENRICHMENT_DEDUPE_WINDOW_SECONDS); set that instead',
      });
    }
  })
  // deliverHandoffs is handed config.mapping (src/main.ts → src/delivery), so the window rides on it.
  .transform((c) => ({ ...c, mapping: { ...c.mapping, enrichment: c.enrichment } }));

export type ServiceConfigInput = z.input<typeof serviceConfigSchema>;
export type ServiceConfig = z.output<typeof serviceConfigSchema>;
export type ServerConfig = ServiceConfig['server'];
export type BotAuthConfig = ServiceConfig['botAuth'];
export type SalesforceConfig = ServiceConfig['salesforce'];
export type LoggingConfig = ServiceConfig['logging'];
