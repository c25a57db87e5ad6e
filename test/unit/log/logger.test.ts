import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createLogger } from '../../../src/log';

const REPO = path.join(__dirname, '../../..');

describe('the logger on stdout', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('writes the lines of one turn of the event loop together, in order, unchanged', async () => {
    const writes: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const logger = createLogger({ level: 'info' }).child({ requestId: 'req-batch-1' });
    logger.info('first', { n: 1 });
    logger.warn('second', { card: '4111 1111 1111 1111' });
    logger.debug('not at this level');
    logger.info('third');
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    const lines = (writes[0] ?? '').split('\n');
    expect(lines.pop()).toBe('');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((l) => l.message)).toEqual(['first', 'second', 'third']);
    expect(parsed[1]).toMatchObject({ level: 'warn', requestId: 'req-batch-1', card: '[card ••••1111]' });
  });

  it.each([
    ['process.exit', "log.info('last words'); process.exit(3);", 3],
    ['an uncaught exception', "log.info('last words'); throw new Error('boom');", 1],
  ])('still writes the pending lines when the process ends with %s', (_name, ending, code) => {
    const script = `const { createLogger } = require('./src/log'); const log = createLogger({ level: 'info' }); ${ending}`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.status).toBe(code);
    expect(child.stdout).toContain('"message":"last words"');
  });
});
