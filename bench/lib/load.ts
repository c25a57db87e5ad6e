/**
 * Drives the service over HTTP with autocannon: each request carries a fresh handoffId (setupRequest)
 * and a valid bearer token; latency as the bot sees it comes from autocannon's own per-response
 * timing, and the service's own added time from a response header when the service sends one.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

export type LoadShape =
  /** Exactly `amount` requests over `connections` connections, as fast as they go (amount = connections is "all at once"). */
  | { kind: 'amount'; amount: number; connections: number }
  /** An overall rate for a duration (autocannon overallRate: a per-connection budget per second). */
  | { kind: 'rate'; rate: number; durationS: number; connections: number }
  /**
   * A steady rate, open loop: one request every 1/rate s, each sent at its time whether or not
   * earlier ones were answered (runPaced; autocannon's overallRate sends each connection's budget
   * back to back at the start of every second, i.e. bursts).
   */
  | { kind: 'paced'; rate: number; durationS: number }
  /** As fast as possible for a duration. */
  | { kind: 'max'; durationS: number; connections: number };

export interface LoadOptions {
  baseUrl: string;
  path: string;
  /** Authorization header value. */
  authorization: () => string;
  nextId: () => string;
  body: (handoffId: string) => string;
  shape: LoadShape;
  /** Per-request timeout, seconds. */
  timeoutS: number;
  /** Reads the service's own time (ms) from the answer's headers, or undefined. */
  serviceTime?: (headers: Record<string, string | string[] | undefined>) => number | undefined;
  onTick?: (p: { sent: number; done: number; elapsedS: number }) => void;
}

export interface ResponseRecord {
  /** The handoffId the answer names (null when it names none, e.g. a problem). */
  id: string | null;
  status: number;
  latencyMs: number;
  /** The service's own time from its answer's headers, when it sends one. */
  serviceMs: number | undefined;
  /** Epoch ms the answer arrived. */
  endedAt: number;
}

export interface LoadResult {
  responses: ResponseRecord[];
  statuses: Record<string, number>;
  acceptedIds: string[];
  sent: number;
  durationS: number;
  /** Problem bodies of non-2xx answers (the first few), for the report. */
  errorSamples: string[];
}

const HANDOFF_ID_IN_BODY = /"handoffId"\s*:\s*"([^"]+)"/;

/** Counts answers by status and keeps the accepted ids and the first few problems (both generators). */
function answerTally(opts: LoadOptions) {
  const statuses: Record<string, number> = {};
  const acceptedIds: string[] = [];
  const errorSamples: string[] = [];
  return {
    statuses,
    acceptedIds,
    errorSamples,
    answer(
      status: number,
      body: string,
      headers: Record<string, string | string[] | undefined>,
    ): { id: string | null; status: number; serviceMs: number | undefined } {
      statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      const id = HANDOFF_ID_IN_BODY.exec(body)?.[1] ?? null;
      if ((status === 201 || status === 202) && id) acceptedIds.push(id);
      else if (status >= 300 && errorSamples.length < 5)
        errorSamples.push(`${status}: ${body.slice(0, 400)}`);
      const t = opts.serviceTime?.(headers);
      return { id, status, serviceMs: t !== undefined && Number.isFinite(t) ? t : undefined };
    },
  };
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  if (opts.shape.kind === 'paced') return runPaced(opts, opts.shape);
  const u = new URL(opts.baseUrl);
  if (u.hostname !== '127.0.0.1')
    throw new Error(`the benchmark only sends traffic to 127.0.0.1, not ${u.hostname}`);
  const responses: ResponseRecord[] = [];
  // onResponse (body, headers) and the 'response' event (timing) fire back to back for one answer.
  let last: { id: string | null; status: number; serviceMs: number | undefined } | undefined;
  const tally = answerTally(opts);
  const { statuses, acceptedIds, errorSamples } = tally;
  let sent = 0;
  let done = 0;

  const shape = opts.shape;
  const base: autocannon.Options = {
    url: `${opts.baseUrl}${opts.path}`,
    connections: shape.connections,
    pipelining: 1,
    timeout: opts.timeoutS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: opts.path,
        setupRequest: (req) => {
          const id = opts.nextId();
          sent++;
          return {
            ...req,
            headers: {
              ...(req.headers ?? {}),
              'content-type': 'application/json',
              authorization: opts.authorization(),
            },
            body: opts.body(id),
          };
        },
        onResponse: (status, body, _ctx, headers) => {
          last = tally.answer(status, body, headers ?? {});
        },
      },
    ],
  };
  const options: autocannon.Options =
    shape.kind === 'amount'
      ? { ...base, amount: shape.amount }
      : shape.kind === 'rate'
        ? { ...base, duration: shape.durationS, overallRate: shape.rate }
        : { ...base, duration: shape.durationS };

  const started = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err: Error | null, res: autocannon.Result) => {
      if (err) reject(err);
      else resolve(res);
    });
    instance.on('response', (_client, status, _bytes, responseTime) => {
      const l = last;
      last = undefined;
      responses.push({
        id: l?.id ?? null,
        status,
        latencyMs: responseTime,
        serviceMs: l?.status === status ? l.serviceMs : undefined,
        endedAt: Date.now(),
      });
      done++;
    });
    instance.on('tick', () => {
      opts.onTick?.({ sent, done, elapsedS: Number(process.hrtime.bigint() - started) / 1e9 });
    });
  });
  const durationS = Number(process.hrtime.bigint() - started) / 1e9;
  const errors = result.errors + result.timeouts;
  if (errors > 0) statuses.error = errors;
  return { responses, statuses, acceptedIds, sent, durationS, errorSamples };
}

/**
 * The steady-rate generator: request i leaves at start + i/rate (open loop, so a slow answer never
 * delays the next request, and the service sees the rate the scenario names), over keep-alive
 * connections, as many as are in flight. Latency is timed from the request's write to the end of its
 * answer. `lateMs` says how far behind its schedule the generator itself fell (its own event loop).
 */
export async function runPaced(
  opts: LoadOptions,
  shape: { rate: number; durationS: number },
): Promise<LoadResult & { lateMs: number[] }> {
  const u = new URL(opts.baseUrl);
  if (u.hostname !== '127.0.0.1')
    throw new Error(`the benchmark only sends traffic to 127.0.0.1, not ${u.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1_000 });
  const responses: ResponseRecord[] = [];
  const tally = answerTally(opts);
  const { statuses, acceptedIds, errorSamples } = tally;
  const lateMs: number[] = [];
  const total = Math.round(shape.rate * shape.durationS);
  const intervalMs = 1000 / shape.rate;
  let sent = 0;
  let done = 0;
  const started = performance.now();

  const finished = new Promise<void>((resolveAll) => {
    const settle = (r: ResponseRecord) => {
      responses.push(r);
      done += 1;
      if (done === total) resolveAll();
    };
    const send = () => {
      const id = opts.nextId();
      const body = opts.body(id);
      const sentAt = performance.now();
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          method: 'POST',
          path: opts.path,
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: opts.authorization(),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const answer = tally.answer(
              res.statusCode ?? 0,
              Buffer.concat(chunks).toString('utf8'),
              res.headers,
            );
            settle({
              ...answer,
              latencyMs: performance.now() - sentAt,
              endedAt: Date.now(),
            });
          });
        },
      );
      req.setTimeout(opts.timeoutS * 1000, () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        statuses.error = (statuses.error ?? 0) + 1;
        if (errorSamples.length < 5) errorSamples.push(`error: ${err.message}`);
        settle({
          id: null,
          status: 0,
          latencyMs: performance.now() - sentAt,
          serviceMs: undefined,
          endedAt: Date.now(),
        });
      });
      req.end(body);
      sent += 1;
    };
    const pump = () => {
      const now = performance.now();
      while (sent < total && started + sent * intervalMs <= now) {
        lateMs.push(now - (started + sent * intervalMs));
        send();
      }
      if (sent < total) setTimeout(pump, Math.max(0, started + sent * intervalMs - performance.now()));
    };
    pump();
  });
  const ticker = setInterval(
    () => opts.onTick?.({ sent, done, elapsedS: (performance.now() - started) / 1000 }),
    1000,
  );
  try {
    await finished;
  } finally {
    clearInterval(ticker);
    agent.destroy();
  }
  return {
    responses,
    statuses,
    acceptedIds,
    sent,
    durationS: (performance.now() - started) / 1000,
    errorSamples,
    lateMs,
  };
}
