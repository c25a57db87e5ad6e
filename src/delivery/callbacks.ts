/**
 * Signed status callbacks: when the bot gave `operational.callbackUrl`, the service POSTs a JWT
 * (HS256 with a shared secret, or RS256 with a private key) on routed, agent_assigned and
 * dead_lettered. Claims: handoffId, status, caseNumber, iat, exp, jti (and iss). Body:
 * `{"token": "<jwt>"}`, also sent as `Authorization: Bearer <jwt>`.
 *
 * Best effort and never in the way of delivery: fire-and-forget with bounded retries (network
 * errors, 429 and 5xx), kept in memory only (the bot can always GET the status URL).
 *
 * The URL must be http(s) and, unless allowInternalHosts, must not point at loopback, link-local or
 * cloud metadata addresses (checked on the literal host and on every address it resolves to;
 * redirects are not followed).
 */
import { randomUUID } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';
import { importPKCS8, SignJWT } from 'jose';
import type { CryptoKey, KeyObject } from 'jose';
import type { DeliveryConfig } from './config';
import type { DeliveryLogger } from './logger';
import { errorMessage, silentLogger } from './logger';
import type { DeliveryMetrics } from './metrics';
import type { StoredHandoff } from './store/types';

export type CallbackStatus = 'routed' | 'agent_assigned' | 'dead_lettered';

export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;
export type LookupFn = (hostname: string) => Promise<string[]>;

export interface StatusCallbacksOptions {
  config: DeliveryConfig['callbacks'];
  logger?: DeliveryLogger;
  metrics?: DeliveryMetrics;
  fetch?: FetchFn;
  lookup?: LookupFn;
  sleep?: (ms: number) => Promise<void>;
  /** Epoch ms. */
  now?: () => number;
}

const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata',
  'metadata.azure.internal',
  'instance-data',
]);

/** Whether an IP address is loopback, link-local (incl. 169.254.169.254), unspecified or a metadata address. */
export function isInternalAddress(ip: string): boolean {
  const v4 = net.isIPv4(ip) ? ip : mappedV4(ip);
  if (v4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    return a === 127 || a === 0 || (a === 169 && b === 254) || v4 === '100.100.100.200';
  }
  const s = ip.toLowerCase();
  return (
    s === '::1' ||
    s === '::' ||
    /^fe[89ab][0-9a-f]:/.test(s) || // fe80::/10 link-local
    s === 'fd00:ec2::254' // AWS IMDS over IPv6
  );
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d or ::ffff:abcd:ef01). */
function mappedV4(ip: string): string | undefined {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (dotted) return dotted;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (!hex) return undefined;
  const hi = Number.parseInt(hex[1]!, 16);
  const lo = Number.parseInt(hex[2]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** Why a callback URL is refused, or null when it may be called. */
export async function checkCallbackUrl(
  raw: string,
  allowInternalHosts: boolean,
  lookup: LookupFn = defaultLookup,
): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return 'only http and https callbacks are allowed';
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  if (allowInternalHosts) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (METADATA_HOSTS.has(host) || host === 'localhost' || host.endsWith('.localhost')) {
    return 'internal or metadata host';
  }
  if (net.isIP(host)) return isInternalAddress(host) ? 'internal or metadata address' : null;
  let addresses: string[];
  try {
    addresses = await lookup(host);
  } catch {
    return 'host does not resolve';
  }
  return addresses.some(isInternalAddress) ? 'resolves to an internal or metadata address' : null;
}

async function defaultLookup(hostname: string): Promise<string[]> {
  const r = await dnsLookup(hostname, { all: true, verbatim: true });
  return r.map((a) => a.address);
}

const realSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export class StatusCallbacks {
  private readonly config: DeliveryConfig['callbacks'];
  private readonly log: DeliveryLogger;
  private readonly metrics: DeliveryMetrics | undefined;
  private readonly fetchFn: FetchFn;
  private readonly lookup: LookupFn;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly pending = new Set<Promise<void>>();
  private keyPromise: Promise<CryptoKey | KeyObject | Uint8Array> | null = null;
  private closed = false;

  constructor(options: StatusCallbacksOptions) {
    this.config = options.config;
    this.log = options.logger ?? silentLogger;
    this.metrics = options.metrics;
    this.fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
    this.lookup = options.lookup ?? defaultLookup;
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
  }

  /** Whether callbacks can be sent at all (a signing key is configured). */
  get enabled(): boolean {
    return this.config.signing !== undefined;
  }

  /** Queues a callback for this record if it has a callback URL; returns at once. */
  notify(record: StoredHandoff, status: CallbackStatus): void {
    if (!record.callbackUrl || !this.enabled || this.closed) return;
    const p = this.send(record.callbackUrl, record, status).catch((err: unknown) => {
      this.log.warn('status callback failed', { handoffId: record.handoffId, error: errorMessage(err) });
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Waits (at most timeoutMs) for callbacks in flight; later ones are dropped. */
  async close(timeoutMs = 2_000): Promise<void> {
    this.closed = true;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.pending]),
      new Promise<void>((resolve) => {
        t = setTimeout(resolve, timeoutMs);
        t.unref();
      }),
    ]);
    clearTimeout(t);
  }

  /** The signed token for one status change (exported for tests and for the bot's verification docs). */
  async sign(
    record: Pick<StoredHandoff, 'handoffId' | 'caseNumber'>,
    status: CallbackStatus,
  ): Promise<string> {
    const signing = this.config.signing;
    if (!signing) throw new Error('no callback signing key configured');
    const key = await this.key();
    const iat = Math.floor(this.now() / 1000);
    const header =
      signing.alg === 'RS256'
        ? { alg: 'RS256', typ: 'JWT', ...(signing.kid ? { kid: signing.kid } : {}) }
        : { alg: 'HS256', typ: 'JWT' };
    return new SignJWT({ handoffId: record.handoffId, status, caseNumber: record.caseNumber })
      .setProtectedHeader(header)
      .setIssuer(this.config.issuer)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.config.tokenTtlSeconds)
      .setJti(randomUUID())
      .sign(key);
  }

  private key(): Promise<CryptoKey | KeyObject | Uint8Array> {
    const signing = this.config.signing;
    if (!signing) return Promise.reject(new Error('no callback signing key configured'));
    this.keyPromise ??=
      signing.alg === 'HS256'
        ? Promise.resolve(new TextEncoder().encode(signing.secret))
        : importPKCS8(signing.privateKeyPem, 'RS256');
    return this.keyPromise;
  }

  private async send(url: string, record: StoredHandoff, status: CallbackStatus): Promise<void> {
    const refused = await checkCallbackUrl(url, this.config.allowInternalHosts, this.lookup);
    if (refused) {
      this.metrics?.callbacks.inc({ result: 'refused' });
      this.log.warn('status callback refused', { handoffId: record.handoffId, reason: refused });
      return;
    }
    for (let attempt = 1; attempt <= this.config.maxAttempts; attempt++) {
      let retryable: boolean;
      let why: string;
      try {
        // A fresh token (and jti) per attempt: a receiver that rejects replays still accepts a retry.
        const token = await this.sign(record, status);
        const res = await this.fetchFn(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ token }),
          redirect: 'manual',
          signal: AbortSignal.timeout(this.config.timeoutMs),
        });
        await res.body?.cancel().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) {
          this.metrics?.callbacks.inc({ result: 'sent' });
          return;
        }
        retryable = res.status === 429 || res.status >= 500;
        why = `HTTP ${res.status}`;
      } catch (err) {
        retryable = true;
        why = errorMessage(err);
      }
      if (!retryable || attempt === this.config.maxAttempts) {
        this.metrics?.callbacks.inc({ result: 'failed' });
        this.log.warn('status callback not delivered', { handoffId: record.handoffId, status, attempt, why });
        return;
      }
      await this.sleep(this.config.baseDelayMs * 2 ** (attempt - 1));
    }
  }
}
