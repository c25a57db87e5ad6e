/**
 * The naive reference: what an integration without composite requests would do. Every node of the
 * planned composite graph is sent as its own REST request, one after the other, with the
 * `@{ref.field}` references resolved here from the earlier answers. It writes the same records as the
 * service's one-call graph, so the call counts are comparable side by side.
 */

/** The node shape of a composite graph (structural, so the bench does not depend on src/plan's internals). */
export interface GraphNode {
  method: string;
  url: string;
  referenceId: string;
  body?: unknown;
}

export interface GraphLike {
  graphId: string;
  compositeRequest: readonly GraphNode[];
}

const WHOLE_REF = /^@\{([A-Za-z0-9_]+)\.([^}]+)\}$/;
const ANY_REF = /@\{([A-Za-z0-9_]+)\.([^}]+)\}/g;

/** Reads `a.b[0].c` from a value; undefined when any step is missing. */
export function readPath(value: unknown, path: string): unknown {
  const steps = path.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '');
  let cur: unknown = value;
  for (const step of steps) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur)) {
      const i = Number.parseInt(step, 10);
      cur = Number.isInteger(i) ? (cur as unknown[])[i] : undefined;
    } else if (typeof cur === 'object') {
      cur = (cur as Record<string, unknown>)[step];
    } else {
      return undefined;
    }
  }
  return cur;
}

export class UnresolvedReferenceError extends Error {
  constructor(readonly reference: string) {
    super(`unresolved reference @{${reference}}`);
  }
}

function lookup(results: ReadonlyMap<string, unknown>, ref: string, path: string): unknown {
  if (!results.has(ref)) throw new UnresolvedReferenceError(`${ref}.${path}`);
  const v = readPath(results.get(ref), path);
  if (v === undefined) throw new UnresolvedReferenceError(`${ref}.${path}`);
  return v;
}

/**
 * Replaces every `@{ref.path}` in a string, a URL or a JSON body with the value from an earlier
 * node's answer. A string that is exactly one reference takes the value as it is (a number stays a
 * number); a reference inside a longer string is spliced in as text.
 */
export function resolveRefs(value: unknown, results: ReadonlyMap<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_REF.exec(value);
    if (whole?.[1] && whole[2]) return lookup(results, whole[1], whole[2]);
    if (!value.includes('@{')) return value;
    return value.replace(ANY_REF, (_m, ref: string, path: string) => String(lookup(results, ref, path)));
  }
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, results));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = resolveRefs(v, results);
    return out;
  }
  return value;
}

export interface NaiveTransport {
  /** One REST request; `url` is the node's URL (starting /services/data/…). */
  request(method: string, url: string, body: unknown): Promise<{ status: number; body: unknown }>;
}

export interface NaiveOutcome {
  ok: boolean;
  calls: number;
  /** Stopped before the last node because the caller's time was up. */
  aborted?: boolean;
  /** The first failing node and its answer, when not ok. */
  failure?: { referenceId: string; status: number; body: unknown };
}

/**
 * Writes one graph node by node, in the planned order, stopping at the first failure (or before the
 * next node once `stop()` says the time is up).
 */
export async function writeGraphNaively(
  graph: GraphLike,
  transport: NaiveTransport,
  stop: () => boolean = () => false,
): Promise<NaiveOutcome> {
  const results = new Map<string, unknown>();
  let calls = 0;
  for (const node of graph.compositeRequest) {
    if (stop()) return { ok: false, calls, aborted: true };
    const url = resolveRefs(node.url, results);
    const body = node.body === undefined ? undefined : resolveRefs(node.body, results);
    calls++;
    const res = await transport.request(node.method, String(url), body);
    if (res.status >= 300) {
      return {
        ok: false,
        calls,
        failure: { referenceId: node.referenceId, status: res.status, body: res.body },
      };
    }
    results.set(node.referenceId, res.body);
  }
  return { ok: true, calls };
}

/** A transport over fetch with a bearer token, against the emulator at baseUrl (127.0.0.1 only). */
export function fetchTransport(baseUrl: string, accessToken: string): NaiveTransport {
  const u = new URL(baseUrl);
  if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') {
    throw new Error(`the benchmark only talks to 127.0.0.1, not ${u.hostname}`);
  }
  return {
    async request(method, url, body) {
      const res = await fetch(new URL(url, baseUrl), {
        method,
        headers: {
          Authorization: `Bearer ${accessToken}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = undefined;
      if (text !== '') {
        try {
          parsed = JSON.parse(text) as unknown;
        } catch {
          parsed = text;
        }
      }
      return { status: res.status, body: parsed };
    },
  };
}
