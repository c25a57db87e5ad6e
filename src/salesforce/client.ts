/**
 * The one module that talks to Salesforce: login by OAuth 2.0 JWT bearer or client credentials
 * (jsforce's OAuth2), an explicit API version, a token re-minted once when Salesforce refuses the
 * session, the composite graph call, SOQL, org ids by DeveloperName, and a call counter.
 *
 * The data calls go out through ./http (node's client, keep-alive), not jsforce's request pipeline,
 * which cost about three times as much CPU per call. Neither login flow returns a refresh token, so
 * an expired session is answered by minting a new token the same way as the first login; concurrent
 * calls refused with the same token wait for one mint. The jsforce connection stays for tests
 * reading records back, with the same token and the same re-login (refreshAfter).
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { Connection, OAuth2 } from 'jsforce/core';
import { SignJWT } from 'jose';
import type { CompositeGraph, ResolvedIds } from '../plan/graph';
import type { SalesforceMapping } from '../plan/mapping';
import { scrubText } from '../redact';
import { firstSalesforceError, salesforceErrorFromCode, SalesforceError, toSalesforceError } from './errors';
import { createDataTransport, type DataRequest, type DataResponse } from './http';

/** Minimal logger (winston-compatible). */
export interface Logger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}

/**
 * What the client needs (structurally the `salesforce` section of the service configuration).
 * JWT bearer when a private key (PEM text or file) is given, client credentials when a secret is.
 */
export interface SalesforceClientConfig {
  /** Token endpoint host: https://login.salesforce.com, https://test.salesforce.com, My Domain, or the emulator. */
  loginUrl: string;
  /** Normally taken from the token response. */
  instanceUrl?: string;
  clientId?: string;
  /** Integration user (JWT bearer). */
  username?: string;
  privateKey?: string;
  privateKeyFile?: string;
  clientSecret?: string;
  /** JWT `aud`; default the loginUrl (login/test.salesforce.com, or My Domain). */
  audience?: string;
  /** Default '63.0'. */
  apiVersion?: string;
  /** JWT lifetime in seconds (Salesforce wants a few minutes). Default 180. */
  jwtLifetimeSeconds?: number;
  /** Per-request timeout. Default 120 s. */
  requestTimeoutMs?: number;
}

export interface SubrequestResult {
  body: unknown;
  httpHeaders?: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}

export interface GraphResult {
  graphId: string;
  isSuccessful: boolean;
  compositeResponse: SubrequestResult[];
}

export interface SendGraphsResult {
  graphs: GraphResult[];
  /** HTTP requests to the data API this call made (1, or 2 when a re-login retried it). */
  apiCalls: number;
}

export interface CallCounts {
  /** Data API requests (REST, query, composite): what counts against the org's API allocation. */
  api: number;
  /** OAuth token requests. */
  token: number;
}

export interface SalesforceClient {
  readonly apiVersion: string;
  /** Logs in (once; concurrent callers share the login). Other methods log in when needed. */
  login(): Promise<void>;
  sendGraphs(graphs: CompositeGraph[]): Promise<SendGraphsResult>;
  query<T = Record<string, unknown>>(soql: string): Promise<T[]>;
  /**
   * Skill, ServiceChannel and queue ids by DeveloperName, fetched once in ONE API call and cached.
   * Names in `required` that the org lacks fail with a configuration error naming them.
   */
  resolveIds(
    mapping: SalesforceMapping,
    required?: { skills?: string[]; queues?: string[] },
  ): Promise<ResolvedIds>;
  calls(): CallCounts;
  /** The jsforce connection (tests read records back through it). */
  connection(): Connection;
}

interface TokenResult {
  access_token: string;
  instance_url: string;
  id?: string;
}

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** One data call sends its request at most this often (the first, and again after a refused session). */
const MAX_SENDS_PER_CALL = 3;

function soqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function createSalesforceClient(config: SalesforceClientConfig, logger: Logger): SalesforceClient {
  const apiVersion = config.apiVersion ?? '63.0';
  const loginUrl = config.loginUrl.replace(/\/+$/, '');
  const timeout = config.requestTimeoutMs ?? 120_000;
  const privateKeyPem =
    config.privateKey ?? (config.privateKeyFile ? readFileSync(config.privateKeyFile, 'utf8') : undefined);
  const flow: 'jwt_bearer' | 'client_credentials' = privateKeyPem ? 'jwt_bearer' : 'client_credentials';
  if (!config.clientId) throw configError('salesforce.clientId is required');
  if (flow === 'jwt_bearer' && !config.username)
    throw configError('salesforce.username is required for JWT bearer');
  if (flow === 'client_credentials' && !config.clientSecret) {
    throw configError('salesforce needs a private key (JWT bearer) or a client secret (client credentials)');
  }
  const signingKey = privateKeyPem ? createPrivateKey(privateKeyPem) : undefined;

  const counts: CallCounts = { api: 0, token: 0 };
  /** Mints since the last successful data call: a second mint in a row means the new token is refused too. */
  let mintsWithoutSuccess = 0;

  // JWT: only grant_type and assertion go to the token endpoint (no client id/secret on OAuth2).
  const oauth2 =
    flow === 'jwt_bearer'
      ? new OAuth2({ loginUrl })
      : new OAuth2({ loginUrl, clientId: config.clientId, clientSecret: config.clientSecret });

  async function assertion(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return (
      new SignJWT({})
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer(config.clientId ?? '')
        .setSubject(config.username ?? '')
        .setAudience((config.audience ?? loginUrl).replace(/\/+$/, ''))
        .setIssuedAt(now)
        // Seconds since the epoch, a few minutes ahead (not Date.now() milliseconds).
        .setExpirationTime(now + (config.jwtLifetimeSeconds ?? 180))
        .sign(signingKey as NonNullable<typeof signingKey>)
    );
  }

  async function mint(): Promise<TokenResult> {
    counts.token += 1;
    try {
      const params: { grant_type: string; [name: string]: string } =
        flow === 'jwt_bearer'
          ? { grant_type: JWT_GRANT, assertion: await assertion() }
          : { grant_type: 'client_credentials' };
      const res = (await oauth2.requestToken(params)) as unknown as TokenResult;
      if (!res.access_token || !res.instance_url)
        throw new Error('token response without access_token/instance_url');
      logger.info('salesforce login', { flow, instanceUrl: res.instance_url });
      return res;
    } catch (err) {
      const message = scrubText(err instanceof Error ? err.message : String(err));
      logger.error('salesforce login failed', { flow, error: message });
      throw new SalesforceError({
        code: 'SALESFORCE_AUTH_FAILED',
        message: `Salesforce login (${flow}) failed: ${message}`,
        // A refused credential will not fix itself, but it is not a handoff's fault either: the
        // delivery worker retries later and the readiness check shows it.
        retry: 'transient',
        cause: err,
      });
    }
  }

  const conn = new Connection({
    oauth2,
    version: apiVersion,
    ...(config.instanceUrl ? { instanceUrl: config.instanceUrl } : {}),
    // The tests' reads through this connection re-login the way the data calls do (refreshAfter).
    refreshFn: (c, callback) => {
      refreshAfter(c.accessToken ?? '').then(
        () => {
          callback(null, c.accessToken ?? '');
        },
        (err: unknown) => {
          callback(err instanceof Error ? err : new Error(String(err)));
        },
      );
    },
  });

  let loginPromise: Promise<void> | undefined;
  function login(): Promise<void> {
    if (conn.accessToken) return Promise.resolve();
    loginPromise ??= mint().then(
      (res) => {
        conn.accessToken = res.access_token;
        conn.instanceUrl = config.instanceUrl ?? res.instance_url;
        loginPromise = undefined;
      },
      (err: unknown) => {
        loginPromise = undefined;
        throw err;
      },
    );
    return loginPromise;
  }

  const transport = createDataTransport({ timeoutMs: timeout });

  /**
   * A new token after Salesforce refused `staleToken`, minted once however many calls were refused
   * with it (they wait for the same mint). Refused again right after a re-mint: no further mint.
   */
  let refreshing: Promise<void> | undefined;
  async function refreshAfter(staleToken: string): Promise<void> {
    if (conn.accessToken !== staleToken) return; // another call re-minted already
    refreshing ??= (async () => {
      if (mintsWithoutSuccess >= 1) {
        throw new SalesforceError({
          code: 'SALESFORCE_AUTH_FAILED',
          message: 'Salesforce refused the session again right after re-login',
          retry: 'transient',
          salesforceCode: 'INVALID_SESSION_ID',
        });
      }
      mintsWithoutSuccess += 1;
      logger.warn('salesforce session expired; minting a new token');
      const res = await mint();
      conn.accessToken = res.access_token;
      conn.instanceUrl = config.instanceUrl ?? res.instance_url;
    })().finally(() => {
      refreshing = undefined;
    });
    await refreshing;
  }

  /**
   * One data API request, counted, classified; re-sent once with a new token when Salesforce says
   * the session expired (401). No other retry here: the delivery worker decides.
   */
  async function call<T>(request: DataRequest, write: boolean): Promise<{ body: T; apiCalls: number }> {
    await login(); // a failed login says so itself (SALESFORCE_AUTH_FAILED, logged once)
    let apiCalls = 0;
    try {
      for (;;) {
        const token = conn.accessToken ?? '';
        counts.api += 1;
        apiCalls += 1;
        const res = await transport.send(conn.instanceUrl, token, request);
        // Refused: a new token and the same request again, three sends at most whatever other
        // calls' logins do meanwhile.
        if (res.status === 401 && apiCalls < MAX_SENDS_PER_CALL) {
          await refreshAfter(token);
          continue;
        }
        if (res.status >= 400) throw httpError(res);
        mintsWithoutSuccess = 0;
        return { body: res.body as T, apiCalls };
      }
    } catch (err) {
      const e = toSalesforceError(err, write);
      logger.warn('salesforce request failed', {
        method: request.method,
        url: request.url.replace(/\?.*$/, ''),
        code: e.code,
        retry: e.retry,
        error: e.message,
      });
      throw Object.assign(e, { apiCalls });
    }
  }

  const base = `/services/data/v${apiVersion}`;

  /**
   * Not async itself: an async function keeps its parameters for as long as it waits, and the
   * graphs (a few hundred small objects per handoff) would then live until Salesforce answers.
   * Only the body built from them is kept, as a Buffer (sent again after a re-login; see DataRequest).
   */
  function sendGraphs(graphs: CompositeGraph[]): Promise<SendGraphsResult> {
    let json: Buffer;
    try {
      json = Buffer.from(JSON.stringify({ graphs }));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return sendGraphsBody(json);
  }

  async function sendGraphsBody(json: Buffer): Promise<SendGraphsResult> {
    const { body, apiCalls } = await call<{ graphs?: unknown }>(
      {
        method: 'POST',
        url: `${base}/composite/graph`,
        body: json,
        headers: {
          'Content-Type': 'application/json',
          // The service sets the owner itself (queue) or routes by PSR: no assignment rules.
          'Sforce-Auto-Assign': 'FALSE',
        },
      },
      true,
    );
    const list = Array.isArray(body.graphs) ? (body.graphs as Record<string, unknown>[]) : undefined;
    if (!list) {
      throw Object.assign(
        new SalesforceError({
          code: 'SALESFORCE_BAD_RESPONSE',
          message: 'composite/graph answered without a graphs array',
          retry: 'unknown_outcome',
        }),
        { apiCalls },
      );
    }
    const parsed: GraphResult[] = list.map((g) => {
      const response = (g.graphResponse ?? {}) as { compositeResponse?: SubrequestResult[] };
      return {
        graphId: String(g.graphId),
        isSuccessful: g.isSuccessful === true,
        compositeResponse: Array.isArray(response.compositeResponse) ? response.compositeResponse : [],
      };
    });
    return { graphs: parsed, apiCalls };
  }

  async function query<T>(soql: string): Promise<T[]> {
    const records: T[] = [];
    let next: string | undefined = `${base}/query?q=${encodeURIComponent(soql)}`;
    while (next) {
      const { body }: { body: { records?: T[]; nextRecordsUrl?: string; done?: boolean } } = await call(
        { method: 'GET', url: next },
        false,
      );
      records.push(...(body.records ?? []));
      next = body.done === false && body.nextRecordsUrl ? body.nextRecordsUrl : undefined;
    }
    return records;
  }

  let idsPromise: Promise<ResolvedIds> | undefined;
  let idsKey = '';

  async function fetchIds(mapping: SalesforceMapping): Promise<ResolvedIds> {
    // Skill, ServiceChannel and Group are different objects and SOQL cannot join them, so the three
    // queries go out as subrequests of ONE /composite request (at most 5 queries are allowed there):
    // one API call at start-up instead of three. The result is cached for the life of the process
    // (ids never change in an org; a redeploy restarts the service).
    const q = (soql: string) => `${base}/query?q=${encodeURIComponent(soql)}`;
    const { body } = await call<{ compositeResponse?: SubrequestResult[] }>(
      {
        method: 'POST',
        url: `${base}/composite`,
        body: JSON.stringify({
          allOrNone: false,
          compositeRequest: [
            { method: 'GET', url: q('SELECT Id, DeveloperName FROM Skill'), referenceId: 'skills' },
            {
              method: 'GET',
              url: q(
                `SELECT Id, DeveloperName FROM ServiceChannel WHERE DeveloperName = ${soqlString(mapping.routing.serviceChannel)}`,
              ),
              referenceId: 'channels',
            },
            {
              method: 'GET',
              url: q("SELECT Id, DeveloperName FROM Group WHERE Type = 'Queue'"),
              referenceId: 'queues',
            },
          ],
        }),
        headers: { 'Content-Type': 'application/json' },
      },
      false,
    );
    const byRef = new Map((body.compositeResponse ?? []).map((r) => [r.referenceId, r]));
    const records = (ref: string): { Id: string; DeveloperName: string }[] => {
      const r = byRef.get(ref);
      if (!r || r.httpStatusCode >= 300) {
        throw new SalesforceError({
          code: 'SALESFORCE_CONFIGURATION',
          message: `Reading ${ref} ids failed (HTTP ${r?.httpStatusCode ?? 'no result'}): ${JSON.stringify(r?.body ?? null).slice(0, 300)}`,
          retry: 'transient',
        });
      }
      return ((r.body as { records?: { Id: string; DeveloperName: string }[] }).records ?? []).slice();
    };
    const skills = Object.fromEntries(records('skills').map((x) => [x.DeveloperName, x.Id]));
    const queues = Object.fromEntries(records('queues').map((x) => [x.DeveloperName, x.Id]));
    const channel = records('channels')[0];
    if (!channel) {
      throw configError(
        `Service channel "${mapping.routing.serviceChannel}" does not exist in the org (ServiceChannel.DeveloperName)`,
      );
    }
    return { serviceChannelId: channel.Id, skills, queues };
  }

  async function resolveIds(
    mapping: SalesforceMapping,
    required: { skills?: string[]; queues?: string[] } = {},
  ): Promise<ResolvedIds> {
    const key = mapping.routing.serviceChannel;
    if (!idsPromise || idsKey !== key) {
      idsKey = key;
      idsPromise = fetchIds(mapping);
      idsPromise.catch(() => {
        idsPromise = undefined;
      });
    }
    const ids = await idsPromise;
    const missingSkills = (required.skills ?? []).filter((s) => !ids.skills[s]);
    const missingQueues = (required.queues ?? []).filter((s) => !ids.queues[s]);
    if (missingSkills.length > 0 || missingQueues.length > 0) {
      const parts = [
        missingSkills.length > 0 ? `skills ${missingSkills.join(', ')}` : '',
        missingQueues.length > 0 ? `queues ${missingQueues.join(', ')}` : '',
      ].filter(Boolean);
      throw configError(`The org has no ${parts.join(' and ')} (by DeveloperName)`);
    }
    return ids;
  }

  return {
    apiVersion,
    login,
    sendGraphs,
    query,
    resolveIds,
    calls: () => ({ ...counts }),
    connection: () => conn,
  };
}

/** A data API answer with an error status, classified by Salesforce's errorCode (or the status). */
function httpError(res: DataResponse): SalesforceError {
  const first = firstSalesforceError(res.body);
  if (first) return salesforceErrorFromCode(first.code, first.message);
  const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body ?? '');
  return salesforceErrorFromCode(`ERROR_HTTP_${res.status}`, text.slice(0, 300) || `HTTP ${res.status}`);
}

function configError(message: string): SalesforceError {
  return new SalesforceError({ code: 'SALESFORCE_CONFIGURATION', message, retry: 'permanent', status: 500 });
}

/** The API calls an error carries (set by the client), 0 when it never reached Salesforce. */
export function apiCallsOf(err: unknown): number {
  const n = (err as { apiCalls?: unknown } | null)?.apiCalls;
  return typeof n === 'number' ? n : 0;
}
