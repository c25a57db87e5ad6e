/**
 * Which environment variable sets which configuration key. The table is used both ways: to build the
 * raw configuration from the environment, and to tell the user which variable to set when a key is
 * wrong or missing.
 */

export type EnvKind =
  'string' | 'int' | 'bool' | 'list' | 'array' | 'publicKeys' | 'store' | 'callbackSecret' | 'tokens';

export interface EnvBinding {
  env: string;
  /** Dotted path in the configuration. */
  path: string;
  kind: EnvKind;
  /** Never echo the value, even in problems. */
  secret?: boolean;
  help?: string;
}

export const ENV_BINDINGS: readonly EnvBinding[] = [
  { env: 'HOST', path: 'server.host', kind: 'string' },
  { env: 'PORT', path: 'server.port', kind: 'int' },
  { env: 'PUBLIC_BASE_URL', path: 'server.publicBaseUrl', kind: 'string' },
  { env: 'HTTP_BODY_LIMIT_BYTES', path: 'server.bodyLimitBytes', kind: 'int' },
  { env: 'HEAP_GROWING_PERCENT', path: 'server.heapGrowingPercent', kind: 'int' },
  { env: 'HEAP_HEADROOM_MB', path: 'server.heapHeadroomMb', kind: 'int' },
  { env: 'ALLOCATION_SITE_PRETENURING', path: 'server.allocationSitePretenuring', kind: 'bool' },
  { env: 'LOG_LEVEL', path: 'logging.level', kind: 'string' },

  { env: 'BOT_AUTH_ISSUER', path: 'botAuth.issuer', kind: 'list', help: 'comma-separated for several' },
  { env: 'BOT_AUTH_AUDIENCE', path: 'botAuth.audience', kind: 'list', help: 'comma-separated for several' },
  { env: 'BOT_AUTH_JWKS_URL', path: 'botAuth.jwksUrl', kind: 'string' },
  {
    env: 'BOT_AUTH_PUBLIC_KEYS',
    path: 'botAuth.publicKeys',
    kind: 'publicKeys',
    help: 'PEM public key(s), a JWK or a JWKS',
  },
  { env: 'BOT_AUTH_HS256_SECRET', path: 'botAuth.hs256Secret', kind: 'string', secret: true },
  { env: 'BOT_AUTH_ALGORITHMS', path: 'botAuth.algorithms', kind: 'array' },
  { env: 'BOT_AUTH_CLOCK_TOLERANCE_SECONDS', path: 'botAuth.clockToleranceSeconds', kind: 'int' },

  { env: 'SALESFORCE_MODE', path: 'salesforce.mode', kind: 'string', help: 'org or emulator' },
  { env: 'SALESFORCE_LOGIN_URL', path: 'salesforce.loginUrl', kind: 'string' },
  { env: 'SALESFORCE_INSTANCE_URL', path: 'salesforce.instanceUrl', kind: 'string' },
  { env: 'SALESFORCE_CLIENT_ID', path: 'salesforce.clientId', kind: 'string' },
  { env: 'SALESFORCE_USERNAME', path: 'salesforce.username', kind: 'string' },
  {
    env: 'SALESFORCE_PRIVATE_KEY',
    path: 'salesforce.privateKey',
    kind: 'string',
    secret: true,
    help: 'PEM text, or SALESFORCE_PRIVATE_KEY_FILE; or SALESFORCE_CLIENT_SECRET for client credentials',
  },
  { env: 'SALESFORCE_PRIVATE_KEY_FILE', path: 'salesforce.privateKeyFile', kind: 'string' },
  { env: 'SALESFORCE_CLIENT_SECRET', path: 'salesforce.clientSecret', kind: 'string', secret: true },
  { env: 'SALESFORCE_AUDIENCE', path: 'salesforce.audience', kind: 'string' },
  { env: 'SALESFORCE_API_VERSION', path: 'salesforce.apiVersion', kind: 'string' },

  {
    env: 'HANDOFF_STORE_URL',
    path: 'delivery.store',
    kind: 'store',
    secret: true,
    help: 'postgres://… or a SQLite file path',
  },
  {
    env: 'HANDOFF_STORE_THREAD',
    path: 'delivery.store.thread',
    kind: 'bool',
    help: 'SQLite only: false runs the store on the request thread',
  },
  {
    env: 'HANDOFF_STORE_SHARED',
    path: 'delivery.store.shared',
    kind: 'bool',
    help: 'SQLite only: true when several service processes accept into one file',
  },
  { env: 'DELIVERY_LATENCY_BUDGET_MS', path: 'delivery.latencyBudgetMs', kind: 'int' },
  { env: 'DELIVERY_MAX_ATTEMPTS', path: 'delivery.retry.maxAttempts', kind: 'int' },
  {
    env: 'CALLBACK_SIGNING_SECRET',
    path: 'delivery.callbacks.signing',
    kind: 'callbackSecret',
    secret: true,
  },
  {
    env: 'DIALOGFLOW_CX_WEBHOOK_TOKENS',
    path: 'adapterAuth.dialogflowCx.tokens',
    kind: 'tokens',
    secret: true,
    help: 'comma-separated, each at least 16 characters',
  },
  {
    env: 'LEX_V2_WEBHOOK_TOKENS',
    path: 'adapterAuth.lexV2.tokens',
    kind: 'tokens',
    secret: true,
    help: 'comma-separated, each at least 16 characters',
  },
  {
    env: 'RASA_WEBHOOK_TOKENS',
    path: 'adapterAuth.rasa.tokens',
    kind: 'tokens',
    secret: true,
    help: 'comma-separated, each at least 16 characters',
  },
  { env: 'ENRICHMENT_DEDUPE_WINDOW_SECONDS', path: 'enrichment.dedupeWindowSeconds', kind: 'int' },
];

/** The binding whose path is the given path or one of its parents (most specific first). */
export function bindingFor(path: string): EnvBinding | undefined {
  let best: EnvBinding | undefined;
  for (const b of ENV_BINDINGS) {
    if (path === b.path || path.startsWith(`${b.path}.`)) {
      if (!best || b.path.length > best.path.length) best = b;
    }
  }
  return best;
}

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
}

/** Public keys from env text: PEM block(s), one JWK, or a JWKS `{ keys: [...] }`. */
export function parsePublicKeysText(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { keys?: unknown }).keys)) {
        return (parsed as { keys: Record<string, unknown>[] }).keys.map((jwk) => ({
          ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}),
          jwk,
        }));
      }
      const jwk = parsed as Record<string, unknown>;
      return [{ ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}), jwk }];
    } catch {
      return [{ jwk: 'not JSON' }];
    }
  }
  const pems = splitPem(trimmed.replace(/\\n/g, '\n'));
  return pems.length > 0 ? pems.map((pem) => ({ pem })) : [{ pem: trimmed }];
}

/** HANDOFF_STORE_URL → the delivery store section. */
export function parseStoreUrl(text: string): unknown {
  if (/^postgres(ql)?:\/\//i.test(text)) return { kind: 'postgres', connectionString: text };
  const path = text.replace(/^(sqlite|file):(\/\/)?/i, '');
  return { kind: 'sqlite', path };
}

/** Turns one env value into the shape the schema expects; leaves it as a string when it cannot. */
export function convertEnvValue(kind: EnvKind, raw: string): unknown {
  switch (kind) {
    case 'int':
      return /^-?\d+$/.test(raw.trim()) ? Number.parseInt(raw.trim(), 10) : raw;
    case 'bool':
      if (/^(1|true|yes)$/i.test(raw)) return true;
      if (/^(0|false|no)$/i.test(raw)) return false;
      return raw;
    case 'list':
    case 'array':
    case 'tokens': {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      return kind === 'list' && items.length === 1 ? items[0] : items;
    }
    case 'publicKeys':
      return parsePublicKeysText(raw);
    case 'store':
      return parseStoreUrl(raw);
    case 'callbackSecret':
      return { alg: 'HS256', secret: raw };
    case 'string':
      // PEM text in env often carries literal "\n".
      return raw.includes('-----BEGIN') ? raw.replace(/\\n/g, '\n') : raw;
  }
}

/**
 * The node flags the operator gave in NODE_OPTIONS (the process entry points check them before
 * applying a setting of their own, such as the heap growing percent).
 */
export function nodeOptions(env: Record<string, string | undefined> = process.env): string {
  return env.NODE_OPTIONS ?? '';
}
