/**
 * The org emulator as a child process of the benchmark (so its CPU does not sit in the load
 * generator's event loop). Controlled over the IPC channel:
 *
 *   info          → { url, jwt, token }           the emulator's URL and dev credentials
 *   calls         → the emulator's call counter (GET /__emulator/calls)
 *   resetCalls
 *   faults        → sets fault settings (latencyMs, jitterMs, …)
 *   delivered     → how many Bot_Handoff__c records have a Handoff_Id__c starting with a prefix
 *   takeWaits     → per handoffId, the total time (ms) the emulator spent answering calls that
 *                   carried it (the time a caller waited on "Salesforce"), and every data call's
 *                   duration; clears both
 *   records       → the records of one sObject (small ones only: Skill, ServiceChannel, Group)
 *
 * Per-call timing wraps the emulator's own request handler: from the request's arrival to the end
 * of its answer, including the injected latency. The handoffIds a call carried are read from its
 * URL and from its raw body (composite graph nodes name them in their upsert URLs).
 */
import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createEmulator, type FaultSettingsInput } from '../src/emulator/index';

interface Message {
  id: number;
  cmd: string;
  arg?: unknown;
}

const HANDOFF_IN_URL = /Handoff_Id__c\/([A-Za-z0-9._:-]+)/g;

/** A string that does not point into a larger one. */
const ownCopy = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

function idsOf(req: IncomingMessage & { body?: unknown; originalUrl?: string }): Set<string> {
  const ids = new Set<string>();
  const url = req.originalUrl ?? req.url ?? '';
  // Copies, not slices: a slice keeps the whole request body alive in the emulator's heap.
  for (const m of url.matchAll(HANDOFF_IN_URL)) if (m[1]) ids.add(ownCopy(m[1]));
  const body = req.body;
  if (Buffer.isBuffer(body) && body.length > 0) {
    for (const m of body.toString('utf8').matchAll(HANDOFF_IN_URL)) if (m[1]) ids.add(ownCopy(m[1]));
  }
  return ids;
}

async function main(): Promise<void> {
  const latencyMs = Number.parseInt(process.env.BENCH_EMULATOR_LATENCY_MS ?? '150', 10);
  const jitterMs = Number.parseInt(process.env.BENCH_EMULATOR_JITTER_MS ?? '0', 10);
  const emulator = createEmulator({
    faults: { latencyMs, jitterMs },
    randomSeed: 20261121,
    dailyApiLimit: 10_000_000,
    onError: (err) => console.error('emulator error:', (err as Error).message),
  });

  const waits = new Map<string, number>();
  /** handoffId → [epoch ms its first call arrived, epoch ms its last call was answered]. */
  const spans = new Map<string, [number, number]>();
  /** Durations (ms) of the data API calls answered since the last takeWaits. */
  let durations: number[] = [];
  /** Graphs carried by each composite graph call since the last takeWaits. */
  let graphsPerCall: number[] = [];
  /** The body of the latest composite graph call (the naive reference replays one of its graphs). */
  let lastGraphBody: Buffer | undefined;
  const app = emulator.app as unknown as {
    handle: (req: IncomingMessage, res: ServerResponse, next?: unknown) => unknown;
  };
  const handle = app.handle.bind(app);
  app.handle = (req, res, next) => {
    const t0 = performance.now();
    const arrived = Date.now();
    res.once('finish', () => {
      // express strips mount paths from req.url while routing; originalUrl keeps the whole path.
      const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
      if (url.startsWith('/__emulator')) return;
      const ms = performance.now() - t0;
      if (url.startsWith('/services/data')) durations.push(ms);
      const ended = Date.now();
      for (const id of idsOf(req)) {
        waits.set(id, (waits.get(id) ?? 0) + ms);
        const span = spans.get(id);
        spans.set(id, span ? [Math.min(span[0], arrived), Math.max(span[1], ended)] : [arrived, ended]);
      }
      const body = (req as { body?: unknown }).body;
      if (url.includes('/composite/graph') && Buffer.isBuffer(body)) {
        graphsPerCall.push(body.toString('utf8').split('"graphId"').length - 1);
        if (res.statusCode === 200) lastGraphBody = body;
      }
    });
    return handle(req, res, next);
  };

  const url = await emulator.start(0);

  const answer = (id: number, ok: boolean, value: unknown): void => {
    process.send?.({ id, ok, value });
  };
  process.on('message', (raw: Message) => {
    const { id, cmd, arg } = raw;
    try {
      switch (cmd) {
        case 'info':
          answer(id, true, { url, jwt: emulator.jwt() ?? null, token: emulator.token() });
          return;
        case 'calls':
          answer(id, true, emulator.calls());
          return;
        case 'resetCalls':
          emulator.resetCalls();
          answer(id, true, null);
          return;
        case 'faults':
          emulator.setFaults(arg as FaultSettingsInput);
          answer(id, true, emulator.faults.view());
          return;
        case 'delivered': {
          const prefix = String(arg);
          let n = 0;
          for (const r of emulator.org.list('Bot_Handoff__c')) {
            const v = r.Handoff_Id__c;
            if (typeof v === 'string' && v.startsWith(prefix)) n++;
          }
          answer(id, true, n);
          return;
        }
        case 'takeWaits': {
          const out = {
            waits: Object.fromEntries(waits),
            spans: Object.fromEntries(spans),
            durations,
            graphsPerCall,
            latencyMs,
          };
          waits.clear();
          spans.clear();
          durations = [];
          graphsPerCall = [];
          answer(id, true, out);
          return;
        }
        case 'sampleGraph': {
          if (!lastGraphBody) {
            answer(id, true, null);
            return;
          }
          const parsed = JSON.parse(lastGraphBody.toString('utf8')) as {
            graphs?: { compositeRequest?: { url?: string }[] }[];
          };
          const graph = parsed.graphs?.[0];
          const first = graph?.compositeRequest?.find(
            (n) => typeof n.url === 'string' && n.url.includes('Handoff_Id__c/'),
          );
          const m = first?.url ? /Handoff_Id__c\/([A-Za-z0-9._:-]+)/.exec(first.url) : null;
          answer(id, true, graph && m?.[1] ? { handoffId: decodeURIComponent(m[1]), graph } : null);
          return;
        }
        case 'records':
          answer(id, true, emulator.records(String(arg)));
          return;
        default:
          answer(id, false, `unknown command ${cmd}`);
      }
    } catch (e) {
      answer(id, false, (e as Error).message);
    }
  });
  process.on('disconnect', () => {
    void emulator.stop().finally(() => process.exit(0));
  });
  process.on('SIGTERM', () => {
    void emulator.stop().finally(() => process.exit(0));
  });
  process.send?.({ id: 0, ok: true, value: { ready: true, url } });
}

main().catch((e: unknown) => {
  console.error('emulator failed to start:', e instanceof Error ? e.stack : e);
  process.exit(1);
});
