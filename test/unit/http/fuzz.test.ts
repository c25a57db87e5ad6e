/**
 * Nothing a bot sends can produce a 500: wrong types everywhere, huge strings, arrays for objects,
 * deep nesting, prototype-pollution keys. Every answer is a 4xx problem+json (or a success).
 */
import request from 'supertest';
import { appFixture, type AppFixture } from '../../support/app-fixture';
import { cardDeclinedAbroad } from '../../support/handoff-factory';

type Json = unknown;

/** Every path to a value in the base handoff, so each can be replaced by something wrong. */
function paths(value: Json, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

function replaced(base: Json, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  const copy = structuredClone(base) as Record<string, unknown>;
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  cur[path[path.length - 1] as string] = value;
  return copy;
}

const WRONG_VALUES: Json[] = [
  null,
  true,
  -1,
  1e308,
  '',
  'x'.repeat(20_000),
  '\u0000\u0007\u001b[31m',
  [],
  [[[]]],
  {},
  { __proto__: { polluted: true } },
];

let f: AppFixture;
beforeAll(async () => {
  f = await appFixture();
});

async function post(body: Json, raw = false) {
  const req = request(f.app).post('/v1/handoffs').set('Authorization', `Bearer ${f.token}`);
  return raw ? req.set('Content-Type', 'application/json').send(body as string) : req.send(body as object);
}

function expectClientError(res: request.Response) {
  expect(res.status).toBeGreaterThanOrEqual(200);
  expect(res.status).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(typeof res.body.code).toBe('string');
  }
}

/** For bodies that can never be a valid handoff: a 4xx problem, not a success nor a 500. */
function expectProblem(res: request.Response) {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(typeof res.body.code).toBe('string');
}

describe('fuzzing POST /v1/handoffs', () => {
  it('answers every wrong value at every path with a 4xx problem, never a 500', async () => {
    const base = cardDeclinedAbroad();
    const all = paths(base);
    let count = 0;
    for (const path of all) {
      for (const wrong of WRONG_VALUES) {
        const body = replaced({ ...base, handoffId: `fuzz-${count}-${Date.now()}` }, path, wrong);
        const res = await post(JSON.stringify(body), true);
        expectClientError(res);
        count += 1;
      }
    }
    expect(count).toBeGreaterThan(500);
  }, 120_000);

  it('refuses prototype-pollution keys by name, anywhere', async () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const raw = JSON.stringify(cardDeclinedAbroad()).replace(
        '"collectedFields":{',
        `"collectedFields":{"${key}":{"isAdmin":true},`,
      );
      const res = await post(raw, true);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { path: `operational.collectedFields.${key}`, message: 'this key is not allowed' },
      ]);
    }
    const top = await post('{"__proto__":{"isAdmin":true}}', true);
    expect(top.status).toBe(400);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('refuses deep nesting without falling over', async () => {
    const depth = 100_000;
    const deepArray = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    expectProblem(await post(`{"handoffId":${deepArray}}`, true));
    const deepObject = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const res = await post(`{"operational":{"collectedFields":${deepObject}}}`, true);
    expect(res.status).toBe(400);
  });

  it('answers arrays, scalars and odd JSON bodies with 400', async () => {
    for (const raw of ['[]', '[{}]', '"text"', '42', 'null', 'true', '{}', '{"handoffId":{}}']) {
      const res = await post(raw, true);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('survives odd headers: wrong charset, gzip that is not gzip, duplicate content types', async () => {
    const latin = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .set('Content-Type', 'application/json; charset=latin-9')
      .send('{}');
    expectProblem(latin);
    const badGzip = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('not gzip at all');
    expectProblem(badGzip);
    const weird = await request(f.app)
      .post('/v1/handoffs')
      .set('Authorization', `Bearer ${f.token}`)
      .set('Content-Encoding', 'compress')
      .set('Content-Type', 'application/json')
      .send('{}');
    expectProblem(weird);
  });
});
