/** Starts bench/emulator-child.ts (the org emulator with per-call latency) and talks to it over IPC. */
import { join } from 'node:path';
import { Rpc, spawnChild, type Child } from './procs';
import type { JwtCredentials } from './service';

export interface CallTimings {
  /** handoffId → ms the emulator spent on the calls that carried it. */
  waits: Record<string, number>;
  /** handoffId → [epoch ms its first call arrived, epoch ms its last call was answered]. */
  spans: Record<string, [number, number]>;
  /** Every data API call's duration at the emulator (ms), injected latency included. */
  durations: number[];
  /** How many graphs each composite graph call carried, in order. */
  graphsPerCall: number[];
  latencyMs: number;
}

export interface EmulatorHandle {
  child: Child;
  rpc: Rpc;
  url: string;
  jwt: JwtCredentials;
  accessToken: string;
  calls(): Promise<Record<string, number>>;
  resetCalls(): Promise<void>;
  delivered(prefix: string): Promise<number>;
  takeWaits(): Promise<CallTimings>;
  sampleGraph(): Promise<{ handoffId: string; graph: unknown } | null>;
  stop(): Promise<void>;
}

export async function startEmulator(
  repoRoot: string,
  o: { latencyMs: number; jitterMs: number; echo?: boolean },
): Promise<EmulatorHandle> {
  const script = join(repoRoot, 'bench', 'emulator-child.ts');
  // Extra node flags for investigations, as BENCH_SERVICE_NODE_ARGS for the service (e.g.
  // BENCH_EMULATOR_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/emu-prof').
  const nodeArgs = (process.env.BENCH_EMULATOR_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawnChild('emulator', process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    cwd: repoRoot,
    ipc: true,
    echo: o.echo ?? false,
    env: {
      ...process.env,
      BENCH_EMULATOR_LATENCY_MS: String(o.latencyMs),
      BENCH_EMULATOR_JITTER_MS: String(o.jitterMs),
    },
  });
  const rpc = new Rpc(child);
  const timeout = new Promise<never>((_r, reject) =>
    setTimeout(
      () => reject(new Error(`the emulator did not start within 60 s:\n${child.tail()}`)),
      60_000,
    ).unref(),
  );
  await Promise.race([rpc.ready, timeout]);
  const info = await rpc.call<{
    url: string;
    jwt: JwtCredentials | null;
    token: { access_token: string };
  }>('info');
  if (!info.jwt)
    throw new Error(
      'the emulator has no JWT bearer dev credentials (no connected app with a key in its seed)',
    );
  return {
    child,
    rpc,
    url: info.url,
    jwt: info.jwt,
    accessToken: info.token.access_token,
    calls: () => rpc.call('calls'),
    resetCalls: () => rpc.call('resetCalls'),
    delivered: (prefix) => rpc.call('delivered', prefix),
    takeWaits: () => rpc.call('takeWaits'),
    sampleGraph: () => rpc.call('sampleGraph'),
    stop: () => child.stop(5000),
  };
}

/** Data API calls (charged against the daily allocation): every family but OAuth and the version list. */
export function dataCalls(byFamily: Record<string, number>): number {
  let n = 0;
  for (const [family, count] of Object.entries(byFamily)) {
    if (family === 'total' || family === 'oauth' || family === 'versions') continue;
    n += count;
  }
  return n;
}

export function diffCalls(
  after: Record<string, number>,
  before: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** Calls that write records: composite (graph, batch, collections) and single sObject calls. */
export function writeCalls(byFamily: Record<string, number>): number {
  let n = 0;
  for (const [family, count] of Object.entries(byFamily)) {
    if (family === 'sobjects' || family.startsWith('composite')) n += count;
  }
  return n;
}
