/**
 * The data API's HTTP requests, sent with node's own http/https client over keep-alive connections.
 *
 * jsforce still does the OAuth token requests and gives tests a connection to read records back;
 * the service's own data calls (composite graph, composite, query) go through here. Per call this
 * costs about a third of jsforce's request pipeline (node-fetch, stream wrapping, its logger),
 * measured in-process against a local server: ~1.0–1.2 ms of CPU less per call on the bench machine,
 * which is most of a handoff's budget when handoffs go out one call each.
 *
 * What it does not do, on purpose: retries (the client decides), redirects (the data API does not
 * send them), compression (answers are small; no Accept-Encoding is sent, so none comes back).
 */
import http from 'node:http';
import https from 'node:https';

export interface DataRequest {
  method: string;
  /** A path on the instance (/services/data/…) or an absolute URL. */
  url: string;
  /**
   * The request body. A Buffer is sent as it is; a string is encoded once, here. Callers that keep a
   * body while the call is in flight (to send it again after a re-login) keep it as a Buffer: its
   * bytes live outside the JavaScript heap, so young-generation collections neither copy nor promote
   * them, whereas a large string from JSON.stringify is flattened into a second copy when its length
   * is measured, and again when the HTTP client joins it to the headers.
   */
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export interface DataResponse {
  status: number;
  /** The parsed JSON answer; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
}

/** The request did not answer within the timeout (it was sent: a write's outcome is unknown). */
export class RequestTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

export interface DataTransport {
  send(instanceUrl: string, accessToken: string, request: DataRequest): Promise<DataResponse>;
}

export function createDataTransport(options: { timeoutMs: number }): DataTransport {
  // As node's global agent since 19: keep-alive, most recently used socket first, idle sockets
  // closed after 5 s (before a server's own keep-alive timeout is likely to close them under us).
  const agents = {
    'http:': new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5_000 }),
    'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5_000 }),
  };

  function send(instanceUrl: string, accessToken: string, request: DataRequest): Promise<DataResponse> {
    const url = new URL(request.url, instanceUrl);
    const protocol = url.protocol === 'https:' ? 'https:' : url.protocol === 'http:' ? 'http:' : undefined;
    if (!protocol) return Promise.reject(new Error(`unsupported protocol in ${url.origin}`));
    const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
    const headers: Record<string, string | number> = {
      ...request.headers,
      Authorization: `Bearer ${accessToken}`,
      Accept: 'application/json',
    };
    if (body !== undefined) headers['Content-Length'] = body.length;
    return new Promise<DataResponse>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, res?: DataResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(res as DataResponse);
      };
      const req = (protocol === 'https:' ? https : http).request(
        url,
        { method: request.method, headers, agent: agents[protocol] },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => finish(err));
          res.on('end', () => {
            const text =
              chunks.length === 1 ? (chunks[0] as Buffer).toString() : Buffer.concat(chunks).toString();
            finish(undefined, { status: res.statusCode ?? 0, body: parseBody(text) });
          });
        },
      );
      const timer = setTimeout(() => {
        const err = new RequestTimeoutError(options.timeoutMs);
        finish(err);
        req.destroy(err);
      }, options.timeoutMs);
      req.on('error', (err) => finish(err));
      req.end(body);
    });
  }

  // Nothing to close at shutdown: idle keep-alive sockets do not hold the process open.
  return { send };
}

function parseBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
