import { Faults, faultBody } from '../../../../src/emulator/http/faults';
import { createRng } from '../../../../src/emulator/http/util';

describe('Faults', () => {
  it('serves failNext in order, then nothing', () => {
    const f = new Faults(createRng(1));
    f.set({ failNext: ['serviceUnavailable', 'unableToLockRow'] });
    expect(f.preCallFault()).toBe('serviceUnavailable');
    expect(f.preCallFault()).toBe('unableToLockRow');
    expect(f.preCallFault()).toBeUndefined();
  });

  it('draws error rates from the seeded PRNG (0 never, 1 always, 0.5 about half)', () => {
    const f = new Faults(createRng(9));
    f.set({ errorRates: { unableToLockRow: 0.5 } });
    let hits = 0;
    for (let i = 0; i < 1000; i++) if (f.preCallFault() === 'unableToLockRow') hits++;
    expect(hits).toBeGreaterThan(400);
    expect(hits).toBeLessThan(600);
    f.set({ errorRates: { requestLimitExceeded: 1 } });
    expect(f.preCallFault()).toBe('requestLimitExceeded');
    f.set({});
    expect(f.preCallFault()).toBeUndefined();
  });

  it('times an outage window and reports it', () => {
    let now = 1000;
    const f = new Faults(createRng(1), () => now);
    f.set({ outage: 500 });
    expect(f.inOutage()).toBe(true);
    expect(f.view()).toMatchObject({ outage: true, outageRemainingMs: 500 });
    now = 1500;
    expect(f.inOutage()).toBe(false);
    f.set({ outage: true });
    now = 1e12;
    expect(f.inOutage()).toBe(true);
    expect(f.view().outageRemainingMs).toBeNull();
  });

  it('loses the answer of the next N writes (commit then fail)', () => {
    const f = new Faults(createRng(1));
    f.set({ commitThenFail: { next: 2, mode: 'drop' } });
    expect(f.postCommitFault()).toBe('drop');
    expect(f.postCommitFault()).toBe('drop');
    expect(f.postCommitFault()).toBeUndefined();
  });

  it('adds latency with jitter inside the bounds', () => {
    const f = new Faults(createRng(5));
    f.set({ latencyMs: 100, jitterMs: 50 });
    for (let i = 0; i < 100; i++) {
      const d = f.delayMs();
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(150);
    }
  });

  it('rejects settings out of range and unknown keys', () => {
    const f = new Faults(createRng(1));
    expect(() => f.set({ errorRates: { unableToLockRow: 1.5 } })).toThrow();
    expect(() => f.set({ latencyMs: -1 })).toThrow();
    expect(() => f.set({ bogus: 1 } as never)).toThrow();
  });

  it('shapes UNABLE_TO_LOCK_ROW as Salesforce does', () => {
    expect(faultBody('unableToLockRow', '500Dx0000000001IAA')).toEqual({
      status: 400,
      body: [
        {
          errorCode: 'UNABLE_TO_LOCK_ROW',
          message: 'unable to obtain exclusive access to this record or 1 records: 500Dx0000000001IAA',
        },
      ],
    });
    expect(faultBody('serviceUnavailable').status).toBe(503);
    expect(faultBody('requestLimitExceeded').status).toBe(403);
  });
});
