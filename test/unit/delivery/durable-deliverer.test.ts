import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import { createDurableDeliverer, deliveryConfigSchema, SqliteHandoffStore } from '../../../src/delivery';
import type { DeliveryConfigInput, DurableDeliverer } from '../../../src/delivery';
import { isAppError } from '../../../src/errors';
import { prepared } from './fixtures';
import { deferred, FakeSalesforce } from './fake-salesforce';

const SECRET = 'status-callback-secret-0123456789abcdef';

describe('DurableDeliverer (the service’s Deliverer)', () => {
  let sf: FakeSalesforce;
  let deliverer: DurableDeliverer | null = null;
  let server: http.Server | null = null;

  const open = async (config: DeliveryConfigInput = {}, random = Math.random) => {
    deliverer = await createDurableDeliverer({
      config: deliveryConfigSchema.parse({
        store: { kind: 'sqlite', path: ':memory:' },
        pollIntervalMs: 60_000,
        ...config,
      }),
      deliver: sf.deliver,
      findDelivered: sf.findDelivered,
      random,
    });
    return deliverer;
  };

  beforeEach(() => {
    sf = new FakeSalesforce();
  });
  afterEach(async () => {
    await deliverer?.close();
    deliverer = null;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
  });

  it('answers delivered with the case when Salesforce takes it within the budget', async () => {
    const d = await open({ latencyBudgetMs: 10_000 });
    const p = prepared();
    const r = await d.submit(p);
    expect(r.state).toBe('delivered');
    expect(r.record).toMatchObject({
      handoffId: p.handoffId,
      state: 'routed',
      receivedAt: p.receivedAt,
      decision: p.decision,
      redactions: p.redactions,
      outcome: { kind: 'delivered', caseId: expect.any(String), caseNumber: expect.any(String) },
      lastError: null,
    });
    expect(await d.status(p.handoffId)).toEqual(r.record);
    expect(await d.status('ho-unknown-000')).toBeNull();
  });

  it('hands back who submitted the handoff, so the service can keep its status to that caller', async () => {
    const d = await open({ latencyBudgetMs: 10_000 });
    const p = {
      ...prepared(),
      caller: { kind: 'jwt' as const, issuer: 'https://bots.example', subject: 'penny' },
    };
    const r = await d.submit(p);
    expect(r.record.caller).toEqual(p.caller);
    expect((await d.status(p.handoffId))?.caller).toEqual(p.caller);
    const legacy = prepared();
    expect((await d.submit(legacy)).record.caller).toBeNull();
  });

  it('answers pending when the budget runs out, and keeps delivering in the background', async () => {
    const d = await open({ latencyBudgetMs: 30 });
    const gate = deferred();
    sf.script.push({ block: gate.promise });
    const p = prepared();
    const r = await d.submit(p);
    expect(r.state).toBe('pending');
    expect(['accepted', 'delivering']).toContain(r.record.state);
    gate.resolve();
    for (let i = 0; i < 200 && (await d.status(p.handoffId))?.state !== 'routed'; i++) {
      await new Promise((res) => setTimeout(res, 10));
    }
    expect((await d.status(p.handoffId))?.state).toBe('routed');
    expect(sf.writes.get(p.handoffId)).toBe(1);
  });

  it('answers pending at once when a failure schedules the retry beyond the budget', async () => {
    const d = await open(
      { latencyBudgetMs: 600_000, retry: { baseDelayMs: 700_000, maxDelayMs: 700_000 } },
      () => 0.99, // the jittered delay lands beyond the budget
    );
    sf.script.push({ retry: 'transient', code: 'SERVER_ERROR' });
    const r = await d.submit(prepared());
    expect(r).toMatchObject({
      state: 'pending',
      record: { state: 'failed', lastError: { code: 'SERVER_ERROR' } },
    });
  });

  it('answers pending at once while the circuit is open, and delivers when it closes', async () => {
    const d = await open({ latencyBudgetMs: 600_000, breaker: { failureThreshold: 1, cooldownMs: 60_000 } });
    d.worker.breaker.recordFailure();
    expect(d.worker.breaker.state).toBe('open');
    const p = prepared();
    const r = await d.submit(p);
    expect(r).toMatchObject({ state: 'pending', record: { state: 'accepted' } });
    expect(sf.batches).toHaveLength(0);
    d.worker.breaker.recordSuccess();
    expect(await d.worker.runOnce()).toBe(1);
    expect((await d.status(p.handoffId))?.state).toBe('routed');
  });

  it('replays the same handoff without sending it again, and refuses a different body under the same id', async () => {
    const d = await open();
    const p = prepared();
    await d.submit(p);
    const again = await d.submit(p);
    expect(again.state).toBe('replay');
    expect(again.record.outcome?.caseId).toBeDefined();
    const conflict = await d.submit({ ...p, bodyHash: '0'.repeat(64) });
    expect(conflict).toMatchObject({ state: 'conflict', record: { bodyHash: p.bodyHash } });
    expect(sf.batches).toHaveLength(1);
    expect(sf.writes.get(p.handoffId)).toBe(1);
  });

  it('tells the worker while an accept is under way, until it settles whatever its outcome', async () => {
    const d = await open({ latencyBudgetMs: 10_000 });
    const p = prepared();
    const first = d.submit(p);
    const second = d.submit(prepared());
    expect(d.worker.acceptsUnderWay).toBe(2); // both store commits are under way
    await Promise.all([first, second]);
    expect(d.worker.acceptsUnderWay).toBe(0);
    const replay = d.submit(p);
    expect(d.worker.acceptsUnderWay).toBe(1);
    expect((await replay).state).toBe('replay');
    expect(d.worker.acceptsUnderWay).toBe(0);
  });

  it('rejects with a transient 503 AppError when it cannot store the handoff', async () => {
    const store = new SqliteHandoffStore({ path: ':memory:' });
    await store.migrate();
    deliverer = await createDurableDeliverer({
      config: deliveryConfigSchema.parse({}),
      store,
      deliver: sf.deliver,
      findDelivered: sf.findDelivered,
    });
    await store.close();
    const err: unknown = await deliverer.submit(prepared()).catch((e: unknown) => e);
    expect(isAppError(err) && err.status === 503 && err.transient).toBe(true);
    expect(deliverer.worker.acceptsUnderWay).toBe(0); // a failed accept is settled too
    expect((await deliverer.readiness())[0]).toMatchObject({ name: 'handoff-store', ok: false });
    expect(sf.batches).toHaveLength(0);
  });

  it('reports a dead-lettered handoff with its scrubbed reason', async () => {
    const d = await open();
    sf.script.push({
      retry: 'permanent',
      code: 'REQUIRED_FIELD_MISSING',
      message: 'Required fields are missing: [Subject]',
    });
    const p = prepared();
    const r = await d.submit(p);
    expect(r.state).toBe('pending');
    expect(r.record).toMatchObject({
      state: 'dead_lettered',
      outcome: null,
      lastError: { code: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [Subject]' },
    });
  });

  it('sends a signed status callback when routed, without holding up the answer', async () => {
    const received: string[] = [];
    const arrived = deferred();
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push((JSON.parse(body) as { token: string }).token);
        res.statusCode = 204;
        res.end();
        arrived.resolve();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/status`;
    const d = await open({
      callbacks: { signing: { alg: 'HS256', secret: SECRET }, allowInternalHosts: true },
    });
    const p = prepared({ callbackUrl: url });
    const r = await d.submit(p);
    expect(r.state).toBe('delivered');
    await arrived.promise;
    const { payload } = await jwtVerify(received[0]!, new TextEncoder().encode(SECRET));
    expect(payload).toMatchObject({
      handoffId: p.handoffId,
      status: 'routed',
      caseNumber: r.record.outcome?.caseNumber,
    });
  });

  it('exposes Prometheus metrics and readiness', async () => {
    const d = await open();
    const p = prepared();
    await d.submit(p);
    await d.submit(prepared());
    await d.submit(p); // a replay waits for the store too
    // The answers go out first; the store records routed in the group commit that follows (on the
    // store's thread).
    for (let i = 0; i < 200 && (await d.store.stats(Date.now())).counts.routed < 2; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const text = await d.metrics.registry.metrics();
    expect(text).toMatch(/^fsc_handoff_accepted_total 2$/m);
    expect(text).toMatch(/^fsc_handoff_delivered_total 2$/m);
    expect(text).toMatch(/^fsc_handoff_queue_depth\{state="routed"\} 2$/m);
    expect(text).toMatch(/^fsc_handoff_queue_oldest_age_seconds 0$/m);
    expect(text).toMatch(/^fsc_handoff_delivery_latency_seconds_count 2$/m);
    expect(text).toMatch(/^fsc_handoff_salesforce_api_calls_total 2$/m);
    expect(text).toMatch(/^fsc_handoff_accept_duration_seconds_count 3$/m);
    // Both left in calls of their own as soon as the worker looked (one at a time, nothing to share).
    expect(text).toMatch(/^fsc_handoff_coalescing_wait_seconds_count\{held_by="none"\} 2$/m);
    expect(await d.readiness()).toEqual([
      { name: 'handoff-store', ok: true, detail: 'sqlite reachable' },
      { name: 'salesforce-circuit', ok: true, detail: 'circuit closed' },
    ]);
  });
});
