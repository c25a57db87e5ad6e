import { applyGcSettings, applyHeapGrowing, applyPretenuring } from '../../../src/cli/heap';
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

  it('is off by default, and the entry points apply both settings in one step', () => {
    const server = serverConfigSchema.parse({});
    expect(server.allocationSitePretenuring).toBe(false);
    const setFlags = jest.fn();
    expect(applyGcSettings(server, { setFlags, execArgv: [], nodeOptions: '' })).toEqual({
      heapGrowingPercent: 25,
      heapGrowing: 'applied',
      allocationSitePretenuring: false,
      pretenuring: 'applied',
    });
    expect(setFlags.mock.calls).toEqual([
      ['--heap-growing-percent=25'],
      ['--no-allocation-site-pretenuring'],
    ]);
  });
});
