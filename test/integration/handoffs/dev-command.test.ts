/**
 * `npm run dev` as a user meets it: start it, read the URLs and the token it prints, send the
 * README's example handoff, see the Case in the emulated org, stop it with Ctrl-C.
 * Runs in a temporary directory so it never touches a developer's own .local/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');

function waitFor(child: ChildProcess, output: { text: string }, pattern: RegExp, timeoutMs = 30_000) {
  return new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`dev did not print ${pattern}:\n${output.text}`)),
      timeoutMs,
    );
    const check = () => {
      const m = output.text.match(pattern);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve(m);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', () => reject(new Error(`dev exited early:\n${output.text}`)));
    check();
  });
}

describe('npm run dev', () => {
  let child: ChildProcess | undefined;

  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints both URLs and a token, accepts the example handoff, and stops on Ctrl-C', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'fsc-dev-'));
    const output = { text: '' };
    child = spawn(path.join(REPO, 'node_modules/.bin/tsx'), [path.join(REPO, 'src/cli/dev.ts')], {
      cwd,
      // Only what the command needs: a developer's SALESFORCE_* or DATABASE_URL must not reach it.
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        EMULATOR_PORT: '0',
        CONFIG_DIR: path.join(REPO, 'config'),
        LOG_LEVEL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => (output.text += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output.text += c.toString()));

    await waitFor(child, output, /Ctrl-C to stop/);
    const emulatorUrl = output.text.match(/org emulator\s+(http:\/\/\S+)/)?.[1];
    const serviceUrl = output.text.match(/handoff service\s+(http:\/\/\S+)/)?.[1];
    const token = output.text.match(/\n(eyJ[\w-]+\.[\w-]+\.[\w-]+)\n/)?.[1];
    expect(emulatorUrl).toBeDefined();
    expect(serviceUrl).toBeDefined();
    expect(token).toBeDefined();
    expect(readFileSync(path.join(cwd, '.local/dev-token'), 'utf8').trim()).toBe(token);

    const body = readFileSync(path.join(REPO, 'examples/card-declined-abroad.json'), 'utf8');
    const res = await fetch(`${serviceUrl}/v1/handoffs`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body,
    });
    expect(res.status).toBe(201);
    const answer = (await res.json()) as { caseId: string; handoffId: string };
    const cases = (await (await fetch(`${emulatorUrl}/__emulator/records/Case`)).json()) as {
      records: { Id: string; Handoff_Id__c: string }[];
    };
    expect(cases.records.map((c) => [c.Id, c.Handoff_Id__c])).toEqual([[answer.caseId, answer.handoffId]]);

    // Quiet: no log lines at the default level after the banner.
    expect(output.text).not.toMatch(/"level":"info"/);

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 60_000);
});
