import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeFlagsOf } from '../../../bench/lib/service';

const SCRIPT = path.resolve(__dirname, '../../../scripts/start.sh');

describe('scripts/start.sh (npm start)', () => {
  let dir: string;
  let entry: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsc-start-'));
    entry = path.join(dir, 'argv.js');
    fs.writeFileSync(entry, 'console.log(JSON.stringify(process.execArgv))');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const flags = (env: Record<string, string>, args: string[] = []) => {
    const out = execFileSync('sh', [SCRIPT, ...args], {
      env: { PATH: process.env.PATH ?? '', FSC_ENTRY: entry, ...env },
      encoding: 'utf8',
    });
    return JSON.parse(out.trim()) as string[];
  };

  it('gives V8 one helper thread on two CPUs or fewer, and Node’s default above', () => {
    const cpus = Number(execFileSync('getconf', ['_NPROCESSORS_ONLN'], { encoding: 'utf8' }).trim());
    expect(flags({})).toEqual(cpus <= 2 ? ['--v8-pool-size=1'] : []);
  });

  it('FSC_NODE_FLAGS replaces the choice (empty: none), and arguments are further node flags', () => {
    expect(flags({ FSC_NODE_FLAGS: '' })).toEqual([]);
    expect(flags({ FSC_NODE_FLAGS: '--v8-pool-size=3 --max-semi-space-size=8' }, ['--no-warnings'])).toEqual([
      '--v8-pool-size=3',
      '--max-semi-space-size=8',
      '--no-warnings',
    ]);
  });

  it('execs node, so the service keeps the pid it was started with (the bench reads its flags there)', async () => {
    const sleeper = path.join(dir, 'sleep.js');
    fs.writeFileSync(sleeper, 'setTimeout(() => {}, 5000)');
    const child = spawn('sh', [SCRIPT], {
      env: { PATH: process.env.PATH ?? '', FSC_ENTRY: sleeper, FSC_NODE_FLAGS: '--v8-pool-size=1' },
    });
    try {
      let seen: string[] = [];
      for (let i = 0; i < 100 && seen.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        seen = nodeFlagsOf(child.pid, sleeper);
      }
      expect(seen).toEqual(['--v8-pool-size=1']);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
