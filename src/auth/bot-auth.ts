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
 *
 * Bots reuse one token for its lifetime, so a token that passed every check is remembered (by its
 * SHA-256, see token-cache.ts) and answered without a new signature check while its time checks
 * (exp, nbf, lifetime, with the same tolerance) still hold and, for a JWKS key, while the same key
 * set is current. Anything else (another token, a lapsed one, a refreshed key set) is verified in
 * full, so it is refused for the same reasons and logged the same way as without the cache.
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
  jwksCache,
  jwtVerify,
  type JWKSCacheInput,
  type JWTHeaderParameters,
  type JWTPayload,
  type FlattenedJWSInput,
} from 'jose';
import { AppError } from '../errors';
import type { BotAuthConfig, BotTokenAlgorithm } from '../config/schema';
import { DEFAULT_TOKEN_CACHE_SIZE, tokenCacheKey, VerifiedTokenCache, type CachedToken } from './token-cache';

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

export interface BotAuthenticatorOptions {
  /** Verified tokens remembered (least recently used dropped first); 0 turns the cache off. */
  tokenCacheSize?: number;
}

/** Which key verified a token: a remote key set's (that set), or a configured key or secret (null). */
interface KeyUse {
  keySet: object | null;
  /** False when the remote key set changed while the key was being chosen: not cached. */
  cacheable: boolean;
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
  options: BotAuthenticatorOptions = {},
): BotAuthenticator {
  const allowed = new Set<string>(config.algorithms.filter((a) => a !== ('none' as string)));
  const keys: ConfiguredKey[] = config.publicKeys.map((k) => {
    const key = k.pem ? createPublicKey(k.pem) : createPublicKey({ key: k.jwk as JsonWebKey, format: 'jwk' });
    const algorithms = new Set(algorithmsForPublicKey(key).filter((a) => allowed.has(a)));
    return { kid: k.kid ?? null, key, algorithms };
  });
  const secret =
    config.hs256Secret && allowed.has('HS256') ? createSecretKey(Buffer.from(config.hs256Secret)) : null;
  // jose writes every key set it fetches into this object (a new `jwks` object per fetch), which is how
  // a cached token learns that the key set it was verified with is no longer the current one.
  const jwksState: { jwks?: object; uat?: number } = {};
  const jwks = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl), {
        timeoutDuration: 3000,
        cooldownDuration: 30_000,
        [jwksCache]: jwksState as JWKSCacheInput,
      })
    : null;
  const cache = new VerifiedTokenCache<BotPrincipal>(options.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE);

  /** Whether a cached token would still pass the checks that depend on the time or the key set. */
  function stillValid(entry: CachedToken<BotPrincipal>): boolean {
    if (entry.keySet !== null && (jwks === null || entry.keySet !== jwksState.jwks || !jwks.fresh)) {
      return false;
    }
    // The same comparisons jose makes (whole seconds, the configured tolerance), then the lifetime.
    const now = Math.floor(Date.now() / 1000);
    const tolerance = config.clockToleranceSeconds;
    if (entry.nbf !== undefined && entry.nbf > now + tolerance) return false;
    if (entry.exp <= now - tolerance) return false;
    return !(
      config.maxTokenLifetimeSeconds > 0 && entry.exp - now > config.maxTokenLifetimeSeconds + tolerance
    );
  }

  async function keyFor(
    header: JWTHeaderParameters,
    token: FlattenedJWSInput,
    use: KeyUse,
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
      use.cacheable = false; // until the key is known to come from one unchanged key set
      const before = jwksState.jwks;
      const key = await jwks(header, token);
      if (key instanceof Uint8Array) throw invalid('symmetric key in JWKS');
      const after = jwksState.jwks;
      use.keySet = after ?? null;
      use.cacheable = before !== undefined && before === after;
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
      const cacheKey = cache.maxEntries > 0 ? tokenCacheKey(token) : null;
      if (cacheKey !== null) {
        const hit = cache.get(cacheKey);
        if (hit !== undefined) {
          if (stillValid(hit)) return { ...hit.principal };
          // Lapsed or its key set replaced: forget it and verify in full (which refuses and logs why).
          cache.delete(cacheKey);
        }
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
      const use: KeyUse = { keySet: null, cacheable: true };
      try {
        const result = await jwtVerify(token, (h, t) => keyFor(h, t, use), {
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
      const principal: BotPrincipal = {
        subject: payload.sub ?? payload.iss ?? 'unknown',
        issuer: payload.iss ?? '',
        keyId: header.kid ?? null,
        algorithm: header.alg,
      };
      if (cacheKey !== null && use.cacheable && typeof payload.exp === 'number') {
        cache.set(cacheKey, {
          principal: { ...principal },
          exp: payload.exp,
          ...(typeof payload.nbf === 'number' ? { nbf: payload.nbf } : {}),
          keySet: use.keySet,
        });
      }
      return principal;
    },
  };
}

/** The WWW-Authenticate challenge for a 401 (RFC 6750), naming no failed check. */
export function bearerChallenge(code: string): string {
  return code === 'AUTH_REQUIRED'
    ? 'Bearer realm="fsc-handoff"'
    : 'Bearer realm="fsc-handoff", error="invalid_token"';
}
