/**
 * Bot authentication: `Authorization: Bearer <JWT>`, verified with jose against a JWKS URL,
 * configured public keys, or an HS256 shared secret.
 *
 * Algorithm confusion is refused by construction: every key carries the algorithms of its own type
 * (an RSA key only RS and PS, an EC key only its curve's ES, an Ed25519 key only EdDSA, the shared
 * secret only HS256), the token's `alg` picks the kind of key before any key is chosen, and `none`
 * is never allowed. Issuer, audience, exp (required) and nbf are checked with a small clock tolerance.
 *
 * Failures throw AppError 401 with a code (AUTH_REQUIRED or AUTH_INVALID_TOKEN) and nothing about
 * which check failed; the reason goes to the debug log only, never the token.
 */
import {
  createPublicKey,
  createSecretKey,
  type KeyObject,
  type JsonWebKey,
  type webcrypto,
} from 'node:crypto';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTHeaderParameters,
  type JWTPayload,
  type FlattenedJWSInput,
} from 'jose';
import { AppError } from '../errors';
import type { BotAuthConfig, BotTokenAlgorithm } from '../config/schema';

export interface BotPrincipal {
  /** `sub` of the token (the bot), or the issuer when there is none. */
  subject: string;
  issuer: string;
  keyId: string | null;
  algorithm: string;
}

export interface BotAuthenticator {
  /** Verifies the Authorization header; throws AppError 401 when it is missing or not acceptable. */
  authenticate(authorization: string | undefined, log?: AuthFailureLogger): Promise<BotPrincipal>;
}

export interface AuthFailureLogger {
  debug(message: string, meta?: Record<string, unknown>): unknown;
}

const RSA_ALGS: readonly BotTokenAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_ALGS_BY_CURVE: Record<string, BotTokenAlgorithm> = {
  prime256v1: 'ES256',
  'P-256': 'ES256',
  secp384r1: 'ES384',
  'P-384': 'ES384',
  secp521r1: 'ES512',
  'P-521': 'ES512',
};
const ASYMMETRIC_ALGS: ReadonlySet<string> = new Set([...RSA_ALGS, 'ES256', 'ES384', 'ES512', 'EdDSA']);
const MAX_TOKEN_LENGTH = 8192;

interface ConfiguredKey {
  kid: string | null;
  key: KeyObject;
  algorithms: ReadonlySet<string>;
}

/** The algorithms a public key may verify, from its own type (never from the token). */
export function algorithmsForPublicKey(key: KeyObject): BotTokenAlgorithm[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return [...RSA_ALGS];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const alg = EC_ALGS_BY_CURVE[key.asymmetricKeyDetails?.namedCurve ?? ''];
      return alg ? [alg] : [];
    }
    case 'ed25519':
      return ['EdDSA'];
    default:
      return [];
  }
}

function invalid(reason: string): AppError {
  return new AppError({
    code: 'AUTH_INVALID_TOKEN',
    status: 401,
    message: 'The bearer token is not acceptable.',
    actions: ['Send a current token signed by a key this service trusts, for this audience and issuer.'],
    cause: new Error(reason),
  });
}

function required(): AppError {
  return new AppError({
    code: 'AUTH_REQUIRED',
    status: 401,
    message: 'A bearer token is required.',
    actions: ['Send Authorization: Bearer <JWT>.'],
  });
}

/** Why jose refused, in words for the debug log (never the token or a claim value). */
function reasonOf(err: unknown): string {
  if (err instanceof joseErrors.JOSEError) return err.code;
  if (err instanceof AppError) return (err.cause as Error | undefined)?.message ?? err.code;
  return 'verification error';
}

export function createBotAuthenticator(
  config: BotAuthConfig,
  defaultLogger?: AuthFailureLogger,
): BotAuthenticator {
  const allowed = new Set<string>(config.algorithms.filter((a) => a !== ('none' as string)));
  const keys: ConfiguredKey[] = config.publicKeys.map((k) => {
    const key = k.pem ? createPublicKey(k.pem) : createPublicKey({ key: k.jwk as JsonWebKey, format: 'jwk' });
    const algorithms = new Set(algorithmsForPublicKey(key).filter((a) => allowed.has(a)));
    return { kid: k.kid ?? null, key, algorithms };
  });
  const secret =
    config.hs256Secret && allowed.has('HS256') ? createSecretKey(Buffer.from(config.hs256Secret)) : null;
  const jwks = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 3000, cooldownDuration: 30_000 })
    : null;

  async function keyFor(
    header: JWTHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<KeyObject | webcrypto.CryptoKey> {
    const alg = header.alg;
    if (!allowed.has(alg)) throw invalid('algorithm not allowed');
    if (alg === 'HS256') {
      if (!secret) throw invalid('no shared secret configured');
      return secret;
    }
    if (!ASYMMETRIC_ALGS.has(alg)) throw invalid('algorithm not allowed');
    const candidates = keys.filter((k) => k.algorithms.has(alg) && (!header.kid || k.kid === header.kid));
    // With a kid, the key named by it; without one, the only key of that kind (never a guess among many).
    if (candidates.length === 1 && candidates[0]) return candidates[0].key;
    if (jwks) {
      // The JWKS selects by kid, alg and kty; it only holds public keys, so HS is impossible here.
      const key = await jwks(header, token);
      if (key instanceof Uint8Array) throw invalid('symmetric key in JWKS');
      return key;
    }
    throw invalid(candidates.length > 1 ? 'several keys match and the token names none' : 'no matching key');
  }

  return {
    async authenticate(authorization, log) {
      const logger = log ?? defaultLogger;
      if (authorization === undefined || authorization.trim() === '') throw required();
      const match = /^Bearer[ ]+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)\s*$/i.exec(authorization);
      const token = match?.[1];
      if (!token || token.length > MAX_TOKEN_LENGTH) {
        logger?.debug('bot token refused', { reason: 'malformed authorization header' });
        throw invalid('malformed');
      }
      let header: JWTHeaderParameters;
      try {
        header = decodeProtectedHeader(token) as JWTHeaderParameters;
      } catch {
        logger?.debug('bot token refused', { reason: 'undecodable header' });
        throw invalid('undecodable header');
      }
      if (
        typeof header.alg !== 'string' ||
        header.alg.toLowerCase() === 'none' ||
        header.crit !== undefined
      ) {
        logger?.debug('bot token refused', { reason: 'unsupported header' });
        throw invalid('unsupported header');
      }
      let payload: JWTPayload;
      try {
        const result = await jwtVerify(token, keyFor, {
          algorithms: [...allowed],
          issuer: config.issuer,
          audience: config.audience,
          clockTolerance: config.clockToleranceSeconds,
          requiredClaims: ['exp'],
        });
        payload = result.payload;
      } catch (err) {
        logger?.debug('bot token refused', { reason: reasonOf(err), alg: header.alg });
        throw invalid(reasonOf(err));
      }
      if (
        config.maxTokenLifetimeSeconds > 0 &&
        typeof payload.exp === 'number' &&
        payload.exp - Math.floor(Date.now() / 1000) >
          config.maxTokenLifetimeSeconds + config.clockToleranceSeconds
      ) {
        logger?.debug('bot token refused', { reason: 'lifetime too long' });
        throw invalid('lifetime too long');
      }
      return {
        subject: payload.sub ?? payload.iss ?? 'unknown',
        issuer: payload.iss ?? '',
        keyId: header.kid ?? null,
        algorithm: header.alg,
      };
    },
  };
}

/** The WWW-Authenticate challenge for a 401 (RFC 6750), naming no failed check. */
export function bearerChallenge(code: string): string {
  return code === 'AUTH_REQUIRED'
    ? 'Bearer realm="fsc-handoff"'
    : 'Bearer realm="fsc-handoff", error="invalid_token"';
}
