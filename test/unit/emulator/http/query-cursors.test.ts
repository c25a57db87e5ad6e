import {
  batchSizeFromHeader,
  CURSOR_IDLE_MS,
  MAX_OPEN_CURSORS_PER_USER,
  QueryCursors,
} from '../../../../src/emulator/http/query-cursors';

const rows = (n: number): Record<string, unknown>[] =>
  Array.from({ length: n }, (_x, i) => ({ Id: `r${i}` }));

describe('batchSizeFromHeader', () => {
  it.each([
    [undefined, 2000],
    ['batchSize=500', 500],
    ['batchSize = 200', 200],
    ['batchSize=10', 200],
    ['batchSize=5000', 2000],
    ['something=else', 2000],
  ])('%s → %d', (header, expected) => {
    expect(batchSizeFromHeader(header)).toBe(expected);
  });
});

describe('QueryCursors', () => {
  it('pages through a result with locators of the form 01g…-offset', () => {
    const c = new QueryCursors();
    const first = c.firstPage('u1', '63.0', 'query', { totalSize: 450, records: rows(450) }, 200);
    expect(first).toMatchObject({ totalSize: 450, done: false });
    expect(first.nextRecordsUrl).toMatch(/^\/services\/data\/v63\.0\/query\/01g[A-Za-z0-9]{12}-200$/);
    const locator = first.nextRecordsUrl!.split('/').pop()!;
    const second = c.nextPage('u1', '63.0', 'query', locator)!;
    expect(second.records[0]).toEqual({ Id: 'r200' });
    const third = c.nextPage('u1', '63.0', 'query', second.nextRecordsUrl!.split('/').pop()!)!;
    expect(third).toMatchObject({ done: true });
    expect(third.records).toHaveLength(50);
    expect(third.nextRecordsUrl).toBeUndefined();
  });

  it('does not open a cursor for a result that fits one page', () => {
    const c = new QueryCursors();
    expect(c.firstPage('u1', '63.0', 'query', { totalSize: 3, records: rows(3) }, 200)).toEqual({
      totalSize: 3,
      done: true,
      records: rows(3),
    });
  });

  it("refuses another user's locator and unknown locators", () => {
    const c = new QueryCursors();
    const first = c.firstPage('u1', '63.0', 'query', { totalSize: 300, records: rows(300) }, 200);
    const locator = first.nextRecordsUrl!.split('/').pop()!;
    expect(c.nextPage('u2', '63.0', 'query', locator)).toBeUndefined();
    expect(c.nextPage('u1', '63.0', 'query', '01gAAAAAAAAAAAA-200')).toBeUndefined();
    expect(c.nextPage('u1', '63.0', 'query', 'garbage')).toBeUndefined();
  });

  it('keeps at most 10 open cursors per user (the oldest closes) and closes idle ones', () => {
    let now = 0;
    const c = new QueryCursors(() => now);
    const locators: string[] = [];
    for (let i = 0; i <= MAX_OPEN_CURSORS_PER_USER; i++) {
      now += 1;
      const p = c.firstPage('u1', '63.0', 'query', { totalSize: 300, records: rows(300) }, 200);
      locators.push(p.nextRecordsUrl!.split('/').pop()!);
    }
    expect(c.nextPage('u1', '63.0', 'query', locators[0]!)).toBeUndefined();
    expect(c.nextPage('u1', '63.0', 'query', locators[1]!)).toBeDefined();
    now += CURSOR_IDLE_MS + 1;
    expect(c.nextPage('u1', '63.0', 'query', locators[2]!)).toBeUndefined();
  });
});
