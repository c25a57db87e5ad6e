/**
 * The floor (a reference, not the service): the least any service can do on this machine to answer a
 * bot after Salesforce has the handoff. It reads the handoffId out of the request text, splices it
 * into one composite graph planned at start by the service's own planner, sends that graph to the
 * org as one call, and answers 201 when the org answers. No authentication, validation, policy,
 * redaction, durable store, coalescing or logging.
 *
 * `npm run bench -- --floor` runs the scenarios against it instead of the service, with the same load
 * generator, emulator and measurements, so "svc" for it is what this rig itself adds at that load
 * (the load generator, the kernel, two HTTP hops and the emulator's CPU on the same two cores): a
 * floor under the service's own time at one call per handoff.
 */
import http from 'node:http';
import { loadConfig } from '../src/config';
import type { PreparedHandoff } from '../src/contract/prepared';
import { createSilentLogger } from '../src/log';
import { salesforceClientFor } from '../src/main';
import { planHandoffGraph } from '../src/plan';
import { conversationStateFromHandoff, decideRoutingForState, evaluateEscalation } from '../src/policy';
import { redactHandoff } from '../src/redact';
import { validateHandoff } from '../src/service/validate';
import { benchHandoff } from './lib/payload';

const MARK = 'FLOOR-TEMPLATE-HANDOFF-ID';
const ID = /"handoffId"\s*:\s*"([^"\\]{1,200})"/;

async function main(): Promise<void> {
  const config = loadConfig();
  const client = salesforceClientFor(config.salesforce, createSilentLogger());
  await client.login();
  const ids = await client.resolveIds(config.mapping);
  const conn = client.connection();
  const instance = new URL(conn.instanceUrl);
  const path = `/services/data/v${client.apiVersion}/composite/graph`;

  // One graph, planned once by the service's own pipeline, then split where the handoffId goes.
  const h = validateHandoff(benchHandoff(MARK, null));
  const at = new Date();
  const state = conversationStateFromHandoff(h);
  const evaluation = evaluateEscalation(state, config.policy, at);
  const prepared: PreparedHandoff = {
    handoffId: MARK,
    bodyHash: 'floor',
    receivedAt: at.toISOString(),
    handoff: redactHandoff(h).handoff,
    decision: decideRoutingForState(state, evaluation, config.routing),
    evaluation,
    redactions: [],
  };
  const graph = planHandoffGraph({
    prepared,
    ids,
    mapping: config.mapping,
    apiVersion: client.apiVersion,
    graphId: 'g1',
  });
  const parts = JSON.stringify({ graphs: [graph] }).split(MARK);

  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const send = (handoffId: string, done: (ok: boolean) => void): void => {
    const body = parts.join(handoffId);
    const req = http.request(
      {
        host: instance.hostname,
        port: instance.port,
        path,
        method: 'POST',
        agent,
        headers: {
          Authorization: `Bearer ${conn.accessToken ?? ''}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode === 200));
      },
    );
    req.on('error', () => done(false));
    req.end(body);
  };

  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/handoffs') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = ID.exec(Buffer.concat(chunks).toString('utf8'))?.[1];
      if (id === undefined) {
        res.writeHead(400).end();
        return;
      }
      send(id, (ok) => {
        const answer = JSON.stringify({ handoffId: id, status: ok ? 'routed' : 'failed' });
        res.writeHead(ok ? 201 : 502, { 'Content-Type': 'application/json' }).end(answer);
      });
    });
  });
  server.listen(config.server.port, config.server.host, () => {
    process.stdout.write(`FSC Handoff floor (bench reference) listening on port ${config.server.port}\n`);
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
