import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import {
  applyGcSettings,
  applyHeapGrowing,
  applyPretenuring,
  headroomPercent,
  keepHeapHeadroom,
} from '../../../src/cli/heap';
import { nodeOptions } from '../../../src/config';
import { serverConfigSchema } from '../../../src/config/schema';

describe('applyHeapGrowing', () => {
  it('reads NODE_OPTIONS through src/config (only src/config reads the environment)', () => {
    expect(nodeOptions({ NODE_OPTIONS: '--heap-growing-percent=5' })).toBe('--heap-growing-percent=5');
    expect(nodeOptions({})).toBe('');
  });

  it('sets V8’s heap growing percent from the configuration', () => {
    const setFlags = jest.fn();
    expect(applyHeapGrowing(25, { setFlags, execArgv: [], nodeOptions: '' })).toBe('applied');
    expect(setFlags).toHaveBeenCalledWith('--heap-growing-percent=25');
  });

  it('leaves V8’s own rule at 0', () => {
    const setFlags = jest.fn();
    expect(applyHeapGrowing(0, { setFlags, execArgv: [], nodeOptions: '' })).toBe('default');
    expect(setFlags).not.toHaveBeenCalled();
  });

  it.each([
    [['--heap-growing-percent=80'], ''],
    [[], '--max-old-space-size=512 --heap_growing_percent=10'],
  ])('does not override a value given to node explicitly (%j, NODE_OPTIONS %j)', (execArgv, nodeOptions) => {
    const setFlags = jest.fn();
    expect(applyHeapGrowing(25, { setFlags, execArgv, nodeOptions })).toBe('explicit');
    expect(setFlags).not.toHaveBeenCalled();
  });
});

describe('applyPretenuring', () => {
  it('turns V8’s allocation-site pretenuring off unless the configuration asks for it', () => {
    const setFlags = jest.fn();
    expect(applyPretenuring(false, { setFlags, execArgv: [], nodeOptions: '' })).toBe('applied');
    expect(setFlags).toHaveBeenCalledWith('--no-allocation-site-pretenuring');
  });

  it('leaves V8’s default (on) when the configuration says true', () => {
    const setFlags = jest.fn();
    expect(applyPretenuring(true, { setFlags, execArgv: [], nodeOptions: '' })).toBe('default');
    expect(setFlags).not.toHaveBeenCalled();
  });

  it.each([
    [['--allocation-site-pretenuring'], ''],
    [['--no-allocation-site-pretenuring'], ''],
    [[], '--max-old-space-size=512 --allocation_site_pretenuring'],
  ])(
    'does not override a setting given to node explicitly (%j, NODE_OPTIONS %j)',
    (execArgv, nodeOptions) => {
      const setFlags = jest.fn();
      expect(applyPretenuring(false, { setFlags, execArgv, nodeOptions })).toBe('explicit');
      expect(setFlags).not.toHaveBeenCalled();
    },
  );

  it('is off by default, and the entry points apply all three settings in one step', () => {
    const server = serverConfigSchema.parse({});
    expect(server.allocationSitePretenuring).toBe(false);
    const setFlags = jest.fn();
    const keepHeadroom = jest.fn();
    expect(applyGcSettings(server, { setFlags, execArgv: [], nodeOptions: '', keepHeadroom })).toEqual({
      heapGrowingPercent: 25,
      heapGrowing: 'applied',
      heapHeadroomMb: 16,
      allocationSitePretenuring: false,
      pretenuring: 'applied',
    });
    expect(setFlags.mock.calls).toEqual([
      ['--heap-growing-percent=25'],
      ['--no-allocation-site-pretenuring'],
    ]);
    expect(keepHeadroom).toHaveBeenCalledWith(25, 16, expect.anything());
  });

  it.each([
    [
      'the percent was given to node explicitly',
      { heapGrowingPercent: 25, heapHeadroomMb: 24 },
      ['--heap-growing-percent=80'],
    ],
    ['V8’s own rule (percent 0)', { heapGrowingPercent: 0, heapHeadroomMb: 24 }, []],
    ['heapHeadroomMb 0', { heapGrowingPercent: 25, heapHeadroomMb: 0 }, []],
  ])('keeps no headroom when %s', (_why, settings, execArgv) => {
    const keepHeadroom = jest.fn();
    const server = { ...settings, allocationSitePretenuring: false };
    const applied = applyGcSettings(server, { setFlags: jest.fn(), execArgv, nodeOptions: '', keepHeadroom });
    expect(applied.heapHeadroomMb).toBe(0);
    expect(keepHeadroom).not.toHaveBeenCalled();
  });
});

describe('heap headroom between full collections', () => {
  const MB = 1024 * 1024;

  it('is the larger of the percent and the headroom over what is live', () => {
    expect(headroomPercent(30 * MB, 24, 25)).toBe(80); // 24 MB over 30 MB live
    expect(headroomPercent(200 * MB, 24, 25)).toBe(25); // 12 % of 200 MB: the percent is more
    expect(headroomPercent(4 * MB, 24, 25)).toBe(300); // bounded as the configuration is
    expect(headroomPercent(30 * MB, 0, 25)).toBe(25);
  });

  it('is set again after every full collection from the heap then in use', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
    const setFlags = jest.fn();
    let used = 30 * MB;
    const keeper = keepHeapHeadroom(25, 24, { setFlags, usedHeap: () => used });
    const fullCollection = async () => {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 50)); // the observer is told after the collection
    };
    try {
      expect(keeper.percent).toBe(25);
      await fullCollection();
      expect(setFlags.mock.calls).toEqual([['--heap-growing-percent=80']]);
      await fullCollection(); // the same live size: nothing to change
      expect(setFlags).toHaveBeenCalledTimes(1);
      used = 100 * MB;
      gc({ type: 'minor' }); // a young collection: V8 sizes nothing from it
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(setFlags).toHaveBeenCalledTimes(1);
      used = 40 * MB; // taking on data (a fifth more and then some): the percent alone
      await fullCollection();
      expect(setFlags.mock.calls.at(-1)).toEqual(['--heap-growing-percent=25']);
      await fullCollection(); // steady again at 40 MB: 24 MB is 60 %
      expect(setFlags.mock.calls.at(-1)).toEqual(['--heap-growing-percent=60']);
      used = 44 * MB;
      await fullCollection(); // a tenth more is still steady
      expect(keeper.percent).toBe(55);
      used = 200 * MB;
      await fullCollection(); // growing: the percent alone
      expect(keeper.percent).toBe(25);
      await fullCollection(); // a large heap, steady: 25 % is more than 24 MB
      expect(setFlags.mock.calls.at(-1)).toEqual(['--heap-growing-percent=25']);
      expect(keeper.percent).toBe(25);
    } finally {
      keeper.stop();
    }
  });
});
