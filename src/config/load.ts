/**
 * Loads the configuration once, before anything listens: defaults ← config/*.json ← environment ←
 * overrides (the dev command's), validated by one zod schema. Every problem is reported at once,
 * each naming the environment variable (or file key) to set. The result is deeply frozen.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { AppError } from '../errors';
import { ENV_BINDINGS, bindingFor, convertEnvValue } from './env';
import { serviceConfigSchema, type ServiceConfig } from './schema';

export interface ConfigProblem {
  /** Dotted configuration key, e.g. salesforce.clientId. */
  path: string;
  message: string;
  /** The environment variable that sets it, when there is one. */
  env?: string;
}

/** Configuration that cannot start the service; `problems` lists every one. */
export class ConfigError extends AppError {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super({
      code: 'CONFIG_INVALID',
      status: 500,
      message: `Invalid configuration:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`,
      errors: problems.map((p) => ({ path: p.path, message: p.message })),
      actions: problems.map((p) => (p.env ? `set ${p.env}` : `fix ${p.path}`)),
    });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return p.env ? `${p.env} (${p.path}) ${p.message}` : `${p.path} ${p.message}`;
}

/** Files read from the configuration directory, and the key each fills. */
const CONFIG_FILES: ReadonlyArray<{ file: string; key?: string; required?: boolean }> = [
  { file: 'service.json' },
  { file: 'routing.json', key: 'routing', required: true },
  { file: 'policy.json', key: 'policy', required: true },
  { file: 'mapping.json', key: 'mapping' },
];

export interface LoadConfigOptions {
  /** The environment; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Where service.json, routing.json, policy.json live; CONFIG_DIR or ./config by default. */
  configDir?: string;
  /** Applied last (the dev command supplies the emulator's URL and keys this way). */
  overrides?: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const prev = out[k];
    // A discriminated section (store kind, signing alg) that changes kind is replaced, not merged.
    const sameKind = (d: string) =>
      !isPlainObject(prev) || !isPlainObject(v) || !(d in v) || prev[d] === v[d];
    out[k] =
      isPlainObject(prev) && isPlainObject(v) && sameKind('kind') && sameKind('alg') ? deepMerge(prev, v) : v;
  }
  return out;
}

function setPath(target: Json, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur = target;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (!isPlainObject(next)) cur[k] = {};
    cur = cur[k] as Json;
  }
  cur[keys[keys.length - 1] as string] = value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function readFiles(dir: string, problems: ConfigProblem[], missing: Set<string>): Json {
  let raw: Json = {};
  for (const { file, key, required } of CONFIG_FILES) {
    const full = path.join(dir, file);
    let text: string;
    try {
      text = readFileSync(full, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        if (required && key) {
          missing.add(key);
          problems.push({
            path: file,
            env: 'CONFIG_DIR',
            message: `is missing from ${dir} (CONFIG_DIR names the directory with service.json, routing.json and policy.json)`,
          });
        }
        continue;
      }
      problems.push({ path: file, message: `cannot be read (${(err as NodeJS.ErrnoException).code})` });
      continue;
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (!isPlainObject(parsed)) throw new Error('not an object');
      raw = key ? deepMerge(raw, { [key]: parsed }) : deepMerge(raw, parsed);
    } catch {
      problems.push({ path: file, message: `is not a JSON object (${full})` });
    }
  }
  return raw;
}

function fromEnv(env: Record<string, string | undefined>): Json {
  const raw: Json = {};
  for (const b of ENV_BINDINGS) {
    const v = env[b.env];
    if (v === undefined || v.trim() === '') continue;
    setPath(raw, b.path, convertEnvValue(b.kind, v));
  }
  return raw;
}

/** Reads salesforce.privateKeyFile into salesforce.privateKey (PEM text). */
function resolveKeyFile(raw: Json, baseDir: string, problems: ConfigProblem[]): void {
  const sf = raw.salesforce;
  if (!isPlainObject(sf) || typeof sf.privateKeyFile !== 'string' || sf.privateKey) return;
  const file = path.resolve(baseDir, sf.privateKeyFile);
  try {
    sf.privateKey = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({
      path: 'salesforce.privateKeyFile',
      env: 'SALESFORCE_PRIVATE_KEY_FILE',
      message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): give the path of a PEM private key`,
    });
  }
}

function issueToProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
  const base = issue.path.map(String);
  const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...base, k]) : [base];
  return keys.map((p) => {
    const dotted = p.join('.') || '(root)';
    const binding = bindingFor(dotted);
    let message = issue.code === 'unrecognized_keys' ? 'is not a known setting' : issue.message;
    if (binding?.help) message = `${message} (${binding.help})`;
    return { path: dotted, message, ...(binding ? { env: binding.env } : {}) };
  });
}

/** Special cases whose best advice is an env var other than the key's own. */
function adviseEnv(p: ConfigProblem): ConfigProblem {
  if (p.path === 'botAuth.keys') {
    return { ...p, env: 'BOT_AUTH_JWKS_URL, BOT_AUTH_PUBLIC_KEYS or BOT_AUTH_HS256_SECRET' };
  }
  if (p.path === 'salesforce.privateKey' && p.message.startsWith('a credential')) {
    const message = p.message.replace(/ \(PEM text.*\)$/, '');
    return {
      ...p,
      message,
      env: 'SALESFORCE_PRIVATE_KEY, SALESFORCE_PRIVATE_KEY_FILE or SALESFORCE_CLIENT_SECRET',
    };
  }
  return p;
}

/** Loads, validates and freezes the configuration, or throws ConfigError listing every problem. */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<ServiceConfig> {
  const env = options.env ?? process.env;
  const cwd = process.cwd();
  const configDir = path.resolve(cwd, options.configDir ?? env.CONFIG_DIR ?? 'config');
  const problems: ConfigProblem[] = [];

  const missing = new Set<string>();
  let raw = readFiles(configDir, problems, missing);
  raw = deepMerge(raw, fromEnv(env));
  if (options.overrides) raw = deepMerge(raw, options.overrides);
  resolveKeyFile(raw, cwd, problems);

  const parsed = serviceConfigSchema.safeParse(raw);
  if (!parsed.success) {
    // A missing routing.json / policy.json is one problem, not one per required key inside it.
    const issues = parsed.error.issues.filter((i) => !missing.has(String(i.path[0])));
    problems.push(...issues.flatMap(issueToProblems));
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems.map(adviseEnv));
  return deepFreeze(parsed.data);
}
