import {
  deliveryConfigSchema,
  DeliveryWorker,
  SqliteHandoffStore,
  createDeliveryMetrics,
} from '../../../src/delivery';
import type { DeliveryConfigInput, HandoffStore } from '../../../src/delivery';
import { prepared } from './fixtures';
import { deferred, FakeSalesforce } from './fake-salesforce';

const T0 = Date.UTC(2026, 10, 21, 11, 0, 0);

async function until(cond: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('DeliveryWorker', () => {
  let store: HandoffStore;
  let sf: FakeSalesforce;
  let clock: number;
  const workers: DeliveryWorker[] = [];

  const worker = (config: DeliveryConfigInput = {}, opts: { realClock?: boolean } = {}) => {
    const w = new DeliveryWorker({
      store,
      config: deliveryConfigSchema.parse({ store: { kind: 'sqlite', path: ':memory:' }, ...config }),
      deliver: sf.deliver,
      findDelivered: sf.findDelivered,
      now: opts.realClock ? Date.now : () => clock,
      random: () => 0.5,
      metrics: createDeliveryMetrics(),
    });
    workers.push(w);
    return w;
  };
  const accept = async (n: number, at = clock) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = prepared();
      await store.accept(p, at);
      ids.push(p.handoffId);
    }
    return ids;
  };
  const state = async (id: string) => (await store.get(id))?.state;

  beforeEach(async () => {
    store = new SqliteHandoffStore({ path: ':memory:' });
    await store.migrate();
    sf = new FakeSalesforce();
    clock = T0;
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    await store.close();
  });

  it('delivers what is waiting in one call and records the case', async () => {
    const w = worker();
    const ids = await accept(3);
    expect(await w.runOnce()).toBe(3);
    expect(sf.batches).toEqual([ids]);
    for (const id of ids) {
      expect(await store.get(id)).toMatchObject({
        state: 'routed',
        attempts: 1,
        caseNumber: expect.any(String),
      });
    }
    expect(await w.runOnce()).toBe(0);
  });

  it('settles a delivered batch in one store transaction, not one per handoff', async () => {
    const w = worker();
    const many = jest.spyOn(store, 'markDeliveredMany');
    const one = jest.spyOn(store, 'markDelivered');
    const ids = await accept(5);
    expect(await w.runOnce()).toBe(5);
    expect(many).toHaveBeenCalledTimes(1);
    expect(many.mock.calls[0]?.[0].map((o) => o.handoffId)).toEqual(ids);
    expect(one).not.toHaveBeenCalled();
    for (const id of ids) expect(await state(id)).toBe('routed');
  });

  it('coalesces a backlog into batches of at most maxBatchSize', async () => {
    const w = worker({ maxBatchSize: 75 });
    await accept(160);
    while ((await w.runOnce()) > 0);
    expect(sf.batches.map((b) => b.length)).toEqual([75, 75, 10]);
    expect([...sf.writes.values()].every((n) => n === 1)).toBe(true);
    expect(sf.writes.size).toBe(160);
  });

  it('retries a transient failure with full-jitter exponential backoff, then delivers', async () => {
    const w = worker({ retry: { baseDelayMs: 1_000, maxDelayMs: 60_000, verifyBeforeEveryRetry: false } });
    const [id] = await accept(1);
    sf.script.push(
      { retry: 'transient', code: 'UNABLE_TO_LOCK_ROW' },
      { retry: 'transient', code: 'SERVER_ERROR' },
    );
    await w.runOnce();
    expect(await store.get(id!)).toMatchObject({
      state: 'failed',
      nextAttemptAt: T0 + 500, // random 0.5 × 1000 · 2^0
      lastError: { code: 'UNABLE_TO_LOCK_ROW' },
      verifyFirst: false,
    });
    clock = T0 + 499;
    expect(await w.runOnce()).toBe(0);
    clock = T0 + 500;
    await w.runOnce();
    expect((await store.get(id!))?.nextAttemptAt).toBe(T0 + 500 + 1_000); // 0.5 × 1000 · 2^1
    clock = T0 + 1_500;
    await w.runOnce();
    expect(await store.get(id!)).toMatchObject({ state: 'routed', attempts: 3, lastError: null });
    expect(sf.writes.get(id!)).toBe(1);
    expect(sf.verified).toEqual([]); // a plain transient failure wrote nothing: no lookup needed
  });

  it('by default looks in Salesforce before re-sending after a transient failure (a 5xx may follow a commit)', async () => {
    const [id] = await accept(1);
    sf.script.push('commit_then_unknown');
    // the deliverer could only say "transient" for a 503 that came after the commit
    const commitThen503 = sf.deliver;
    sf.deliver = async (batch) =>
      (await commitThen503(batch)).map((o) =>
        o.kind === 'failed' ? { ...o, retry: 'transient' as const } : o,
      );
    const w = worker(); // built after the swap: it captures sf.deliver
    await w.runOnce();
    expect(await store.get(id!)).toMatchObject({ state: 'failed', verifyFirst: true });
    clock += 60_000;
    await w.runOnce();
    expect(sf.verified).toEqual([[id]]);
    expect(sf.writes.get(id!)).toBe(1);
    expect(await state(id!)).toBe('routed');
  });

  it('waits longer when the org is over its API limit', async () => {
    const w = worker({ retry: { baseDelayMs: 1_000, rateLimitedDelayMs: 120_000 } });
    const [id] = await accept(1);
    sf.script.push({ retry: 'rate_limited', code: 'REQUEST_LIMIT_EXCEEDED' });
    await w.runOnce();
    expect((await store.get(id!))?.nextAttemptAt).toBe(T0 + 180_000); // 120 s + 0.5 × 120 s
  });

  it('dead-letters a permanent failure at once, with the echoed value scrubbed', async () => {
    const w = worker();
    const [id] = await accept(1);
    sf.script.push({
      retry: 'permanent',
      code: 'STRING_TOO_LONG',
      message: 'Subject: data value too large: Amelia Hart 4921 1234 5678 9012 (max length=255)',
    });
    await w.runOnce();
    const r = await store.get(id!);
    expect(r).toMatchObject({ state: 'dead_lettered', lastError: { code: 'STRING_TOO_LONG' } });
    expect(r?.lastError?.message).not.toMatch(/Amelia|4921|9012/);
    expect(r?.lastError?.message).toContain('max length=255');
    clock += 10 * 24 * 3600_000;
    expect(await w.runOnce()).toBe(0);
    expect(sf.batches).toHaveLength(1);
  });

  it('handles each outcome of a mixed batch on its own', async () => {
    const w = worker();
    const [ok, bad, busy] = await accept(3);
    sf.script.push({
      perHandoff: {
        [bad!]: { retry: 'permanent', code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST' },
        [busy!]: { retry: 'transient', code: 'UNABLE_TO_LOCK_ROW' },
      },
    });
    await w.runOnce();
    expect([await state(ok!), await state(bad!), await state(busy!)]).toEqual([
      'routed',
      'dead_lettered',
      'failed',
    ]);
    expect(w.breaker.state).toBe('closed');
  });

  it('dead-letters a handoff that keeps failing after maxAttempts, or when too old', async () => {
    const w = worker({ retry: { baseDelayMs: 10, maxDelayMs: 10, maxAttempts: 3, maxAgeMs: 3_600_000 } });
    const [a] = await accept(1);
    for (let i = 0; i < 3; i++) sf.script.push({ retry: 'transient', code: 'SERVER_ERROR' });
    for (let i = 0; i < 3; i++) {
      await w.runOnce();
      clock += 10;
    }
    expect(await store.get(a!)).toMatchObject({ state: 'dead_lettered', attempts: 3 });
    expect((await store.get(a!))?.lastError?.message).toMatch(/^gave up after 3 attempts/);

    const [b] = await accept(1, clock);
    clock += 3_600_000;
    sf.script.push({ retry: 'transient', code: 'SERVER_ERROR' });
    await w.runOnce();
    expect(await store.get(b!)).toMatchObject({ state: 'dead_lettered', attempts: 1 });
  });

  it('after an unknown outcome, finds what Salesforce committed instead of writing it again', async () => {
    const w = worker();
    const ids = await accept(2);
    sf.script.push('commit_then_unknown');
    await w.runOnce();
    for (const id of ids) expect(await store.get(id)).toMatchObject({ state: 'failed', verifyFirst: true });
    clock += 60_000;
    await w.runOnce();
    expect(sf.verified).toHaveLength(1);
    expect(new Set(sf.verified[0])).toEqual(new Set(ids));
    expect(sf.batches).toHaveLength(1); // found both: nothing re-sent
    for (const id of ids) {
      expect(await store.get(id)).toMatchObject({
        state: 'routed',
        verifyFirst: false,
        caseId: expect.any(String),
      });
      expect(sf.writes.get(id)).toBe(1);
    }
  });

  it('after an unknown outcome that wrote nothing, re-sends only what is missing', async () => {
    const w = worker();
    const [lost] = await accept(1);
    sf.script.push({ retry: 'unknown_outcome', code: 'TIMEOUT' });
    await w.runOnce();
    clock += 60_000;
    const [fresh] = await accept(1);
    await w.runOnce();
    expect(sf.verified).toEqual([[lost]]); // the fresh one needs no lookup
    expect(sf.batches.at(-1)?.sort()).toEqual([lost, fresh].sort());
    expect(sf.writes.get(lost!)).toBe(1);
    expect(await state(lost!)).toBe('routed');
  });

  it('treats a throwing deliverer as an unknown outcome (verify before re-sending)', async () => {
    const w = worker();
    const [a] = await accept(1);
    sf.script.push('throw');
    await w.runOnce();
    expect(await store.get(a!)).toMatchObject({
      state: 'failed',
      verifyFirst: true,
      lastError: { code: 'DELIVERY_ERROR' },
    });
  });

  it('sends nothing that needs verifying while the lookup fails', async () => {
    const w = worker();
    const [a] = await accept(1);
    sf.script.push({ retry: 'unknown_outcome', code: 'TIMEOUT' });
    await w.runOnce();
    sf.findFails = true;
    clock += 60_000;
    await w.runOnce();
    expect(sf.batches).toHaveLength(1);
    expect(await store.get(a!)).toMatchObject({
      state: 'failed',
      verifyFirst: true,
      lastError: { code: 'VERIFY_FAILED' },
    });
    sf.findFails = false;
    clock += 60_000;
    await w.runOnce();
    expect(await state(a!)).toBe('routed');
    expect(sf.writes.get(a!)).toBe(1);
  });

  it('reclaims the work of an instance that died mid-delivery, without a second write', async () => {
    const w = worker({ leaseMs: 30_000 });
    const [a, b] = await accept(2);
    // the dead instance claimed both and got `a` into Salesforce before it died
    await store.claimBatch('dead-instance', 75, 30_000, clock);
    await sf.deliver([(await store.get(a!))!.prepared]);
    sf.batches.length = 0;
    clock += 29_999;
    expect(await w.runOnce()).toBe(0);
    clock += 1;
    expect(await w.runOnce()).toBe(2);
    expect(new Set(sf.verified[0])).toEqual(new Set([a, b]));
    expect(sf.batches).toEqual([[b]]);
    expect(sf.writes.get(a!)).toBe(1);
    expect(sf.writes.get(b!)).toBe(1);
    expect([await state(a!), await state(b!)]).toEqual(['routed', 'routed']);
  });

  it('opens the circuit after consecutive failed batches, probes once after the cool-down, closes on success', async () => {
    const w = worker({
      maxBatchSize: 1,
      breaker: { failureThreshold: 3, cooldownMs: 10_000, maxCooldownMs: 60_000 },
    });
    await accept(6);
    for (let i = 0; i < 4; i++) sf.script.push({ retry: 'transient', code: 'SERVICE_UNAVAILABLE' });
    for (let i = 0; i < 3; i++) await w.runOnce();
    expect(w.breaker.state).toBe('open');
    expect(await w.runOnce()).toBe(0); // open: nothing is claimed
    expect(sf.batches).toHaveLength(3);
    expect((await store.stats(clock)).counts.accepted).toBe(3);

    clock += 10_000;
    expect(w.breaker.state).toBe('half_open');
    expect(await w.runOnce()).toBe(1); // the probe fails…
    expect(w.breaker.state).toBe('open');
    clock += 10_000;
    expect(w.breaker.state).toBe('open'); // …so the cool-down doubled
    clock += 10_000;
    expect(await w.runOnce()).toBe(1); // this probe succeeds
    expect(w.breaker.state).toBe('closed');
    while ((await w.runOnce()) > 0);
    expect((await store.stats(clock)).counts.accepted).toBe(0);
  });

  it('lets only one probe batch out while half-open', async () => {
    const w = worker({ maxBatchSize: 1, breaker: { failureThreshold: 1, cooldownMs: 1_000 } });
    await accept(3);
    sf.script.push({ retry: 'transient', code: 'SERVER_ERROR' });
    await w.runOnce();
    clock += 1_000;
    expect(w.breaker.canClaim()).toBe(true);
    w.breaker.onClaim();
    expect(w.breaker.canClaim()).toBe(false);
  });

  describe('coalescing by arrival rate, accept-and-claim, slots', () => {
    // The worker's timers are frozen (fake setTimeout) and its clock is injected: every decision below
    // is taken by an explicit pumpNow() or the next turn of the event loop, at a clock the test sets,
    // so nothing depends on how fast the machine is.
    beforeEach(() => {
      jest.useFakeTimers({
        doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'Date', 'hrtime', 'performance'],
      });
    });
    afterEach(() => {
      jest.useRealTimers();
    });
    const settle = async (cond: () => Promise<boolean> | boolean, what: string) => {
      for (let i = 0; i < 2_000; i++) {
        if (await cond()) return;
        await new Promise((r) => setImmediate(r));
      }
      throw new Error(`gave up waiting for ${what}`);
    };
    let load = 0;
    let metrics = createDeliveryMetrics();
    beforeEach(() => {
      load = 0;
      metrics = createDeliveryMetrics();
    });
    /** The coalescing-wait metric: per rule, how many handoffs left and their summed wait (ms). */
    const waits = async () => {
      const out: Record<string, { n: number; ms: number }> = {};
      for (const v of (await metrics.coalescingWait.get()).values) {
        const rule = String(v.labels.held_by);
        out[rule] ??= { n: 0, ms: 0 };
        if (v.metricName?.endsWith('_count')) out[rule].n = v.value;
        if (v.metricName?.endsWith('_sum')) out[rule].ms = Math.round(v.value * 1000);
      }
      return out;
    };
    const running = async (config: DeliveryConfigInput, cost?: { each: number; max: number }) => {
      const w = new DeliveryWorker({
        store,
        config: deliveryConfigSchema.parse({
          store: { kind: 'sqlite', path: ':memory:' },
          pollIntervalMs: 60_000,
          ...config,
        }),
        deliver: sf.deliver,
        findDelivered: sf.findDelivered,
        cost: cost ? () => cost.each : undefined,
        maxCallCost: cost?.max,
        now: () => clock,
        random: () => 0.5,
        load: () => load,
        metrics,
      });
      workers.push(w);
      w.start();
      await w.pumpNow(); // nothing due yet
      return w;
    };
    /** n handoffs accepted by this instance at once, claimed as they are stored (as submit does). */
    /** n handoffs accepted and enqueued together; `arrivedAt(i)`: when each reached the service. */
    const arrive = async (n: number, w: DeliveryWorker, arrivedAt?: (i: number) => number) => {
      const records = [];
      for (let i = 0; i < n; i++) {
        const r = await store.accept(prepared(), clock, w.offerClaim());
        records.push(r.record);
      }
      records.forEach((r, i) => w.enqueue(r, arrivedAt?.(i)));
      await w.pumpNow();
      return records.map((r) => r.handoffId);
    };
    const sorted = (ids: readonly string[] | undefined) => [...(ids ?? [])].sort();
    const allRouted = (n: number) => async () => (await store.stats(clock)).counts.routed === n;

    it('delivers what this instance accepted without claiming it from the store again', async () => {
      const w = await running({});
      const claims = jest.spyOn(store, 'claimBatch');
      const [id] = await arrive(1, w);
      expect(await store.get(id!)).toMatchObject({ attempts: 1 });
      await settle(async () => (await state(id!)) === 'routed', 'routed');
      expect(sf.batches).toEqual([[id]]);
      expect(claims).not.toHaveBeenCalled();
    });

    it('a lone handoff goes at once, alone, however long maxHoldMs is', async () => {
      const w = await running({ maxHoldMs: 1_000 });
      const [id] = await arrive(1, w);
      expect(sf.batches).toEqual([[id]]);
      expect(await waits()).toEqual({ none: { n: 1, ms: 0 } });
      await settle(async () => (await state(id!)) === 'routed', 'routed');
    });

    it('a stream too slow to fill a call within maxHoldMs is never held, even with calls in flight', async () => {
      const w = await running({ maxHoldMs: 50, maxBatchSize: 10 });
      const gates = [deferred(), deferred(), deferred(), deferred()];
      for (const g of gates) sf.script.push({ block: g.promise });
      const sent: string[] = [];
      for (let i = 0; i < 4; i++) {
        sent.push(...(await arrive(1, w)));
        expect(sf.batches.map((b) => b[0])).toEqual(sent); // went at once, alone
        clock += 20; // 2–3 arrivals per 50 ms: a 10-handoff call would take ~200 ms to fill
      }
      expect(w.inFlightBatches).toBe(4);
      for (const g of gates) g.resolve();
      await settle(allRouted(4), 'all routed');
    });

    it('a burst that would fill a call within maxHoldMs is held until the call is full', async () => {
      const w = await running({ maxHoldMs: 50, maxBatchSize: 4 });
      const [first] = await arrive(1, w);
      expect(sf.batches).toEqual([[first]]); // nothing else had arrived: it went alone
      const three = await arrive(3, w);
      clock += 10;
      await w.pumpNow();
      expect(sf.batches).toHaveLength(1); // 4 arrivals in 50 ms: the call fills soon
      const fourth = await arrive(1, w);
      expect(sf.batches).toHaveLength(2);
      expect(sorted(sf.batches[1])).toEqual(sorted([...three, ...fourth]));
      // The first left at once; the call the rate rule held carried three that waited 10 ms, and one that did not.
      expect(await waits()).toEqual({ none: { n: 1, ms: 0 }, filling: { n: 4, ms: 30 } });
      await settle(allRouted(5), 'all routed');
      expect([...sf.writes.values()].every((n) => n === 1)).toBe(true);
    });

    it('handoffs released together after a stall are not held to fill a call: they arrived over its length', async () => {
      const w = await running({ maxHoldMs: 50, maxBatchSize: 4 });
      const [first] = await arrive(1, w);
      expect(sf.batches).toEqual([[first]]);
      clock += 200;
      // Three whose accepts were held up together: they reached the service every 50 ms.
      const three = await arrive(3, w, (i) => clock - 150 + 50 * i);
      expect(sf.batches).toHaveLength(2); // 2 arrivals in the last 50 ms: no call fills that fast
      expect(sorted(sf.batches[1])).toEqual(sorted(three));
      expect(await waits()).toEqual({ none: { n: 4, ms: 0 } });
      await settle(allRouted(4), 'all routed');
    });

    it('while the service is saturated, a call with room to spare waits for the one in flight', async () => {
      const w = await running({
        maxHoldMs: 50,
        maxBatchSize: 10,
        saturatedLoad: 0.8,
        maxPartialHoldMs: 1_000,
      });
      const gate = deferred();
      sf.script.push({ block: gate.promise });
      const [first] = await arrive(1, w);
      load = 0.95; // requests are queueing in the event loop
      const trickle: string[] = [];
      for (let i = 0; i < 3; i++) {
        clock += 100; // too slow for the rate rule to hold them
        trickle.push(...(await arrive(1, w)));
      }
      expect(sf.batches).toEqual([[first]]);
      gate.resolve(); // the partial call answers: what waited goes together
      await settle(() => sf.batches.length === 2, 'the second call');
      expect(sorted(sf.batches[1])).toEqual(sorted(trickle));
      expect(await waits()).toMatchObject({ saturated: { n: 3, ms: 200 + 100 + 0 } });
      await settle(allRouted(4), 'all routed');
    });

    /** Two partial calls in flight, held open until the gates are resolved. */
    const twoPartialCalls = async (w: DeliveryWorker) => {
      const gates = [deferred(), deferred()];
      for (const g of gates) sf.script.push({ block: g.promise });
      await arrive(1, w);
      clock += 100;
      await arrive(1, w);
      expect(sf.batches).toHaveLength(2);
      clock += 100;
      return gates;
    };

    /**
     * Two partial calls in flight (maxPartialCalls 2), another handoff's accept under way, and a third
     * handoff queued behind them.
     */
    const heldBehindAnAccept = async (maxHoldMs: number) => {
      const w = await running({ maxHoldMs, maxBatchSize: 10, maxPartialCalls: 2 });
      const gates = await twoPartialCalls(w);
      const acceptSettled = w.beginAccept();
      const [third] = await arrive(1, w);
      return { w, gates, acceptSettled, third };
    };

    it('while another handoff is being accepted, with maxPartialCalls partial calls in flight, the next waits for one to answer (within maxHoldMs)', async () => {
      const { w, gates, acceptSettled, third } = await heldBehindAnAccept(50);
      expect(sf.batches).toHaveLength(2); // two partial calls are in flight
      clock += 30; // still within maxHoldMs: it keeps waiting
      await w.pumpNow();
      expect(sf.batches).toHaveLength(2);
      gates[0]!.resolve();
      await settle(() => sf.batches.length === 3, 'the third call');
      expect(sf.batches[2]).toEqual([third]);
      expect(await waits()).toEqual({ none: { n: 2, ms: 0 }, accepts: { n: 1, ms: 30 } });
      acceptSettled();
      gates[1]!.resolve();
      await settle(allRouted(3), 'all routed');
    });

    it('a handoff that arrives while nothing else is being accepted goes out at once, beyond maxPartialCalls', async () => {
      const w = await running({ maxHoldMs: 50, maxBatchSize: 10, maxPartialCalls: 2 });
      const gates = await twoPartialCalls(w);
      const [third] = await arrive(1, w);
      expect(sf.batches).toHaveLength(3); // not held: nothing is on its way to share the call
      expect(sf.batches[2]).toEqual([third]);
      for (const g of gates) g.resolve();
      await settle(allRouted(3), 'all routed');
    });

    it('a handoff held for an accept under way leaves as soon as that accept ends without a handoff', async () => {
      // The accept was a replay, a conflict or a store failure: nothing more is on its way.
      const { gates, acceptSettled, third } = await heldBehindAnAccept(1_000);
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); // every wake-up has run
      expect(sf.batches).toHaveLength(2); // held: another handoff is being accepted
      acceptSettled(); // …and its accept ends with nothing to enqueue
      await settle(() => sf.batches.length === 3, 'the held handoff to leave');
      expect(sf.batches[2]).toEqual([third]);
      for (const g of gates) g.resolve();
      await settle(allRouted(3), 'all routed');
    });

    it('a handoff held for an accept under way leaves with it once that accept lands', async () => {
      const { w, gates, acceptSettled, third } = await heldBehindAnAccept(50);
      expect(sf.batches).toHaveLength(2);
      clock += 2;
      // The accept under way commits: it settles, then its handoff is enqueued (as submit does).
      const r = await store.accept(prepared(), clock, w.offerClaim());
      acceptSettled();
      acceptSettled(); // settling twice counts once
      w.enqueue(r.record);
      await w.pumpNow();
      expect(sf.batches).toHaveLength(3);
      expect(sorted(sf.batches[2])).toEqual(sorted([third as string, r.record.handoffId]));
      for (const g of gates) g.resolve();
      await settle(allRouted(4), 'all routed');
    });

    /** `n` accepts that each took `ms` on the worker's clock: how long accepts usually take. */
    const timedAccepts = (w: DeliveryWorker, n: number, ms: number) => {
      for (let i = 0; i < n; i++) {
        const acceptSettled = w.beginAccept();
        clock += ms;
        acceptSettled();
      }
    };

    it('an accept under way that takes over twice as long as accepts usually do holds nothing after that', async () => {
      const w = await running({ maxHoldMs: 50, maxBatchSize: 10, maxPartialCalls: 2 });
      timedAccepts(w, 5, 3); // accepts take 3 ms here
      const gates = await twoPartialCalls(w);
      w.beginAccept(); // stalls in the store, never to settle in this test
      const [third] = await arrive(1, w);
      clock += 5;
      await w.pumpNow();
      expect(sf.batches).toHaveLength(2); // within 2 × 3 ms of the accept's begin: still on its way
      clock += 1;
      await w.pumpNow();
      expect(sf.batches).toHaveLength(3); // stalled: the ready handoff does not wait out its stall
      expect(sf.batches[2]).toEqual([third]);
      expect(await waits()).toEqual({ none: { n: 2, ms: 0 }, accepts: { n: 1, ms: 6 } });
      for (const g of gates) g.resolve();
      await settle(allRouted(3), 'all routed');
    });

    it('while accepts take long (a burst queueing for the store), a handoff waits for one under way up to maxHoldMs', async () => {
      const w = await running({ maxHoldMs: 50, maxBatchSize: 10, maxPartialCalls: 2 });
      timedAccepts(w, 5, 200);
      const gates = await twoPartialCalls(w);
      const acceptSettled = w.beginAccept();
      const [third] = await arrive(1, w);
      clock += 49;
      await w.pumpNow();
      expect(sf.batches).toHaveLength(2);
      clock += 1;
      await w.pumpNow();
      expect(sf.batches[2]).toEqual([third]);
      expect(await waits()).toEqual({ none: { n: 2, ms: 0 }, accepts: { n: 1, ms: 50 } });
      acceptSettled();
      for (const g of gates) g.resolve();
      await settle(allRouted(3), 'all routed');
    });

    it.each([
      // a steady stream, not a backlog: its latency is bounded by maxHoldMs
      { when: 'not saturated', load: 0.3, bound: 'maxHoldMs', waitMs: 50 },
      // requests are queueing: the burst waits for the call in flight, up to maxPartialHoldMs
      { when: 'saturated', load: 1, bound: 'maxPartialHoldMs', waitMs: 300 },
    ])(
      'while $when and more are being accepted, a call waits for a partial one in flight at most $bound',
      async (c) => {
        const w = await running({
          maxHoldMs: 50,
          maxBatchSize: 10,
          maxPartialCalls: 1,
          maxPartialHoldMs: 300,
        });
        const gate = deferred();
        sf.script.push({ block: gate.promise });
        await arrive(1, w);
        load = c.load;
        clock += 100; // too slow for the rate rule to hold it
        const acceptSettled = w.beginAccept();
        const [late] = await arrive(1, w);
        clock += c.waitMs - 1;
        await w.pumpNow();
        expect(sf.batches).toHaveLength(1);
        clock += 1;
        await w.pumpNow();
        expect(sf.batches[1]).toEqual([late]);
        acceptSettled();
        gate.resolve();
        await settle(allRouted(2), 'all routed');
      },
    );

    it('a held call leaves when its oldest handoff has waited maxHoldMs', async () => {
      const w = await running({ maxHoldMs: 50, maxBatchSize: 4 });
      await arrive(1, w);
      const three = await arrive(3, w);
      clock += 49;
      await w.pumpNow();
      expect(sf.batches).toHaveLength(1);
      clock += 1;
      await w.pumpNow();
      expect(sorted(sf.batches[1])).toEqual(sorted(three));
      await settle(allRouted(4), 'all routed');
    });

    it('with maxHoldMs 0 nothing is held', async () => {
      const w = await running({ maxHoldMs: 0, maxBatchSize: 4 });
      const [first] = await arrive(1, w);
      const three = await arrive(3, w);
      expect(sf.batches.map(sorted)).toEqual([[first], sorted(three)]);
      await settle(allRouted(4), 'all routed');
    });

    it('with every slot busy, arrivals queue and leave together when a slot frees; each settles on its own', async () => {
      const w = await running({ maxHoldMs: 0, concurrency: 1 });
      const gate = deferred();
      sf.script.push({ block: gate.promise });
      const [first] = await arrive(1, w);
      const later = await arrive(5, w);
      sf.script.push({ perHandoff: { [later[1]!]: { retry: 'permanent', code: 'STRING_TOO_LONG' } } });
      expect(sf.batches).toEqual([[first]]);
      expect(w.queued).toBe(5);
      clock += 40;
      gate.resolve();
      await settle(() => sf.batches.length === 2 && w.inFlightBatches === 0, 'the queued call');
      expect(sorted(sf.batches[1])).toEqual(sorted(later));
      expect(await waits()).toEqual({ none: { n: 1, ms: 0 }, no_slot: { n: 5, ms: 5 * 40 } });
      expect(await state(first!)).toBe('routed');
      expect(await state(later[1]!)).toBe('dead_lettered');
      for (const id of later.filter((_, i) => i !== 1)) expect(await state(id)).toBe('routed');
    });

    it('cuts calls where the next graph would pass maxCallCost nodes', async () => {
      const w = await running({ maxHoldMs: 0, concurrency: 1 }, { each: 16, max: 50 });
      const gate = deferred();
      sf.script.push({ block: gate.promise });
      await arrive(1, w);
      await arrive(7, w);
      gate.resolve();
      await settle(allRouted(8), 'all routed');
      expect(sf.batches.map((b) => b.length)).toEqual([1, 3, 3, 1]); // 3 × 16 = 48 ≤ 50
    });

    it('claims from the store no more than fit one call, by the graphs seen so far', async () => {
      const w = await running({ maxHoldMs: 0 }, { each: 16, max: 500 });
      await arrive(1, w); // teaches the worker what a graph costs
      await settle(allRouted(1), 'the first');
      const claims = jest.spyOn(store, 'claimBatch');
      for (let i = 0; i < 40; i++) await store.accept(prepared(), clock); // e.g. another instance's
      w.kick();
      await settle(allRouted(41), 'all routed');
      expect(claims.mock.calls[0]?.[1]).toBe(31); // ⌊500 / 16⌋
      expect(sf.batches.slice(1).map((b) => b.length)).toEqual([31, 9]);
    });

    it('while the org is slow, starts new calls only below slowConcurrency', async () => {
      const w = await running({ maxHoldMs: 0, concurrency: 4, slowCallMs: 1_000, slowConcurrency: 1 });
      const gate = deferred();
      sf.script.push({ block: gate.promise });
      await arrive(1, w);
      clock += 500;
      await arrive(1, w);
      expect(sf.batches).toHaveLength(2); // not slow yet: a second slot
      clock += 501; // the first call has run > slowCallMs
      const [third] = await arrive(1, w);
      expect(sf.batches).toHaveLength(2);
      gate.resolve();
      await settle(() => sf.batches.length === 3, 'the third call');
      expect(sf.batches[2]).toEqual([third]);
      await settle(allRouted(3), 'all routed');
    });

    it("the poll interval's claim from the store does not hold up what is queued", async () => {
      const w = await running({ maxHoldMs: 0, pollIntervalMs: 1_000 });
      const unclaimed = prepared();
      await store.accept(unclaimed, clock); // due in the store (another instance's, a retry)
      const gate = deferred();
      const real = store.claimBatch.bind(store);
      let claims = 0;
      jest.spyOn(store, 'claimBatch').mockImplementation(async (...args) => {
        claims += 1;
        await gate.promise; // a slow store: its answer is late
        return real(...args);
      });
      clock += 1_000; // the poll is due
      const record = (await store.accept(prepared(), clock, w.offerClaim())).record;
      w.enqueue(record);
      await settle(() => sf.batches.length === 1, 'the queued handoff sent');
      expect(sf.batches[0]).toEqual([record.handoffId]);
      expect(claims).toBe(1); // the claim runs beside it, once
      gate.resolve();
      await settle(allRouted(2), 'the claimed one delivered too');
      expect(sf.batches[1]).toEqual([unclaimed.handoffId]);
      expect(claims).toBe(1);
    });

    it('stores new handoffs unclaimed once maxQueued wait, and delivers them from the store', async () => {
      const w = await running({ maxHoldMs: 0, concurrency: 1, maxQueued: 2 });
      const gate = deferred();
      sf.script.push({ block: gate.promise });
      await arrive(1, w);
      await arrive(2, w);
      expect(w.queued).toBe(2);
      expect(w.offerClaim()).toBeUndefined();
      const p = prepared();
      const overflow = await store.accept(p, clock, w.offerClaim());
      expect(overflow.record).toMatchObject({ state: 'accepted', claimedBy: null });
      w.enqueue(overflow.record); // not ours: the worker takes it from the store
      gate.resolve();
      await settle(allRouted(4), 'all routed');
      expect(sf.writes.get(p.handoffId)).toBe(1);
    });

    it('answers a waiter as soon as Salesforce confirms, before the store records routed', async () => {
      const w = await running({});
      const reported: string[] = [];
      w.onStateChange((r) => {
        if (r.state === 'routed') reported.push(r.handoffId);
      });
      const many = jest.spyOn(store, 'markDeliveredMany');
      let reportedBeforeCommit = false;
      many.mockImplementation(async (...args) => {
        reportedBeforeCommit = reported.length === 1;
        return SqliteHandoffStore.prototype.markDeliveredMany.apply(store, args);
      });
      const [id] = await arrive(1, w);
      await settle(async () => (await state(id!)) === 'routed', 'routed');
      expect(reportedBeforeCommit).toBe(true);
    });

    it('gives back what is queued when it stops, due again at once with its attempt returned', async () => {
      const w = await running({ maxHoldMs: 0, concurrency: 1, shutdownTimeoutMs: 10 });
      const gate = deferred();
      sf.script.push({ block: gate.promise });
      await arrive(1, w);
      const queued = await arrive(2, w);
      jest.useRealTimers();
      await w.stop();
      for (const id of queued) {
        expect(await store.get(id)).toMatchObject({ state: 'accepted', attempts: 0, claimedBy: null });
      }
      gate.resolve();
    });
  });

  describe('running', () => {
    it('delivers handoffs as they are kicked, coalescing a burst into one call', async () => {
      const w = worker({ gatherWindowMs: 20, pollIntervalMs: 60_000 }, { realClock: true });
      w.start();
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const p = prepared();
        await store.accept(p, Date.now());
        ids.push(p.handoffId);
        w.kick();
      }
      await until(async () => (await store.stats(Date.now())).counts.routed === 30, 'all routed');
      expect(sf.batches.length).toBeLessThan(30);
      expect(sf.batches.flat().sort()).toEqual([...ids].sort());
    });

    it('renews the lease of a slow batch so no other instance takes it', async () => {
      const w = worker({ leaseMs: 500, pollIntervalMs: 60_000 }, { realClock: true });
      const gate = deferred();
      sf.script.push({ block: gate.promise });
      const [id] = await accept(1, Date.now());
      w.start();
      w.kick();
      await until(() => sf.batches.length === 1, 'the send');
      const claimedAt = (await store.get(id!))!.leaseUntil!;
      await until(async () => (await store.get(id!))!.leaseUntil! > claimedAt + 200, 'a renewal');
      expect(await store.claimBatch('other', 10, 500, Date.now())).toEqual([]);
      gate.resolve();
      await until(async () => (await state(id!)) === 'routed', 'routed');
      expect(sf.writes.get(id!)).toBe(1);
    });

    it('gives back at once what a claim brings in after stop()', async () => {
      const w = worker({ pollIntervalMs: 60_000 }, { realClock: true });
      const [id] = await accept(1, Date.now());
      const gate = deferred();
      const real = store.claimBatch.bind(store);
      const claiming = deferred();
      jest.spyOn(store, 'claimBatch').mockImplementation(async (...args) => {
        claiming.resolve();
        await gate.promise;
        return real(...args);
      });
      w.start();
      w.kick();
      await claiming.promise;
      const stopping = w.stop();
      gate.resolve();
      await stopping;
      await until(async () => (await store.get(id!))?.claimedBy === null, 'the release');
      expect(await store.get(id!)).toMatchObject({ state: 'accepted', attempts: 0 });
      expect(sf.batches).toEqual([]);
    });

    it('shuts down gracefully: finishes in-flight batches within the timeout', async () => {
      const w = worker({ pollIntervalMs: 60_000, shutdownTimeoutMs: 10_000 }, { realClock: true });
      const gate = deferred();
      sf.script.push({ block: gate.promise });
      const [id] = await accept(1, Date.now());
      w.start();
      w.kick();
      await until(() => sf.batches.length === 1, 'the send');
      const stopping = w.stop();
      gate.resolve();
      await stopping;
      expect(await state(id!)).toBe('routed');
      expect(w.isRunning).toBe(false);
    });

    it('shuts down gracefully: releases what is still in flight after the timeout, to be verified first', async () => {
      const w = worker({ pollIntervalMs: 60_000, shutdownTimeoutMs: 50 }, { realClock: true });
      const gate = deferred();
      sf.script.push({ block: gate.promise });
      const [id] = await accept(1, Date.now());
      w.start();
      w.kick();
      await until(() => sf.batches.length === 1, 'the send');
      await w.stop();
      expect(await store.get(id!)).toMatchObject({
        state: 'accepted',
        claimedBy: null,
        leaseUntil: null,
        verifyFirst: true,
      });
      // the late answer cannot overwrite what is no longer ours; the next instance checks first
      gate.resolve();
      await until(() => sf.writes.get(id!) === 1, 'the late commit');
      const next = worker({}, { realClock: true });
      expect(await next.runOnce()).toBe(1);
      expect(sf.batches).toHaveLength(1);
      expect(await state(id!)).toBe('routed');
    });
  });
});
