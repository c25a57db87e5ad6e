import { toId18 } from '../../../../src/emulator/org/ids';
import { createRng, idSuffix, randomSfId, scheduleOrder } from '../../../../src/emulator/http/util';

describe('scheduleOrder', () => {
  it('never returns the listed order for independent items when another order exists', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const order = scheduleOrder(4, [[], [], [], []], createRng(seed));
      expect(order).not.toEqual([0, 1, 2, 3]);
      expect([...(order ?? [])].sort()).toEqual([0, 1, 2, 3]);
    }
  });

  it('keeps every item after the items it depends on', () => {
    const deps = [[], [0], [], [1, 2], []];
    for (let seed = 1; seed <= 50; seed++) {
      const order = scheduleOrder(5, deps, createRng(seed))!;
      const pos = (i: number): number => order.indexOf(i);
      expect(pos(1)).toBeGreaterThan(pos(0));
      expect(pos(3)).toBeGreaterThan(pos(1));
      expect(pos(3)).toBeGreaterThan(pos(2));
    }
  });

  it('returns the listed order when the dependencies allow nothing else', () => {
    expect(scheduleOrder(3, [[], [0], [1]], createRng(3))).toEqual([0, 1, 2]);
    expect(scheduleOrder(1, [[]], createRng(3))).toEqual([0]);
  });

  it('is deterministic per seed and reports cycles', () => {
    const a = scheduleOrder(
      8,
      Array.from({ length: 8 }, () => []),
      createRng(42),
    );
    const b = scheduleOrder(
      8,
      Array.from({ length: 8 }, () => []),
      createRng(42),
    );
    expect(a).toEqual(b);
    expect(scheduleOrder(2, [[1], [0]], createRng(1))).toBeNull();
  });
});

describe('ids', () => {
  it('computes the 18-character suffix as the data layer does', () => {
    for (const id15 of ['001Dx0000000001', '500ABCDEabcde12', 'a00zzzzzZZZZZ00']) {
      expect(id15 + idSuffix(id15)).toBe(toId18(id15));
    }
  });

  it('makes random ids with the prefix and a valid suffix', () => {
    const id = randomSfId('01g');
    expect(id).toMatch(/^01g[A-Za-z0-9]{15}$/);
    expect(toId18(id.slice(0, 15))).toBe(id);
    expect(randomSfId('01g', false)).toHaveLength(15);
  });
});
