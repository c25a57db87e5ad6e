/**
 * The service under test, as a child process (so its RSS is its own), compiled as in production,
 * configured through its environment and a temporary CONFIG_DIR, with the embedded SQLite store in a
 * temporary directory and the emulator as its "org".
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { spawnChild, waitForHttp, type Child } from './procs';

export interface JwtCredentials {
  clientId: string;
  username: string;
  privateKeyPem: string;
  loginUrl: string;
  audience: string;
}

export interface ServiceOptions {
  /** Where the compiled service lives (buildService's outRoot). */
  buildRoot: string;
  /** The entry file relative to buildRoot, e.g. src/main.js. */
  entry: string;
  repoRoot: string;
  workDir: string;
  emulatorUrl: string;
  jwt: JwtCredentials;
  bot: { issuer: string; audience: string; publicKeyPem: string };
  /** Deep-merged into service.json (e.g. { delivery: { gatherWindowMs: 3 } }). */
  configOverrides: Record<string, unknown>;
  env?: Record<string, string>;
  logLevel: string;
  /** Write a V8 CPU profile here (node --cpu-prof). */
  cpuProfDir?: string;
  /** Load bench/trace-preload (store timings, event-loop delay) and write its totals to this file. */
  traceFile?: string;
  /** With traceFile: also stamp each handoff's steps (bench/lib/phases.ts; `--trace` only: it holds memory). */
  tracePhases?: boolean;
  echo?: boolean;
}

export interface RunningService {
  child: Child;
  url: string;
  storePath: string;
  /** The node flags the service runs with (read back from its process: what scripts/start.sh chose, and the bench's own). */
  nodeFlags: string[];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    out[k] = isObj(prev) && isObj(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

/** The entry point the service starts from: src/cli/start (as `npm start`), else the bench's own. */
export function serviceEntry(buildRoot: string): string {
  for (const rel of ['src/cli/start.js', 'bench/service-entry.js'])
    if (existsSync(join(buildRoot, rel))) return rel;
  throw new Error(`no service entry point (src/cli/start.ts or bench/service-entry.ts) in ${buildRoot}`);
}

export async function startService(o: ServiceOptions): Promise<RunningService> {
  mkdirSync(o.workDir, { recursive: true });
  const configDir = join(o.workDir, 'config');
  mkdirSync(configDir, { recursive: true });
  const repoConfig = join(o.repoRoot, 'config');
  if (existsSync(repoConfig)) {
    for (const f of readdirSync(repoConfig)) {
      if (f.endsWith('.json')) cpSync(join(repoConfig, f), join(configDir, f));
    }
  }
  const servicePath = join(configDir, 'service.json');
  const service = existsSync(servicePath) ? (JSON.parse(readFileSync(servicePath, 'utf8')) as Json) : {};
  writeFileSync(servicePath, JSON.stringify(deepMerge(service, o.configOverrides), null, 2));

  const port = await freePort();
  const storePath = join(o.workDir, 'handoffs.db');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    CONFIG_DIR: configDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: o.logLevel,
    BOT_AUTH_ISSUER: o.bot.issuer,
    BOT_AUTH_AUDIENCE: o.bot.audience,
    BOT_AUTH_PUBLIC_KEYS: o.bot.publicKeyPem,
    SALESFORCE_MODE: 'emulator',
    SALESFORCE_LOGIN_URL: o.jwt.loginUrl,
    SALESFORCE_AUDIENCE: o.jwt.audience,
    SALESFORCE_INSTANCE_URL: o.emulatorUrl,
    SALESFORCE_CLIENT_ID: o.jwt.clientId,
    SALESFORCE_USERNAME: o.jwt.username,
    SALESFORCE_PRIVATE_KEY: o.jwt.privateKeyPem,
    HANDOFF_STORE_URL: storePath,
    ...o.env,
  };
  // Extra node flags for investigations (e.g. BENCH_SERVICE_NODE_ARGS='--heapsnapshot-signal=SIGUSR2').
  const args: string[] = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  if (o.cpuProfDir) args.push('--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`);
  if (o.traceFile) {
    args.push('--require', join(o.buildRoot, 'bench', 'trace-preload.js'));
    env.BENCH_TRACE_FILE = o.traceFile;
    if (o.tracePhases) env.BENCH_TRACE_PHASES = '1';
  }
  // Started as `npm start` starts it (scripts/start.sh: node flags for the host, then exec, so the
  // pid stays the service's); a build without the script, node directly.
  const launcher = join(o.repoRoot, 'scripts', 'start.sh');
  const entry = join(o.buildRoot, o.entry);
  const child = existsSync(launcher)
    ? spawnChild('service', 'sh', [launcher, ...args], {
        env: {
          ...env,
          FSC_ENTRY: entry,
          ...(process.env.FSC_NODE_FLAGS !== undefined ? { FSC_NODE_FLAGS: process.env.FSC_NODE_FLAGS } : {}),
        },
        cwd: o.buildRoot,
        echo: o.echo ?? false,
      })
    : spawnChild('service', process.execPath, [...args, entry], {
        env,
        cwd: o.buildRoot,
        echo: o.echo ?? false,
      });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, 30_000, child);
  return { child, url, storePath, nodeFlags: nodeFlagsOf(child.pid, entry) };
}

/** The flags between node and the entry on the process's command line (Linux /proc; else none). */
export function nodeFlagsOf(pid: number | undefined, entry: string): string[] {
  if (pid === undefined) return [];
  let words: string[];
  try {
    words = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
  const end = words.indexOf(entry);
  return end < 0 ? [] : words.slice(1, end); // not (yet) node running that entry: none
}
