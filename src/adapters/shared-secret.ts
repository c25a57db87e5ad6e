/**
 * Shared-secret authentication for platforms that cannot sign a JWT: a bearer token, HTTP basic
 * credentials, a token in a custom header (Lex forwarding Lambda, Rasa `headers`), or, if enabled, a
 * token query parameter (Rasa's action_endpoint `token`). Compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { AppError } from '../errors';

export const sharedSecretAuthSchema = z
  .object({
    tokens: z
      .array(z.string().min(16, 'a shared token must be at least 16 characters'))
      .default([])
      .describe('Accepted as "Authorization: Bearer <token>" or in headerName / queryParam'),
    basic: z
      .array(
        z
          .object({ username: z.string().min(1), password: z.string().min(12, 'at least 12 characters') })
          .strict(),
      )
      .default([])
      .describe('Accepted as "Authorization: Basic …"'),
    headerName: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/)
      .optional()
      .describe('A header carrying a token, e.g. x-handoff-token'),
    queryParam: z.string().min(1).optional().describe('A query parameter carrying a token (Rasa "token")'),
  })
  .strict()
  .refine(
    (c) => c.tokens.length > 0 || c.basic.length > 0,
    'configure at least one token or basic credential',
  );

export type SharedSecretAuth = z.output<typeof sharedSecretAuthSchema>;

export interface AuthRequest {
  headers: IncomingHttpHeaders;
  query?: Record<string, unknown>;
}

export interface AdapterPrincipal {
  /** Who called: a JWT subject, a basic user name, or "shared-token". Never the secret. */
  principal: string;
}

/** Authenticates a request or throws an AppError 401. */
export type RequestAuthenticator = (req: AuthRequest) => Promise<AdapterPrincipal>;

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant time over every candidate (no early exit), so timing says nothing about which one matched. */
function matchesAny(given: string, candidates: readonly string[]): boolean {
  const g = digest(given);
  let ok = false;
  for (const c of candidates) ok = timingSafeEqual(g, digest(c)) || ok;
  return ok;
}

export function unauthenticated(message: string, scheme: string): AppError {
  return new AppError({
    code: 'UNAUTHENTICATED',
    status: 401,
    message,
    actions: [`Send the credentials configured for this adapter (${scheme}); see docs/bots.md`],
  });
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function sharedSecretAuthenticator(config: SharedSecretAuth): RequestAuthenticator {
  const basicPairs = config.basic.map((b) => `${b.username}:${b.password}`);
  const schemes = [
    config.tokens.length > 0 ? 'Bearer' : undefined,
    config.basic.length > 0 ? 'Basic' : undefined,
    config.headerName,
  ]
    .filter((s): s is string => s !== undefined)
    .join(', ');
  return (req) => {
    const authorization = header(req.headers, 'authorization');
    const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
    if (bearer !== undefined && config.tokens.length > 0 && matchesAny(bearer, config.tokens)) {
      return Promise.resolve({ principal: 'shared-token' });
    }
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '')?.[1];
    if (basic !== undefined && basicPairs.length > 0) {
      const pair = Buffer.from(basic, 'base64').toString('utf8');
      if (matchesAny(pair, basicPairs))
        return Promise.resolve({ principal: pair.slice(0, pair.indexOf(':')) });
    }
    const custom = config.headerName ? header(req.headers, config.headerName) : undefined;
    if (custom !== undefined && config.tokens.length > 0 && matchesAny(custom.trim(), config.tokens)) {
      return Promise.resolve({ principal: 'shared-token' });
    }
    const q = config.queryParam ? req.query?.[config.queryParam] : undefined;
    if (typeof q === 'string' && config.tokens.length > 0 && matchesAny(q, config.tokens)) {
      return Promise.resolve({ principal: 'shared-token' });
    }
    const sent = authorization !== undefined || custom !== undefined || q !== undefined;
    return Promise.reject(
      unauthenticated(sent ? 'The credentials sent are not valid' : 'Credentials are required', schemes),
    );
  };
}
