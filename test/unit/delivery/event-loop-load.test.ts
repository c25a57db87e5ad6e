import { performance } from 'node:perf_hooks';
import { eventLoopLoad } from '../../../src/delivery/worker';

/** Keeps the event loop busy (no turn ends) for ms. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

const idle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('eventLoopLoad: how busy the event loop is, for the worker’s saturation rule', () => {
  it('reads saturated once the loop has been busy for a whole window', async () => {
    await idle(5); // start from a turn of its own
    const load = eventLoopLoad(100, 20);
    busy(120);
    expect(load()).toBeGreaterThanOrEqual(0.8);
  });

  it('stops reading saturated within the short window once the loop is idle again', async () => {
    await idle(5);
    const load = eventLoopLoad(100, 20);
    busy(120);
    expect(load()).toBeGreaterThanOrEqual(0.8);
    await idle(40); // the backlog has cleared; the long window has not elapsed since the last read
    expect(load()).toBeLessThan(0.5);
  });

  it('does not read saturated for a busy moment shorter than the long window', async () => {
    const load = eventLoopLoad(100, 20);
    await idle(150);
    expect(load()).toBeLessThan(0.5);
    busy(30); // a pause, or a few requests at once, in a steady stream
    expect(load()).toBeLessThan(0.5);
  });
});
