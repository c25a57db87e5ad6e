import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import { watchGarbageCollection } from '../../src/runtime-metrics';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full collection, then a moment for the observer to be told. */
async function fullCollection(): Promise<void> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
}

const majors = async (registry: Registry): Promise<number> => {
  const text = await registry.metrics();
  const m = /^nodejs_gc_duration_seconds_count\{kind="major"\} (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
};

describe('watchGarbageCollection', () => {
  it('counts each full collection under kind "major", with its pause, until it is stopped', async () => {
    const registry = new Registry();
    const stop = watchGarbageCollection(registry);
    let counted: number;
    try {
      await fullCollection();
      await fullCollection();
      counted = await majors(registry);
      expect(counted).toBeGreaterThanOrEqual(2); // V8 may have collected on its own as well
      const text = await registry.metrics();
      const sum = Number(/^nodejs_gc_duration_seconds_sum\{kind="major"\} (\S+)$/m.exec(text)?.[1]);
      expect(sum).toBeGreaterThan(0);
    } finally {
      stop();
    }
    await fullCollection();
    expect(await majors(registry)).toBe(counted);
  });
});
