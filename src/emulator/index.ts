/**
 * The local org emulator: a stand-in for the Salesforce REST API (OAuth, data API, composite,
 * graph, collections, limits), with Omni-Channel simulated, faults on demand and an admin API.
 * Never imported by the service's production code (only by src/cli and tests).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import type { OrgApi, SObjectRecord } from './org/types';
import { Org } from './org/org';
import { createEmulatorApp } from './http/app';
import { createAdminRouter, type AdminActions } from './http/admin';
import { OAuthServer, SessionStore, type ConnectedAppConfig, type TokenResponse } from './http/auth';
import { Faults, type FaultSettingsInput } from './http/faults';
import { QueryCursors } from './http/query-cursors';
import { RestApi } from './http/rest';
import { ApiUsage } from './http/usage';
import { createRng, randomSfId } from './http/util';
import { OmniSimulator, type OmniOptions } from './omni/omni';
import { loadSeed, parseSeed, readSeedFile, type Seed, type SeedInput, type SeedResult } from './seed/seed';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DEFAULT_FORCE_APP_DIR = path.join(REPO_ROOT, 'force-app');
export const DEFAULT_SEED_FILE = path.join(REPO_ROOT, 'config', 'emulator-seed.json');
/** API versions offered: 31.0 (the oldest Salesforce still serves) to 63.0 (the project's version). */
export const DEFAULT_API_VERSIONS: readonly string[] = Array.from(
  { length: 63 - 31 + 1 },
  (_x, i) => `${31 + i}.0`,
);

export interface EmulatorOptions {
  /** The force-app tree the schema is built from (standard objects + its custom fields/objects). Null: standard objects only. */
  forceAppDir?: string | null;
  /** Seed document, a path to one, or false for an empty org. Default: config/emulator-seed.json. */
  seed?: SeedInput | string | false;
  /** More connected apps besides the seed's. */
  connectedApps?: ConnectedAppConfig[];
  /** The org id (00D…); random by default. */
  orgId?: string;
  /** Session idle timeout (ms): after it every call with the token answers 401. Default 2 h. */
  sessionIdleMs?: number;
  /** Daily API request allocation. Default 100,000. */
  dailyApiLimit?: number;
  /** API versions offered (newest last). Default 31.0–63.0. */
  apiVersions?: string[];
  /** Faults active from the start. */
  faults?: FaultSettingsInput;
  /** Omni-Channel simulator settings (delays, timer). */
  omni?: OmniOptions;
  /** Seed of the PRNG that orders unordered work (composite, graph) and draws fault rates. */
  randomSeed?: number;
  /** Save state to this file on stop() and load it at start when it exists. */
  stateFile?: string;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** An org to use instead of building one (tests of the HTTP layer). */
  org?: OrgApi;
  now?: () => number;
  /** Unexpected errors (never request bodies). */
  onError?: (err: unknown) => void;
}

export interface JwtDevCredentials {
  clientId: string;
  username: string;
  privateKeyPem: string;
  /** Where to send the assertion (the emulator's URL) and what to put in `aud`. */
  loginUrl: string;
  audience: string;
}

export interface Emulator {
  app: Express;
  org: OrgApi;
  omni: OmniSimulator;
  faults: Faults;
  usage: ApiUsage;
  sessions: SessionStore;
  oauth: OAuthServer;
  orgId: string;
  /** The base URL once started (e.g. http://127.0.0.1:54321), '' before. */
  readonly url: string;
  /** Seeded usernames. */
  readonly usernames: string[];
  /** Listens (port 0 = any free port) and returns the URL. */
  start(port?: number): Promise<string>;
  /** Stops listening, stops Omni timers, saves state when `stateFile` is set. */
  stop(): Promise<void>;
  /** Empties the org and loads the current seed again. */
  reset(): SeedResult | undefined;
  /** Replaces the seed (or adds to the current state with merge) and loads it. */
  seed(doc: SeedInput, merge?: boolean): SeedResult;
  /** Mints an access token (no OAuth flow) for a user; default the seed's first user. */
  token(username?: string): TokenResponse;
  /** The JWT bearer dev credentials (client id, pre-authorised username, generated private key). */
  jwt(): JwtDevCredentials | undefined;
  setFaults(input: FaultSettingsInput): void;
  clearFaults(): void;
  calls(): Record<string, number>;
  resetCalls(): void;
  records(sobject: string): SObjectRecord[];
}

function resolveSeed(seed: EmulatorOptions['seed']): Seed | undefined {
  if (seed === false) return undefined;
  if (seed === undefined) return existsSync(DEFAULT_SEED_FILE) ? readSeedFile(DEFAULT_SEED_FILE) : undefined;
  if (typeof seed === 'string') return readSeedFile(seed);
  return parseSeed(seed);
}

interface SavedState {
  version: 1;
  orgId: string;
  org: unknown;
  omni: unknown;
  apps: ConnectedAppConfig[];
  generatedKeys: Record<string, string>;
  usernames: string[];
}

/** Builds an emulator (not listening yet: call start(), or drive `app` with supertest). */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const now = options.now ?? Date.now;
  const rng = createRng(options.randomSeed ?? randomBytes(4).readUInt32LE(0));
  const forceAppDir =
    options.forceAppDir === undefined ? DEFAULT_FORCE_APP_DIR : (options.forceAppDir ?? undefined);
  const org: OrgApi =
    options.org ??
    new Org({
      ...(forceAppDir ? { forceAppDir } : {}),
      apiVersion: '63.0',
      now: () => new Date(now()),
    });
  const saved: SavedState | undefined =
    options.stateFile && existsSync(options.stateFile)
      ? (JSON.parse(readFileSync(options.stateFile, 'utf8')) as SavedState)
      : undefined;
  const builtInOrgId = (org as { organizationId?: unknown }).organizationId;
  const orgId =
    saved?.orgId ??
    options.orgId ??
    (typeof builtInOrgId === 'string' && builtInOrgId !== '' ? builtInOrgId : randomSfId('00D'));
  const versions = options.apiVersions ?? [...DEFAULT_API_VERSIONS];
  const sessions = new SessionStore(orgId, options.sessionIdleMs ?? 2 * 60 * 60 * 1000, now);
  const usage = new ApiUsage(options.dailyApiLimit ?? 100_000);
  const faults = new Faults(rng, now);
  if (options.faults) faults.set(options.faults);
  const omni = new OmniSimulator(org, {
    now,
    ...options.omni,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const cursors = new QueryCursors(now);
  const rest = new RestApi({ org, cursors, versions, limits: () => usage.limits(), rng });

  let currentSeed = resolveSeed(options.seed);
  let apps: ConnectedAppConfig[] = [];
  let generatedKeys: Record<string, string> = {};
  let usernames: string[] = [];
  let server: Server | undefined;
  let url = '';

  const applySeedResult = (r: SeedResult | undefined, merge: boolean): void => {
    if (!merge) {
      apps = [...(options.connectedApps ?? [])];
      generatedKeys = {};
      usernames = [];
    }
    if (r) {
      apps.push(...r.apps);
      Object.assign(generatedKeys, r.generatedKeys);
      usernames.push(...r.usernames);
    }
  };

  const loadCurrent = (): SeedResult | undefined => {
    org.reset();
    omni.reset();
    cursors.clear();
    const r = currentSeed ? loadSeed(org, omni, currentSeed) : undefined;
    applySeedResult(r, false);
    return r;
  };

  /** Loads a seed document: added to the org (merge), or as the new current seed after a reset. */
  const seedWith = (doc: unknown, merge: boolean): SeedResult | undefined => {
    const parsed = parseSeed(doc);
    if (merge) {
      const r = loadSeed(org, omni, parsed);
      applySeedResult(r, true);
      return r;
    }
    currentSeed = parsed;
    return loadCurrent();
  };

  if (saved) {
    org.restore(saved.org);
    omni.restore(saved.omni);
    apps = [...(options.connectedApps ?? []), ...saved.apps];
    generatedKeys = { ...saved.generatedKeys };
    usernames = [...saved.usernames];
  } else {
    loadCurrent();
  }

  const oauth = new OAuthServer({
    org,
    sessions,
    apps: () => apps,
    ownUrls: () => (url ? [url] : []),
    signingKey: randomBytes(32),
  });

  const jwt = (baseUrl?: string): JwtDevCredentials | undefined => {
    for (const app of apps) {
      const key = generatedKeys[app.clientId];
      const username = app.preAuthorizedUsernames[0];
      if (key && username) {
        const loginUrl = baseUrl ?? url;
        return { clientId: app.clientId, username, privateKeyPem: key, loginUrl, audience: loginUrl };
      }
    }
    return undefined;
  };

  const token = (username?: string, baseUrl?: string): TokenResponse => {
    const name = username ?? jwt()?.username ?? usernames[0];
    if (!name) throw new Error('no seeded user to mint a token for');
    return oauth.mint(name, baseUrl ?? url);
  };

  const actions: AdminActions = {
    info: (baseUrl) => ({
      url: url || baseUrl,
      orgId,
      apiVersions: versions,
      usernames,
      connectedApps: apps.map((a) => ({
        clientId: a.clientId,
        label: a.label ?? null,
        jwt: Boolean(a.certificatePem),
        clientCredentials: Boolean(a.clientSecret && a.runAsUsername),
        preAuthorizedUsernames: a.preAuthorizedUsernames,
      })),
    }),
    reset: () => {
      const r = loadCurrent();
      return { ok: true, usernames, seeded: Boolean(r) };
    },
    seed: (doc, merge) => {
      seedWith(doc, merge);
      return { ok: true, usernames };
    },
    getFaults: () => faults.view(),
    setFaults: (input) => {
      const { expireSessions } = faults.set(input);
      if (expireSessions) sessions.expireAll();
      return faults.view();
    },
    expireSessions: () => sessions.expireAll(),
    token: (username, baseUrl) => token(username, baseUrl),
    jwt: (baseUrl) => jwt(url || baseUrl) as Record<string, unknown> | undefined,
    records: (sobject) => org.list(org.describe(sobject).name),
    calls: () => usage.calls(),
    resetCalls: () => usage.resetCalls(),
    setLimits: (input) => {
      if (input.dailyMax !== undefined) usage.dailyMax = input.dailyMax;
      if (input.used !== undefined) usage.used = input.used;
      return usage.limits().DailyApiRequests ?? {};
    },
    agents: () => omni.agents(),
    setPresence: (agent, online) => omni.setPresence(agent, online),
    settle: () => omni.settle(),
    closeWork: (id) => omni.closeWork(id),
  };

  const app = createEmulatorApp({
    rest,
    oauth,
    sessions,
    usage,
    faults,
    versions,
    admin: createAdminRouter(actions),
    ...(options.onError ? { onError: options.onError } : {}),
  });

  omni.start();

  const emulator: Emulator = {
    app,
    org,
    omni,
    faults,
    usage,
    sessions,
    oauth,
    orgId,
    get url() {
      return url;
    },
    get usernames() {
      return [...usernames];
    },
    start: (port = 0) =>
      new Promise<string>((resolve, reject) => {
        if (server) {
          resolve(url);
          return;
        }
        const host = options.host ?? '127.0.0.1';
        const s = app.listen(port, host);
        s.once('error', reject);
        s.once('listening', () => {
          const addr = s.address() as AddressInfo;
          server = s;
          url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`;
          omni.start();
          resolve(url);
        });
      }),
    stop: async () => {
      omni.stop();
      if (options.stateFile) {
        const state: SavedState = {
          version: 1,
          orgId,
          org: org.snapshot(),
          omni: omni.snapshot(),
          apps: apps.filter((a) => !(options.connectedApps ?? []).includes(a)),
          generatedKeys,
          usernames,
        };
        writeFileSync(options.stateFile, JSON.stringify(state));
      }
      const s = server;
      server = undefined;
      url = '';
      if (s) {
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      }
    },
    reset: () => loadCurrent(),
    seed: (doc, merge = false) => seedWith(doc, merge) as SeedResult,
    token: (username) => token(username),
    jwt: () => jwt(),
    setFaults: (input) => {
      actions.setFaults(input);
    },
    clearFaults: () => faults.clear(),
    calls: () => usage.calls(),
    resetCalls: () => usage.resetCalls(),
    records: (sobject) => actions.records(sobject),
  };
  return emulator;
}

export type { ConnectedAppConfig, TokenResponse } from './http/auth';
export type { FaultSettingsInput } from './http/faults';
export type { OmniOptions, AgentView } from './omni/omni';
export type { SeedInput, SeedResult } from './seed/seed';
