import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeJwt, errors as joseErrors, importX509, jwtVerify } from 'jose';
import type { OrgApi, SObjectRecord } from '../org/types';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const LOGIN_AUDIENCES = ['https://login.salesforce.com', 'https://test.salesforce.com'];
/** A JWT bearer assertion may live at most this long (seconds). */
export const MAX_ASSERTION_LIFETIME_S = 180;

/** A connected app (or External Client App) as the emulator knows it. */
export interface ConnectedAppConfig {
  /** Consumer key. */
  clientId: string;
  label?: string;
  /** X.509 certificate (PEM) registered for the JWT bearer flow. */
  certificatePem?: string;
  /** Consumer secret, for the client-credentials flow. */
  clientSecret?: string;
  /** Run-as user of the client-credentials flow; the flow is off without one. */
  runAsUsername?: string;
  /** Users the admin pre-authorised for the JWT bearer flow ("Admin approved users are pre-authorized"). */
  preAuthorizedUsernames: string[];
}

export interface Session {
  accessToken: string;
  userId: string;
  username: string;
  clientId: string;
  issuedAt: number;
  lastUsed: number;
}

/** An OAuth error as Salesforce's token endpoint answers it: HTTP 400 `{error, error_description}`. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(`${error}: ${description}`);
  }
}

/** Access tokens: sessions that end after an idle time, or all at once on demand. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    readonly orgId: string,
    public idleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(user: { Id: string; Username: string }, clientId: string): Session {
    const t = this.now();
    const accessToken = `${this.orgId.slice(0, 15)}!${randomBytes(48).toString('base64url')}`;
    const s: Session = {
      accessToken,
      userId: user.Id,
      username: user.Username,
      clientId,
      issuedAt: t,
      lastUsed: t,
    };
    this.sessions.set(accessToken, s);
    return s;
  }

  /** The live session for a token (and resets its idle timer), or undefined. */
  check(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const s = this.sessions.get(token);
    if (!s) return undefined;
    const t = this.now();
    if (t - s.lastUsed > this.idleMs) {
      this.sessions.delete(token);
      return undefined;
    }
    s.lastUsed = t;
    return s;
  }

  /** Ends every current session. */
  expireAll(): number {
    const n = this.sessions.size;
    this.sessions.clear();
    return n;
  }

  get size(): number {
    return this.sessions.size;
  }
}

export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const m = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(authorization.trim());
  return m?.[1]?.trim();
}

export interface OAuthDeps {
  org: OrgApi;
  sessions: SessionStore;
  apps: () => ConnectedAppConfig[];
  /** The emulator's own base URLs accepted as JWT `aud` (besides login/test.salesforce.com). */
  ownUrls: () => string[];
  signingKey: Buffer;
}

export function findUser(org: OrgApi, username: string): SObjectRecord | undefined {
  const u = username.toLowerCase();
  return org.list('User').find((r) => typeof r.Username === 'string' && r.Username.toLowerCase() === u);
}

function isActive(user: SObjectRecord): boolean {
  return user.IsActive !== false;
}

export interface TokenResponse {
  access_token: string;
  signature: string;
  scope: string;
  instance_url: string;
  id: string;
  token_type: 'Bearer';
  issued_at: string;
  token_format?: string;
}

/** The OAuth 2.0 token endpoint (`POST /services/oauth2/token`): JWT bearer and client credentials. */
export class OAuthServer {
  constructor(private readonly deps: OAuthDeps) {}

  identityUrl(baseUrl: string, userId: string): string {
    return `${baseUrl}/id/${this.deps.sessions.orgId}/${userId}`;
  }

  tokenResponse(baseUrl: string, session: Session, extra: Partial<TokenResponse> = {}): TokenResponse {
    const id = this.identityUrl(baseUrl, session.userId);
    const issuedAt = String(session.issuedAt);
    const signature = createHmac('sha256', this.deps.signingKey)
      .update(id + issuedAt)
      .digest('base64');
    return {
      access_token: session.accessToken,
      signature,
      scope: 'api',
      instance_url: baseUrl,
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
      ...extra,
    };
  }

  async token(
    params: Record<string, unknown>,
    basicAuth: string | undefined,
    baseUrl: string,
  ): Promise<TokenResponse> {
    const grantType = typeof params.grant_type === 'string' ? params.grant_type : undefined;
    if (grantType === JWT_BEARER_GRANT) return this.jwtBearer(params, baseUrl);
    if (grantType === 'client_credentials') return this.clientCredentials(params, basicAuth, baseUrl);
    throw new OAuthError('unsupported_grant_type', 'grant type not supported');
  }

  private async jwtBearer(params: Record<string, unknown>, baseUrl: string): Promise<TokenResponse> {
    const assertion = params.assertion;
    if (typeof assertion !== 'string' || assertion === '') {
      throw new OAuthError('invalid_grant', 'invalid assertion');
    }
    let claims: ReturnType<typeof decodeJwt>;
    try {
      claims = decodeJwt(assertion);
    } catch {
      throw new OAuthError('invalid_grant', 'invalid assertion');
    }
    const app = this.deps.apps().find((a) => a.clientId === claims.iss);
    if (!app) throw new OAuthError('invalid_client_id', 'client identifier invalid');
    if (!app.certificatePem) throw new OAuthError('invalid_grant', 'invalid assertion');
    const audiences = [...LOGIN_AUDIENCES, ...this.deps.ownUrls(), baseUrl];
    try {
      const key = await importX509(app.certificatePem, 'RS256');
      await jwtVerify(assertion, key, {
        algorithms: ['RS256'],
        issuer: app.clientId,
        audience: audiences.flatMap((a) => [a, `${a}/`]),
        requiredClaims: ['exp', 'sub', 'aud'],
      });
    } catch (e) {
      if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'aud') {
        throw new OAuthError('invalid_grant', 'audience is invalid');
      }
      if (e instanceof joseErrors.JWTExpired)
        throw new OAuthError('invalid_grant', 'invalid assertion: expired');
      throw new OAuthError('invalid_grant', 'invalid assertion');
    }
    // Salesforce documents `exp` as seconds since the epoch, "within 3 minutes". The stricter reading
    // refuses an assertion that claims a longer life; a Date.now()-style millisecond `exp` reads as
    // thousands of years ahead and is refused too.
    if (
      typeof claims.exp === 'number' &&
      claims.exp - Math.floor(Date.now() / 1000) > MAX_ASSERTION_LIFETIME_S
    ) {
      throw new OAuthError('invalid_grant', 'invalid assertion: exp is more than 3 minutes away');
    }
    const username = typeof claims.sub === 'string' ? claims.sub : '';
    const user = findUser(this.deps.org, username);
    if (!user || !isActive(user)) throw new OAuthError('invalid_grant', 'invalid user');
    const approved = app.preAuthorizedUsernames.some((u) => u.toLowerCase() === username.toLowerCase());
    if (!approved) throw new OAuthError('invalid_grant', "user hasn't approved this consumer");
    const session = this.deps.sessions.issue(user as SObjectRecord & { Username: string }, app.clientId);
    return this.tokenResponse(baseUrl, session);
  }

  private clientCredentials(
    params: Record<string, unknown>,
    basicAuth: string | undefined,
    baseUrl: string,
  ): TokenResponse {
    let clientId = typeof params.client_id === 'string' ? params.client_id : undefined;
    let clientSecret = typeof params.client_secret === 'string' ? params.client_secret : undefined;
    if (basicAuth) {
      const m = /^Basic\s+(.+)$/i.exec(basicAuth.trim());
      if (m?.[1]) {
        const decoded = Buffer.from(m[1], 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) {
          clientId = decodeURIComponent(decoded.slice(0, colon));
          clientSecret = decodeURIComponent(decoded.slice(colon + 1));
        }
      }
    }
    if (!clientId) throw new OAuthError('invalid_client_id', 'client identifier invalid');
    const app = this.deps.apps().find((a) => a.clientId === clientId);
    if (!app) throw new OAuthError('invalid_client_id', 'client identifier invalid');
    const expected = app.clientSecret;
    if (
      !expected ||
      !clientSecret ||
      expected.length !== clientSecret.length ||
      !timingSafeEqual(Buffer.from(expected), Buffer.from(clientSecret))
    ) {
      throw new OAuthError('invalid_client', 'invalid client credentials');
    }
    if (!app.runAsUsername) throw new OAuthError('invalid_grant', 'no client credentials user enabled');
    const user = findUser(this.deps.org, app.runAsUsername);
    if (!user || !isActive(user)) throw new OAuthError('invalid_grant', 'no client credentials user enabled');
    const session = this.deps.sessions.issue(user as SObjectRecord & { Username: string }, app.clientId);
    return this.tokenResponse(baseUrl, session, { token_format: 'opaque' });
  }

  /** Mints a token without a grant (the admin API's `POST /__emulator/token`). */
  mint(username: string, baseUrl: string): TokenResponse {
    const user = findUser(this.deps.org, username);
    if (!user) throw new OAuthError('invalid_grant', 'invalid user');
    const session = this.deps.sessions.issue(user as SObjectRecord & { Username: string }, 'emulator-admin');
    return this.tokenResponse(baseUrl, session);
  }

  userinfo(baseUrl: string, session: Session): Record<string, unknown> {
    const user = this.userRecord(session);
    const name = [user.FirstName, user.LastName].filter((x) => typeof x === 'string').join(' ');
    return {
      sub: this.identityUrl(baseUrl, session.userId),
      user_id: session.userId,
      organization_id: this.deps.sessions.orgId,
      preferred_username: session.username,
      nickname: typeof user.Alias === 'string' ? user.Alias : session.username.split('@')[0],
      name,
      email: typeof user.Email === 'string' ? user.Email : session.username,
      email_verified: true,
      given_name: typeof user.FirstName === 'string' ? user.FirstName : null,
      family_name: typeof user.LastName === 'string' ? user.LastName : null,
      zoneinfo: typeof user.TimeZoneSidKey === 'string' ? user.TimeZoneSidKey : 'Europe/London',
      active: isActive(user),
      user_type: 'STANDARD',
      language: typeof user.LanguageLocaleKey === 'string' ? user.LanguageLocaleKey : 'en_US',
      locale: typeof user.LocaleSidKey === 'string' ? user.LocaleSidKey : 'en_GB',
      utcOffset: 0,
      is_app_installed: true,
    };
  }

  identity(baseUrl: string, session: Session): Record<string, unknown> {
    const user = this.userRecord(session);
    const display = [user.FirstName, user.LastName].filter((x) => typeof x === 'string').join(' ');
    const v = '63.0';
    return {
      id: this.identityUrl(baseUrl, session.userId),
      asserted_user: true,
      user_id: session.userId,
      organization_id: this.deps.sessions.orgId,
      username: session.username,
      nick_name: typeof user.Alias === 'string' ? user.Alias : session.username.split('@')[0],
      display_name: display,
      email: typeof user.Email === 'string' ? user.Email : session.username,
      active: isActive(user),
      user_type: 'STANDARD',
      language: 'en_US',
      locale: 'en_GB',
      utcOffset: 0,
      urls: {
        rest: `${baseUrl}/services/data/v{version}/`,
        sobjects: `${baseUrl}/services/data/v{version}/sobjects/`,
        query: `${baseUrl}/services/data/v{version}/query/`,
        limits: `${baseUrl}/services/data/v{version}/limits/`,
        profile: `${baseUrl}/${session.userId}`,
        custom_domain: baseUrl,
      },
      is_app_installed: true,
      last_modified_date: new Date(session.issuedAt).toISOString().replace('Z', '+0000'),
      apiVersion: v,
    };
  }

  private userRecord(session: Session): SObjectRecord {
    return findUser(this.deps.org, session.username) ?? { Id: session.userId, Username: session.username };
  }
}
