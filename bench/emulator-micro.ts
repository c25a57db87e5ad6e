/**
 * The org emulator's own CPU cost per composite graph call, in-process, with no injected latency.
 *
 *   npx tsx bench/emulator-micro.ts [--calls1 N] [--calls31 N] [--quiet]
 *   node --cpu-prof --cpu-prof-dir /tmp/emuprof --import tsx bench/emulator-micro.ts   (to profile)
 *
 * Builds the emulator as bench/emulator-child.ts does (latency 0 here), signs in with a client
 * credential token as a client does, and sends realistic `POST /composite/graph` bodies over HTTP:
 * each graph is planned by the service's own planner (src/plan planHandoffGraph) from the bench's
 * handoff (bench/lib/payload.ts), with the org ids (ServiceChannel, Skills, Queues) read from the
 * emulator's seed by DeveloperName. Every call carries fresh handoff ids, so records pile up as in a
 * real run. Calls of 1 graph and of 31 graphs alternate in rounds (31 × 16 nodes is about the most
 * the 500-node payload limit takes).
 *
 * Printed per call size, as mean / p50 / p99 in ms and the mean per graph: the emulator's CPU and wall
 * time in its handler (from the request's arrival to the end of its answer; the call's work is all
 * synchronous, and CPU is the steadier number on a shared machine, though it also counts V8's
 * background GC threads), the process CPU from the send to 1 ms after the answer (adds the Omni
 * simulator's routing pass and the small client side), and the client's round trip. At the end: the
 * cost of one Omni routing pass over everything then in the org, and of one with every agent offline.
 *
 * Profiling: the cpuprofile with the emulator's frames is the one for the main thread (tsx writes a
 * second, idle one for its loader thread). Under tsx every frame shows line 2; compiling to plain JS
 * with tsc first gives real line numbers.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createEmulator } from '../src/emulator/index';
import type { PreparedHandoff } from '../src/contract/prepared';
import { defaultMapping, planHandoffGraph, type CompositeGraph, type ResolvedIds } from '../src/plan';
import {
  conversationStateFromHandoff,
  decideRouting,
  evaluateEscalation,
  routingConfigSchema,
  policyConfigSchema,
} from '../src/policy';
import { redactHandoff } from '../src/redact';
import { validateHandoff } from '../src/service/validate';
import { BodyFactory } from './lib/payload';
import { distribution } from './lib/stats';

const REPO = resolve(__dirname, '..');
const API = '63.0';

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(join(REPO, 'config', file), 'utf8')) as unknown;
}

function fmt(n: number): string {
  return n.toFixed(n < 10 ? 2 : 1).padStart(7);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      calls1: { type: 'string', default: '400' },
      calls31: { type: 'string', default: '200' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const calls1 = Number.parseInt(values.calls1, 10);
  const calls31 = Number.parseInt(values.calls31, 10);

  const emulator = createEmulator({
    faults: { latencyMs: 0, jitterMs: 0 },
    randomSeed: 20261121,
    dailyApiLimit: 10_000_000,
    onError: (err) => console.error('emulator error:', (err as Error).message),
  });

  // Time each call inside the emulator, as bench/emulator-child.ts does (wall), and its CPU: the
  // machine may be shared, and a call's work is all synchronous, so CPU is the steadier number.
  const serverMs: number[] = [];
  const serverCpuMs: number[] = [];
  const app = emulator.app as unknown as {
    handle: (req: IncomingMessage, res: ServerResponse, next?: unknown) => unknown;
  };
  const handle = app.handle.bind(app);
  app.handle = (req, res, next) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    res.once('finish', () => {
      const used = process.cpuUsage(c0);
      serverCpuMs.push((used.user + used.system) / 1000);
      serverMs.push(performance.now() - t0);
    });
    return handle(req, res, next);
  };
  const url = new URL(await emulator.start(0));
  const token = emulator.token().access_token;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  const post = (path: string, body: string): Promise<{ status: number; text: string }> =>
    new Promise((ok, fail) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path,
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            ok({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(body);
    });

  // Org ids by DeveloperName, as the service resolves them.
  const byDevName = (sobject: string, filter: (r: Record<string, unknown>) => boolean = () => true) =>
    Object.fromEntries(
      emulator.org
        .list(sobject)
        .filter(filter)
        .map((r) => [String(r.DeveloperName), r.Id]),
    );
  const mapping = defaultMapping();
  const ids: ResolvedIds = {
    serviceChannelId: byDevName('ServiceChannel')[mapping.routing.serviceChannel] ?? '',
    skills: byDevName('Skill'),
    queues: byDevName('Group', (r) => r.Type === 'Queue'),
  };

  // The bench's handoff through the service's own pipeline, planned once per fresh handoff id.
  const seed = readJson('emulator-seed.json') as { records?: { fields?: Record<string, unknown> }[] };
  const customers = (seed.records ?? [])
    .map((r) => r.fields?.Bank_Customer_Id__c)
    .filter((v): v is string => typeof v === 'string');
  const factory = new BodyFactory(`emu-micro-${Date.now().toString(36)}-`, customers);
  const policy = policyConfigSchema.parse(readJson('policy.json'));
  const routing = routingConfigSchema.parse(readJson('routing.json'));
  const templates = customers.map((_c, i) => {
    const h = validateHandoff(JSON.parse(factory.body('template', i)) as unknown);
    const evaluation = evaluateEscalation(conversationStateFromHandoff(h), policy, new Date());
    const decision = decideRouting(h, evaluation, routing);
    return { handoff: redactHandoff(h).handoff, decision, evaluation };
  });
  let n = 0;
  const graph = (graphId: string): CompositeGraph => {
    const t = templates[n % templates.length] as (typeof templates)[number];
    n++;
    const handoffId = factory.nextId();
    const prepared: PreparedHandoff = {
      handoffId,
      bodyHash: 'bench',
      receivedAt: new Date().toISOString(),
      handoff: { ...t.handoff, handoffId },
      decision: t.decision,
      evaluation: t.evaluation,
      redactions: [],
    };
    return planHandoffGraph({ prepared, ids, mapping, apiVersion: API, graphId });
  };
  const body = (graphs: number): string =>
    JSON.stringify({ graphs: Array.from({ length: graphs }, (_x, i) => graph(`g${i}`)) });

  const path = `/services/data/v${API}/composite/graph`;
  const nodesPerGraph = graph('probe').compositeRequest.length;
  console.log(
    `Emulator micro-benchmark: ${calls1} calls of 1 graph, ${calls31} calls of 31 graphs ` +
      `(${nodesPerGraph} nodes per graph), latency 0.`,
  );

  interface Samples {
    server: number[];
    serverCpu: number[];
    client: number[];
    cpu: number[];
  }
  const samples = new Map<number, Samples>([
    [1, { server: [], serverCpu: [], client: [], cpu: [] }],
    [31, { server: [], serverCpu: [], client: [], cpu: [] }],
  ]);
  const settle = (): Promise<void> => new Promise((ok) => setTimeout(ok, 1));
  const send = async (graphs: number, record: boolean): Promise<void> => {
    const text = body(graphs);
    const before = serverMs.length;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const res = await post(path, text);
    const client = performance.now() - t0;
    // The Omni simulator routes on a 0 ms timer after the write commits: its work is the call's too.
    await settle();
    const used = process.cpuUsage(cpu0);
    const cpu = (used.user + used.system) / 1000;
    if (res.status !== 200) throw new Error(`graph call answered ${res.status}: ${res.text.slice(0, 500)}`);
    const parsed = JSON.parse(res.text) as { graphs: { graphId: string; isSuccessful: boolean }[] };
    const failed = parsed.graphs.filter((g) => !g.isSuccessful);
    if (failed.length > 0) throw new Error(`graph failed: ${res.text.slice(0, 1500)}`);
    // 'finish' fires before the client sees the end of the answer.
    const server = serverMs[before];
    const serverCpu = serverCpuMs[before];
    if (record && server !== undefined && serverCpu !== undefined) {
      const s = samples.get(graphs);
      s?.server.push(server);
      s?.serverCpu.push(serverCpu);
      s?.client.push(client);
      s?.cpu.push(cpu);
    }
  };

  // Warm-up (JIT, caches), not recorded.
  for (let i = 0; i < 20; i++) await send(1, false);
  for (let i = 0; i < 3; i++) await send(31, false);

  const rounds = Math.max(calls1, calls31);
  const started = performance.now();
  let lastReport = started;
  for (let r = 0; r < rounds; r++) {
    if (r < calls31) await send(31, true);
    for (
      let k = 0;
      k < Math.ceil(calls1 / Math.max(1, calls31)) && (samples.get(1)?.server.length ?? 0) < calls1;
      k++
    ) {
      await send(1, true);
    }
    const now = performance.now();
    if (!values.quiet && now - lastReport > 2000) {
      lastReport = now;
      const s1 = samples.get(1)?.serverCpu ?? [];
      const s31 = samples.get(31)?.serverCpu ?? [];
      const mean = (a: number[]): number => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : Number.NaN);
      console.log(
        `  … ${s1.length} × 1-graph (mean ${mean(s1.slice(-50)).toFixed(2)} ms), ` +
          `${s31.length} × 31-graph (mean ${mean(s31.slice(-20)).toFixed(1)} ms), ` +
          `${n} handoffs planned`,
      );
    }
  }

  const row = (label: string, values: number[], graphs: number): string => {
    const d = distribution(values);
    return `  ${label.padEnd(34)}${fmt(d.mean)}${fmt(d.p50)}${fmt(d.p99)}${fmt(d.mean / graphs)}`;
  };
  for (const [graphs, s] of samples) {
    console.log(`\n${graphs} graph(s) per call, ${s.server.length} calls:  ms   mean    p50    p99 /graph`);
    console.log(row('emulator CPU in the handler', s.serverCpu, graphs));
    console.log(row('emulator wall time in the handler', s.server, graphs));
    console.log(row('process CPU incl. Omni follow-up', s.cpu, graphs));
    console.log(row('client round trip', s.client, graphs));
  }
  console.log(
    '\nhandler: from the arrival of the request to the end of its answer (the call is all synchronous). ' +
      'process CPU: from the send to 1 ms after the answer; adds the Omni simulator routing on its ' +
      '0 ms timer, and the client side (small).',
  );
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // One Omni routing pass over everything now waiting (what follows every write call that touched a
  // routing object, and runs once a second).
  const waiting = emulator.org.list('PendingServiceRouting').length;
  const passes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    emulator.omni.tick();
    passes.push(performance.now() - t0);
  }
  const pass = distribution(passes);
  console.log(
    `Omni routing pass with ${waiting} PSRs in the org: mean ${pass.mean.toFixed(2)} ms, p50 ${pass.p50.toFixed(2)} ms`,
  );
  // The same with every agent offline (as when all are busy: no waiting PSR fits any agent). The first
  // pass after a presence change looks at every PSR; the ones timed are those that follow it.
  for (const a of emulator.omni.agents()) emulator.omni.setPresence(a.userId, false);
  emulator.omni.tick();
  const offline: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    emulator.omni.tick();
    offline.push(performance.now() - t0);
  }
  const off = distribution(offline);
  console.log(
    `Omni routing pass with ${waiting} PSRs, every agent offline: mean ${off.mean.toFixed(2)} ms, p50 ${off.p50.toFixed(2)} ms`,
  );
  agent.destroy();
  await emulator.stop();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
