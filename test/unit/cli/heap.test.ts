import { applyHeapGrowing } from '../../../src/cli/heap';
import { nodeOptions } from '../../../src/config';

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
