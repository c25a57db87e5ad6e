/**
 * The client against a tiny local HTTP stand-in (not the emulator): what the JWT assertion carries,
 * the headers of the graph call, and that an expired session is re-minted once and only once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { collectGarbage } from '../../support/gc';
import { createSalesforceClient, type Logger, type SalesforceClientConfig } from '../../../src/salesforce';

const silent: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

interface Seen {
  tokenForms: URLSearchParams[];
  data: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string; port?: number }[];
}

let server: http.Server;
let base: string;
let seen: Seen;
/** Answers for data requests, in order; the last one repeats. */
let answers: { status: number; body: unknown; text?: string; delayMs?: number; cutOff?: boolean }[];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/services/oauth2/token') {
        seen.tokenForms.push(new URLSearchParams(body));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            access_token: `token-${seen.tokenForms.length}`,
            instance_url: base,
            id: `${base}/id/00D000000000001AAA/005000000000001AAA`,
            token_type: 'Bearer',
          }),
        );
        return;
      }
      const port = req.socket.remotePort;
      seen.data.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, port });
      const a = answerFor?.(req.url ?? '') ??
        answers[Math.min(seen.data.length - 1, answers.length - 1)] ?? { status: 500, body: [] };
      const answer = (): void => {
        if (res.destroyed) return;
        if (a.cutOff) {
          // Headers and half an answer, then the connection drops.
          res.writeHead(a.status, { 'content-type': 'application/json', 'content-length': '1000' });
          res.write('{"graphs":[');
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        }
        res.writeHead(a.status, { 'content-type': a.text === undefined ? 'application/json' : 'text/html' });
        res.end(a.text ?? JSON.stringify(a.body));
      };
      if (a.delayMs) setTimeout(answer, a.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** When set, answers by request URL instead of by order. */
let answerFor: ((url: string) => (typeof answers)[number]) | undefined;

beforeEach(() => {
  answerFor = undefined;
  seen = { tokenForms: [], data: [] };
  answers = [{ status: 200, body: { done: true, totalSize: 0, records: [] } }];
});

const EXPIRED = {
  status: 401,
  body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }],
};

function jwtClient(extra: Partial<SalesforceClientConfig> = {}) {
  return createSalesforceClient(
    {
      loginUrl: base,
      audience: 'https://login.salesforce.com',
      clientId: 'CID',
      username: 'int@bank.example',
      privateKey: pem,
      ...extra,
    },
    silent,
  );
}

describe('JWT bearer login', () => {
  it('signs RS256 with iss, sub, aud and exp in seconds a few minutes ahead', async () => {
    const client = jwtClient();
    await client.login();
    const form = seen.tokenForms[0];
    expect(form?.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(form?.has('client_secret')).toBe(false);
    const assertion = form?.get('assertion') ?? '';
    expect(decodeProtectedHeader(assertion).alg).toBe('RS256');
    const claims = decodeJwt(assertion);
    expect(claims).toMatchObject({
      iss: 'CID',
      sub: 'int@bank.example',
      aud: 'https://login.salesforce.com',
    });
    const now = Math.floor(Date.now() / 1000);
    expect(claims.exp).toBeGreaterThan(now + 60);
    expect(claims.exp).toBeLessThanOrEqual(now + 300);
  });

  it('concurrent callers share one login', async () => {
    const client = jwtClient();
    await Promise.all([client.query('SELECT Id FROM Case'), client.query('SELECT Id FROM Case')]);
    expect(seen.tokenForms).toHaveLength(1);
    expect(client.calls()).toEqual({ api: 2, token: 1 });
  });
});

describe('client credentials', () => {
  it('posts client id and secret', async () => {
    const client = createSalesforceClient(
      { loginUrl: base, clientId: 'CID', clientSecret: 'S3CRET' },
      silent,
    );
    await client.login();
    expect(seen.tokenForms[0]?.get('grant_type')).toBe('client_credentials');
    expect(seen.tokenForms[0]?.get('client_id')).toBe('CID');
    expect(seen.tokenForms[0]?.get('client_secret')).toBe('S3CRET');
  });
  it('refuses a config with neither key nor secret', () => {
    expect(() => createSalesforceClient({ loginUrl: base, clientId: 'CID' }, silent)).toThrow(
      /private key|secret/,
    );
  });
});

describe('session expiry', () => {
  it('re-mints once on INVALID_SESSION_ID and re-sends with the new token', async () => {
    const client = jwtClient();
    await client.login();
    answers = [EXPIRED, { status: 200, body: { done: true, totalSize: 0, records: [] } }];
    await client.query('SELECT Id FROM Case');
    expect(seen.tokenForms).toHaveLength(2);
    expect(seen.data.map((d) => d.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(client.calls()).toEqual({ api: 2, token: 2 });
  });

  it('charges a call the request it re-sent after the re-mint, and no other call’s', async () => {
    const client = jwtClient();
    await client.login();
    answers = [EXPIRED, { status: 200, body: { graphs: [] } }, { status: 200, body: { graphs: [] } }];
    const [first, second] = await Promise.all([client.sendGraphs([]), client.sendGraphs([])]);
    expect([first.apiCalls, second.apiCalls].sort()).toEqual([1, 2]);
    expect(client.calls().api).toBe(3);
  });

  it('the jsforce connection tests read with re-logs in the same way, once', async () => {
    const client = jwtClient();
    await client.login();
    answers = [EXPIRED, { status: 200, body: { done: true, totalSize: 0, records: [] } }];
    await expect(client.connection().query('SELECT Id FROM Case')).resolves.toMatchObject({ totalSize: 0 });
    expect(seen.tokenForms).toHaveLength(2);
    expect(seen.data.map((d) => d.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
    answers = [EXPIRED];
    await expect(client.connection().query('SELECT Id FROM Case')).rejects.toThrow(
      /refused the session again/,
    );
    expect(seen.tokenForms).toHaveLength(2);
  });

  it('does not loop: refused again after the re-mint is a transient auth failure', async () => {
    const client = jwtClient();
    await client.login();
    answers = [EXPIRED];
    await expect(client.query('SELECT Id FROM Case')).rejects.toMatchObject({
      code: 'SALESFORCE_AUTH_FAILED',
      retry: 'transient',
    });
    expect(seen.tokenForms).toHaveLength(2);
    expect(seen.data).toHaveLength(2);
  });
});

describe('a session refused over and over', () => {
  it('sends one call three times at most, even while other calls succeed and reset the re-login', async () => {
    const client = jwtClient();
    await client.login();
    // Queries naming Refused are always refused (answered late); the others succeed at once, so
    // between two refusals a success has always happened and another mint is allowed.
    answerFor = (url) =>
      url.includes('Refused')
        ? { ...EXPIRED, delayMs: 20 }
        : { status: 200, body: { done: true, totalSize: 0, records: [] } };
    let stop = false;
    const others = (async () => {
      while (!stop) await client.query('SELECT Id FROM Case');
    })();
    const refused = client.query('SELECT Id FROM Refused');
    await expect(refused).rejects.toMatchObject({ retry: 'transient', apiCalls: 3 });
    stop = true;
    await others;
    expect(seen.data.filter((d) => d.url.includes('Refused'))).toHaveLength(3);
  });
});

describe('sendGraphs', () => {
  it('POSTs composite/graph on the configured version with Sforce-Auto-Assign: FALSE', async () => {
    const client = jwtClient();
    answers = [
      {
        status: 200,
        body: { graphs: [{ graphId: 'g0', isSuccessful: true, graphResponse: { compositeResponse: [] } }] },
      },
    ];
    const res = await client.sendGraphs([
      {
        graphId: 'g0',
        compositeRequest: [
          { method: 'POST', url: '/services/data/v63.0/sobjects/Case', referenceId: 'c', body: {} },
        ],
      },
    ]);
    expect(res).toEqual({
      graphs: [{ graphId: 'g0', isSuccessful: true, compositeResponse: [] }],
      apiCalls: 1,
    });
    expect(seen.data[0]).toMatchObject({ method: 'POST', url: '/services/data/v63.0/composite/graph' });
    expect(seen.data[0]?.headers['sforce-auto-assign']).toBe('FALSE');
    expect(JSON.parse(seen.data[0]?.body ?? '{}').graphs[0].graphId).toBe('g0');
  });

  it('sends a graph body with non-ASCII text whole, and the same bytes again after a re-login', async () => {
    const client = jwtClient();
    await client.login();
    const ok = {
      status: 200,
      body: { graphs: [{ graphId: 'g0', isSuccessful: true, graphResponse: { compositeResponse: [] } }] },
    };
    answers = [EXPIRED, ok];
    const subject = 'Zoë’s card — blocked at €40 (カード)';
    await client.sendGraphs([
      {
        graphId: 'g0',
        compositeRequest: [
          { method: 'POST', url: '/services/data/v63.0/sobjects/Case', referenceId: 'c', body: { subject } },
        ],
      },
    ]);
    expect(seen.data).toHaveLength(2);
    for (const sent of seen.data) {
      // Content-Length counts bytes: a count of characters would cut the body short.
      expect(Number(sent.headers['content-length'])).toBe(Buffer.byteLength(sent.body));
      expect(JSON.parse(sent.body).graphs[0].compositeRequest[0].body.subject).toBe(subject);
    }
    expect(seen.data[1]?.body).toBe(seen.data[0]?.body);
  });

  it('maps an API error to a classified, counted SalesforceError', async () => {
    const client = jwtClient();
    answers = [
      {
        status: 403,
        body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
      },
    ];
    await expect(client.sendGraphs([])).rejects.toMatchObject({ retry: 'rate_limited', apiCalls: 1 });
  });

  it('does not retry behind the worker’s back: a 503 is one counted request, classified transient', async () => {
    const client = jwtClient();
    answers = [{ status: 503, body: [{ message: 'Service unavailable', errorCode: 'SERVER_UNAVAILABLE' }] }];
    await expect(client.query('SELECT Id FROM Case')).rejects.toMatchObject({ retry: 'transient' });
    expect(seen.data).toHaveLength(1);
    expect(client.calls().api).toBe(1);
  });
});

describe('the data calls on the wire', () => {
  it('reuse one kept-alive connection, call after call', async () => {
    const client = jwtClient();
    await client.query('SELECT Id FROM Case');
    await client.query('SELECT Id FROM Case');
    answers = [{ status: 200, body: { graphs: [] } }];
    await client.sendGraphs([]);
    expect(seen.data).toHaveLength(3);
    expect(new Set(seen.data.map((d) => d.port)).size).toBe(1);
    expect(seen.data[2]?.headers['content-length']).toBe(String(Buffer.byteLength('{"graphs":[]}')));
  });

  it('an error page that is not JSON (an edge proxy) is classified by its status', async () => {
    const client = jwtClient();
    answers = [{ status: 502, body: null, text: '<html>Bad gateway</html>' }];
    await expect(client.query('SELECT Id FROM Case')).rejects.toMatchObject({
      code: 'SALESFORCE_ERROR_HTTP_502',
      retry: 'transient',
      apiCalls: 1,
    });
    answers = [{ status: 504, body: null, text: 'Gateway timeout' }];
    await expect(client.sendGraphs([])).rejects.toMatchObject({ retry: 'unknown_outcome', apiCalls: 1 });
  });

  it('a write with no answer within requestTimeoutMs is a timeout of unknown outcome', async () => {
    const client = jwtClient({ requestTimeoutMs: 100 });
    answers = [{ status: 200, body: { graphs: [] }, delayMs: 1_000 }];
    await expect(client.sendGraphs([])).rejects.toMatchObject({
      code: 'SALESFORCE_TIMEOUT',
      retry: 'unknown_outcome',
      apiCalls: 1,
    });
  });

  it('sendGraphs lets go of the graphs once the body is built, while the answer is pending', async () => {
    const client = jwtClient();
    await client.login();
    answers = [{ status: 200, body: { graphs: [] }, delayMs: 300 }];
    const start = (): { graph: WeakRef<object>; answer: Promise<unknown> } => {
      const graph = { graphId: 'g0', compositeRequest: [] };
      return { graph: new WeakRef(graph), answer: client.sendGraphs([graph]) };
    };
    const { graph, answer } = start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen.data).toHaveLength(1);
    collectGarbage();
    expect(graph.deref()).toBeUndefined();
    await answer;
  });

  it('an answer cut off mid-body: a write of unknown outcome, a read safe to retry', async () => {
    const client = jwtClient();
    answers = [{ status: 200, body: null, cutOff: true }];
    await expect(client.sendGraphs([])).rejects.toMatchObject({ retry: 'unknown_outcome', apiCalls: 1 });
    await expect(client.query('SELECT Id FROM Case')).rejects.toMatchObject({ retry: 'transient' });
  });

  it('an instance that refuses connections is unreachable, safe to retry', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = jwtClient({ instanceUrl: `http://127.0.0.1:${port}` });
    await expect(client.sendGraphs([])).rejects.toMatchObject({
      code: 'SALESFORCE_UNREACHABLE',
      retry: 'transient',
    });
  });
});
