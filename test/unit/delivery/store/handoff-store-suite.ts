/**
 * The one behavioural suite every HandoffStore must pass (SQLite here, PostgreSQL in
 * test/integration/delivery). `open` returns a fresh, migrated, empty store; `cleanup` drops it.
 */
import type { HandoffStore } from '../../../../src/delivery/store';
import { delivered, prepared } from '../fixtures';

export interface StoreHarness {
  open(): Promise<HandoffStore>;
  cleanup(store: HandoffStore): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 21, 11, 0, 0);
const LEASE = 30_000;
const err = (code = 'UNABLE_TO_LOCK_ROW', verifyFirst = false) => ({
  code,
  message: `${code}: try again`,
  verifyFirst,
  salesforceApiCalls: 1,
});

export function describeHandoffStore(name: string, harness: StoreHarness): void {
  describe(`HandoffStore contract: ${name}`, () => {
    let store: HandoffStore;

    beforeEach(async () => {
      store = await harness.open();
    });
    afterEach(async () => {
      await harness.cleanup(store);
    });

    it('accepts a new handoff durably with its routing and callback URL', async () => {
      const p = prepared({ callbackUrl: 'https://bot.example.com/status' });
      const r = await store.accept(p, T0);
      expect(r.kind).toBe('accepted');
      const got = await store.get(p.handoffId);
      expect(got).toMatchObject({
        handoffId: p.handoffId,
        bodyHash: p.bodyHash,
        state: 'accepted',
        attempts: 0,
        nextAttemptAt: T0,
        claimedBy: null,
        verifyFirst: false,
        lastError: null,
        caseId: null,
        routing: p.decision,
        callbackUrl: 'https://bot.example.com/status',
        acceptedAt: T0,
        salesforceApiCalls: 0,
      });
      expect(got?.prepared).toEqual(p);
      expect(await store.get('ho-never-seen')).toBeNull();
    });

    it('answers duplicate for the same id and body, conflict for a different body, and keeps the first', async () => {
      const p = prepared();
      await store.accept(p, T0);
      const dup = await store.accept(p, T0 + 5);
      expect(dup.kind).toBe('duplicate');
      expect(dup.record.acceptedAt).toBe(T0);
      const conflict = await store.accept({ ...p, bodyHash: 'f'.repeat(64) }, T0 + 10);
      expect(conflict.kind).toBe('conflict');
      expect(conflict.record.bodyHash).toBe(p.bodyHash);
      expect((await store.get(p.handoffId))?.bodyHash).toBe(p.bodyHash);
    });

    it('stores a handoff once when the same id is accepted concurrently', async () => {
      const p = prepared();
      const results = await Promise.all(Array.from({ length: 12 }, () => store.accept(p, T0)));
      expect(results.filter((r) => r.kind === 'accepted')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'duplicate')).toHaveLength(11);
      expect((await store.stats(T0)).counts.accepted).toBe(1);
    });

    it('answers concurrent accepts of one id as if they came one after the other, bodies compared exactly', async () => {
      const p = prepared();
      const other = { ...p, bodyHash: 'e'.repeat(64) };
      const sent = [p, other, p, other, p, other];
      const results = await Promise.all(sent.map((x, i) => store.accept(x, T0 + i)));
      const winners = results.filter((r) => r.kind === 'accepted');
      expect(winners).toHaveLength(1);
      const stored = await store.get(p.handoffId);
      const winnerHash = winners[0]!.record.bodyHash;
      expect(stored?.bodyHash).toBe(winnerHash);
      results.forEach((r, i) => {
        if (r.kind === 'accepted') return;
        expect(r.kind).toBe(sent[i]!.bodyHash === winnerHash ? 'duplicate' : 'conflict');
        expect(r.record.bodyHash).toBe(winnerHash);
        expect(r.record.acceptedAt).toBe(stored?.acceptedAt);
      });
      expect((await store.stats(T0)).counts.accepted).toBe(1);
    });

    it('returns from accept the record exactly as stored, for many concurrent handoffs', async () => {
      const ps = Array.from({ length: 40 }, (_, i) =>
        prepared(i % 3 === 0 ? { callbackUrl: `https://bot.example.com/s/${i}` } : {}),
      );
      const results = await Promise.all(ps.map((p, i) => store.accept(p, T0 + i)));
      for (const [i, r] of results.entries()) {
        expect(r.kind).toBe('accepted');
        expect(r.record).toEqual(await store.get(ps[i]!.handoffId));
      }
      expect((await store.stats(T0)).counts.accepted).toBe(40);
    });

    it('fails only the handoff it cannot write when others are accepted at the same time', async () => {
      const a = prepared();
      const b = prepared();
      // no body hash: the NOT NULL column refuses it
      const bad = { ...prepared(), bodyHash: undefined as unknown as string };
      const [ra, rbad, rb] = await Promise.allSettled([
        store.accept(a, T0),
        store.accept(bad, T0),
        store.accept(b, T0),
      ]);
      expect(ra).toMatchObject({ status: 'fulfilled', value: { kind: 'accepted' } });
      expect(rb).toMatchObject({ status: 'fulfilled', value: { kind: 'accepted' } });
      expect(rbad.status).toBe('rejected');
      expect(await store.get(bad.handoffId)).toBeNull();
      expect((await store.get(a.handoffId))?.state).toBe('accepted');
      expect((await store.get(b.handoffId))?.state).toBe('accepted');
    });

    it('marks a delivered batch in one call, only what the worker still holds', async () => {
      const [a, b, c, d] = [prepared(), prepared(), prepared(), prepared()];
      for (const p of [a, b, c, d]) await store.accept(p, T0);
      await store.claimBatch('w1', 3, LEASE, T0); // a, b, c
      await store.claimBatch('w2', 1, LEASE, T0); // d
      await store.markDeadLetter(c.handoffId, 'w1', err('REQUIRED_FIELD_MISSING'), T0 + 1);
      expect(await store.markDeliveredMany([], 'w1', T0 + 2)).toEqual([]);
      const settled = await store.markDeliveredMany(
        [
          delivered(a.handoffId, 11),
          { ...delivered(b.handoffId, 12), enrichedExistingCase: true, salesforceApiCalls: 0 },
          delivered(c.handoffId, 13), // dead-lettered: no longer delivering
          delivered(d.handoffId, 14), // claimed by another worker
          delivered(a.handoffId, 15), // repeated: settled once, by the first
        ],
        'w1',
        T0 + 2,
      );
      expect(settled).toEqual([true, true, false, false, false]);
      expect(await store.get(a.handoffId)).toMatchObject({
        state: 'routed',
        caseId: delivered(a.handoffId, 11).caseId,
        caseNumber: '00000011',
        handoffRecordId: delivered(a.handoffId, 11).handoffRecordId,
        enrichedExistingCase: false,
        salesforceApiCalls: 1,
        claimedBy: null,
        leaseUntil: null,
        verifyFirst: false,
        lastError: null,
        deliveredAt: T0 + 2,
      });
      expect(await store.get(b.handoffId)).toMatchObject({
        state: 'routed',
        caseNumber: '00000012',
        enrichedExistingCase: true,
        salesforceApiCalls: 0,
      });
      expect((await store.get(c.handoffId))?.state).toBe('dead_lettered');
      expect(await store.get(d.handoffId)).toMatchObject({
        state: 'delivering',
        claimedBy: 'w2',
        caseId: null,
      });
    });

    it('claims due handoffs oldest first, up to max, with a lease and one more attempt', async () => {
      const ps = [prepared(), prepared(), prepared()];
      for (const [i, p] of ps.entries()) await store.accept(p, T0 + i);
      await store.accept(prepared(), T0 + 1_000); // not due yet at T0 + 2
      const claimed = await store.claimBatch('w1', 2, LEASE, T0 + 2);
      expect(claimed.map((r) => r.handoffId)).toEqual([ps[0]!.handoffId, ps[1]!.handoffId]);
      for (const r of claimed) {
        expect(r).toMatchObject({
          state: 'delivering',
          claimedBy: 'w1',
          leaseUntil: T0 + 2 + LEASE,
          attempts: 1,
        });
      }
      const rest = await store.claimBatch('w2', 10, LEASE, T0 + 2);
      expect(rest.map((r) => r.handoffId)).toEqual([ps[2]!.handoffId]);
      expect(await store.claimBatch('w3', 10, LEASE, T0 + 2)).toEqual([]);
    });

    it('never hands one handoff to two concurrent claimers', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 60; i++) {
        const p = prepared();
        ids.push(p.handoffId);
        await store.accept(p, T0);
      }
      const batches = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.claimBatch(`w${i}`, 10, LEASE, T0 + 1)),
      );
      const claimed = batches.flat().map((r) => r.handoffId);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort()).toEqual([...ids].sort());
    });

    it('reclaims a lapsed lease with verifyFirst and fences the old claimer out', async () => {
      const p = prepared();
      await store.accept(p, T0);
      await store.claimBatch('crashed', 5, LEASE, T0);
      expect(await store.claimBatch('w2', 5, LEASE, T0 + LEASE - 1)).toEqual([]);
      const [again] = await store.claimBatch('w2', 5, LEASE, T0 + LEASE);
      expect(again).toMatchObject({
        handoffId: p.handoffId,
        claimedBy: 'w2',
        attempts: 2,
        verifyFirst: true,
      });
      expect(await store.markDelivered(p.handoffId, 'crashed', delivered(p.handoffId), T0 + LEASE + 1)).toBe(
        false,
      );
      expect(await store.markRetry(p.handoffId, 'crashed', err(), T0 + LEASE + 9, T0 + LEASE + 1)).toBe(
        false,
      );
      expect(await store.markDelivered(p.handoffId, 'w2', delivered(p.handoffId), T0 + LEASE + 2)).toBe(true);
      expect((await store.get(p.handoffId))?.state).toBe('routed');
    });

    it('accepts and claims in one step: the record starts delivering, leased to the accepting worker', async () => {
      const p = prepared();
      const r = await store.accept(p, T0, { workerId: 'w1', leaseUntil: T0 + LEASE });
      const expected = {
        handoffId: p.handoffId,
        state: 'delivering',
        claimedBy: 'w1',
        leaseUntil: T0 + LEASE,
        attempts: 1,
        verifyFirst: false,
        acceptedAt: T0,
      };
      expect(r).toMatchObject({ kind: 'accepted', record: expected });
      expect(await store.get(p.handoffId)).toMatchObject(expected);
      expect(r.record).toEqual(await store.get(p.handoffId));
      // nobody else takes it while the lease holds; it is fenced like any claim
      expect(await store.claimBatch('w2', 5, LEASE, T0 + LEASE - 1)).toEqual([]);
      expect(await store.markDelivered(p.handoffId, 'w2', delivered(p.handoffId), T0 + 1)).toBe(false);
      expect(await store.markDelivered(p.handoffId, 'w1', delivered(p.handoffId), T0 + 2)).toBe(true);
    });

    it('reclaims an accepted-and-claimed record whose accepting worker died, verifying first', async () => {
      const p = prepared();
      await store.accept(p, T0, { workerId: 'died', leaseUntil: T0 + LEASE });
      const [again] = await store.claimBatch('w2', 5, LEASE, T0 + LEASE);
      expect(again).toMatchObject({
        handoffId: p.handoffId,
        claimedBy: 'w2',
        attempts: 2,
        verifyFirst: true,
      });
    });

    it('leaves a duplicate as stored when the repeat asks for a claim', async () => {
      const p = prepared();
      await store.accept(p, T0);
      const dup = await store.accept(p, T0 + 1, { workerId: 'w1', leaseUntil: T0 + LEASE });
      expect(dup).toMatchObject({
        kind: 'duplicate',
        record: { state: 'accepted', claimedBy: null, attempts: 0 },
      });
      expect(await store.get(p.handoffId)).toMatchObject({ state: 'accepted', claimedBy: null });
    });

    it('releases an accepted-and-claimed record that was never sent: due again, attempt given back', async () => {
      const p = prepared();
      await store.accept(p, T0, { workerId: 'w1', leaseUntil: T0 + LEASE });
      expect(await store.release([p.handoffId], 'w1', T0 + 5)).toBe(1);
      expect(await store.get(p.handoffId)).toMatchObject({
        state: 'accepted',
        attempts: 0,
        verifyFirst: false,
      });
      expect((await store.claimBatch('w2', 5, LEASE, T0 + 6)).map((x) => x.handoffId)).toEqual([p.handoffId]);
    });

    it('renews only the leases a worker still holds', async () => {
      const a = prepared();
      const b = prepared();
      await store.accept(a, T0);
      await store.accept(b, T0);
      await store.claimBatch('w1', 1, LEASE, T0);
      await store.claimBatch('w2', 1, LEASE, T0);
      const held = await store.renewLease([a.handoffId, b.handoffId], 'w1', T0 + 5 * LEASE, T0 + 10);
      expect(held).toEqual([a.handoffId]);
      expect((await store.get(a.handoffId))?.leaseUntil).toBe(T0 + 5 * LEASE);
      expect((await store.get(b.handoffId))?.leaseUntil).toBe(T0 + LEASE);
      // the renewed one is not reclaimable when the original lease would have lapsed
      const reclaimed = await store.claimBatch('w3', 5, LEASE, T0 + LEASE);
      expect(reclaimed.map((r) => r.handoffId)).toEqual([b.handoffId]);
    });

    it('marks delivered: routed with the case, the handoff record and the API calls of every attempt', async () => {
      const p = prepared();
      await store.accept(p, T0);
      await store.claimBatch('w1', 1, LEASE, T0);
      await store.markRetry(p.handoffId, 'w1', err(), T0 + 100, T0 + 1);
      await store.claimBatch('w1', 1, LEASE, T0 + 100);
      expect(
        await store.markDelivered(
          p.handoffId,
          'w1',
          { ...delivered(p.handoffId, 7), salesforceApiCalls: 2 },
          T0 + 200,
        ),
      ).toBe(true);
      expect(await store.get(p.handoffId)).toMatchObject({
        state: 'routed',
        attempts: 2,
        caseId: delivered(p.handoffId, 7).caseId,
        caseNumber: '00000007',
        handoffRecordId: delivered(p.handoffId, 7).handoffRecordId,
        enrichedExistingCase: false,
        salesforceApiCalls: 3,
        lastError: null,
        claimedBy: null,
        leaseUntil: null,
        deliveredAt: T0 + 200,
        verifyFirst: false,
      });
      // a routed handoff is never claimed again
      expect(await store.claimBatch('w2', 5, LEASE, T0 + 10 * LEASE)).toEqual([]);
    });

    it('schedules a retry: failed with the error, due at nextAttemptAt, verifyFirst kept', async () => {
      const p = prepared();
      await store.accept(p, T0);
      await store.claimBatch('w1', 1, LEASE, T0);
      expect(await store.markRetry(p.handoffId, 'w1', err('TIMEOUT', true), T0 + 5_000, T0 + 10)).toBe(true);
      expect(await store.get(p.handoffId)).toMatchObject({
        state: 'failed',
        nextAttemptAt: T0 + 5_000,
        lastError: { code: 'TIMEOUT', message: 'TIMEOUT: try again' },
        verifyFirst: true,
        claimedBy: null,
      });
      expect(await store.claimBatch('w1', 1, LEASE, T0 + 4_999)).toEqual([]);
      const [r] = await store.claimBatch('w1', 1, LEASE, T0 + 5_000);
      expect(r).toMatchObject({ attempts: 2, verifyFirst: true });
      // a later plain transient failure does not clear the need to verify
      await store.markRetry(p.handoffId, 'w1', err('SERVER_ERROR', false), T0 + 9_000, T0 + 5_001);
      expect((await store.get(p.handoffId))?.verifyFirst).toBe(true);
    });

    it('dead-letters, lists dead letters, and requeues them for an immediate retry', async () => {
      const p = prepared();
      const q = prepared();
      await store.accept(p, T0);
      await store.accept(q, T0);
      await store.claimBatch('w1', 2, LEASE, T0);
      expect(await store.markDeadLetter(p.handoffId, 'w1', err('REQUIRED_FIELD_MISSING'), T0 + 1)).toBe(true);
      await store.markDelivered(q.handoffId, 'w1', delivered(q.handoffId), T0 + 1);
      expect(await store.get(p.handoffId)).toMatchObject({
        state: 'dead_lettered',
        deadLetteredAt: T0 + 1,
        lastError: { code: 'REQUIRED_FIELD_MISSING' },
      });
      expect((await store.listByState('dead_lettered')).map((r) => r.handoffId)).toEqual([p.handoffId]);
      expect(await store.claimBatch('w1', 5, LEASE, T0 + 10 * LEASE)).toEqual([]);
      expect(await store.requeue(q.handoffId, T0 + 2)).toBe(false);
      expect(await store.requeue(p.handoffId, T0 + 2)).toBe(true);
      expect(await store.get(p.handoffId)).toMatchObject({
        state: 'failed',
        attempts: 0,
        nextAttemptAt: T0 + 2,
      });
      expect((await store.claimBatch('w2', 5, LEASE, T0 + 2)).map((r) => r.handoffId)).toEqual([p.handoffId]);
    });

    it('marks an agent assigned only on a routed handoff, and lists those still waiting for one', async () => {
      const a = prepared();
      const b = prepared();
      const c = prepared();
      for (const p of [a, b, c]) await store.accept(p, T0);
      await store.claimBatch('w1', 3, LEASE, T0);
      await store.markDelivered(a.handoffId, 'w1', delivered(a.handoffId, 1), T0 + 1);
      await store.markDelivered(b.handoffId, 'w1', delivered(b.handoffId, 2), T0 + 2);
      expect((await store.listAwaitingAgent(10)).map((r) => r.handoffId)).toEqual(
        [a.handoffId, b.handoffId].sort(),
      );
      const [first] = [a.handoffId, b.handoffId].sort();
      expect((await store.listAwaitingAgent(10, first)).map((r) => r.handoffId)).toEqual(
        [a.handoffId, b.handoffId].filter((id) => id !== first),
      );
      const agent = {
        userId: '005000000000001AAA',
        assignedAt: '2026-11-21T11:00:05.000Z',
        acceptedAt: null,
      };
      expect(await store.markAgentAssigned(a.handoffId, agent, T0 + 3)).toBe(true);
      expect(await store.markAgentAssigned(c.handoffId, agent, T0 + 3)).toBe(false);
      expect(await store.get(a.handoffId)).toMatchObject({ state: 'agent_assigned', agent });
      expect((await store.listAwaitingAgent(10)).map((r) => r.handoffId)).toEqual([b.handoffId]);
    });

    it('releases claims on shutdown: due at once, the unused attempt given back, others’ claims untouched', async () => {
      const a = prepared();
      const b = prepared();
      const c = prepared();
      for (const p of [a, b, c]) await store.accept(p, T0);
      await store.claimBatch('w1', 2, LEASE, T0);
      await store.claimBatch('w2', 1, LEASE, T0);
      // b failed once before: released, it stays a retry
      await store.markRetry(b.handoffId, 'w1', err(), T0, T0);
      await store.claimBatch('w1', 1, LEASE, T0);
      expect(await store.release([a.handoffId, b.handoffId, c.handoffId], 'w1', T0 + 50)).toBe(2);
      expect(await store.get(a.handoffId)).toMatchObject({
        state: 'accepted',
        attempts: 0,
        claimedBy: null,
        leaseUntil: null,
      });
      expect(await store.get(b.handoffId)).toMatchObject({
        state: 'failed',
        attempts: 1,
        nextAttemptAt: T0 + 50,
      });
      expect(await store.get(c.handoffId)).toMatchObject({ state: 'delivering', claimedBy: 'w2' });
      expect((await store.get(a.handoffId))?.verifyFirst).toBe(false);

      const next = await store.claimBatch('w3', 5, LEASE, T0 + 50);
      expect(next.map((r) => r.handoffId).sort()).toEqual([a.handoffId, b.handoffId].sort());
      // released while a send may have been in flight: the next claimer must verify first
      expect(await store.release([a.handoffId], 'w3', T0 + 60, true)).toBe(1);
      expect((await store.get(a.handoffId))?.verifyFirst).toBe(true);
    });

    it('counts records per state and the age of the oldest undelivered one', async () => {
      expect(await store.stats(T0)).toEqual({
        counts: { accepted: 0, delivering: 0, routed: 0, agent_assigned: 0, failed: 0, dead_lettered: 0 },
        oldestPendingAgeMs: 0,
      });
      const a = prepared();
      const b = prepared();
      const c = prepared();
      await store.accept(a, T0);
      await store.accept(b, T0 + 1_000);
      await store.accept(c, T0 + 2_000);
      await store.claimBatch('w1', 1, LEASE, T0 + 3_000);
      await store.markDelivered(a.handoffId, 'w1', delivered(a.handoffId), T0 + 3_000);
      const s = await store.stats(T0 + 10_000);
      expect(s.counts).toMatchObject({ accepted: 2, routed: 1, delivering: 0 });
      expect(s.oldestPendingAgeMs).toBe(9_000);
    });

    it('pages through a state by handoff id', async () => {
      const ids = ['ho-page-c1', 'ho-page-a1', 'ho-page-b1', 'ho-page-d1', 'ho-page-B2'];
      for (const id of ids) await store.accept(prepared({ handoffId: id }), T0);
      const first = await store.listByState('accepted', { limit: 2 });
      const second = await store.listByState('accepted', { limit: 2, after: first.at(-1)!.handoffId });
      const third = await store.listByState('accepted', { limit: 2, after: second.at(-1)!.handoffId });
      expect([...first, ...second, ...third].map((r) => r.handoffId)).toEqual([
        'ho-page-B2',
        'ho-page-a1',
        'ho-page-b1',
        'ho-page-c1',
        'ho-page-d1',
      ]);
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
