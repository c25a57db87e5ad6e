/**
 * `npm start` (src/cli/start.ts) configured only from the environment: it refuses to start with a
 * message naming every variable to set (exit 78), and with a complete environment it serves handoffs
 * (here against the emulator, SALESFORCE_MODE=emulator) and stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { createEmulator, type Emulator } from '../../../src/emulator';
import { handoff } from '../../support/handoff-factory';

const REPO = path.resolve(__dirname, '../../..');

function start(env: Record<string, string>) {
  const child = spawn(path.join(REPO, 'node_modules/.bin/tsx'), [path.join(REPO, 'src/cli/start.ts')], {
    cwd: mkdtempSync(path.join(tmpdir(), 'fsc-start-')),
    env: { PATH: process.env.PATH ?? '', CONFIG_DIR: path.join(REPO, 'config'), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { out: '', err: '' };
  child.stdout.on('data', (c: Buffer) => (output.out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output.err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

describe('npm start', () => {
  it('without configuration: exits 78 and lists every variable to set', async () => {
    const { output, exited } = start({});
    expect(await exited).toBe(78);
    for (const name of [
      'SALESFORCE_CLIENT_ID',
      'BOT_AUTH_ISSUER',
      'BOT_AUTH_HS256_SECRET',
      'SALESFORCE_CLIENT_SECRET',
    ]) {
      expect(output.err).toContain(name);
    }
  }, 30_000);

  describe('with a complete environment', () => {
    let emulator: Emulator;
    beforeAll(async () => {
      emulator = createEmulator({});
      await emulator.start(0);
    });
    afterAll(async () => {
      await emulator.stop();
    });

    it('serves handoffs and stops on SIGTERM', async () => {
      const creds = emulator.jwt();
      const secret = 'start-command-test-secret-0123456789abcdef';
      const { child, output, exited } = start({
        PORT: '0',
        SALESFORCE_MODE: 'emulator',
        SALESFORCE_LOGIN_URL: creds!.loginUrl,
        SALESFORCE_CLIENT_ID: creds!.clientId,
        SALESFORCE_USERNAME: creds!.username,
        SALESFORCE_PRIVATE_KEY: creds!.privateKeyPem.replace(/\n/g, '\\n'),
        BOT_AUTH_ISSUER: 'start-test',
        BOT_AUTH_HS256_SECRET: secret,
        HANDOFF_STORE_URL: 'sqlite::memory:',
      });
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(output.out + output.err)), 20_000);
        child.stdout.on('data', () => {
          const m = /listening on (http:\/\/\S+)/.exec(output.out);
          if (m?.[1]) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
      });
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('start-test')
        .setAudience('fsc-handoff')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));
      const body = handoff({
        identity: { customer: { externalId: 'CUST-100005', name: 'James Pemberton', linkedProducts: [] } },
      });
      const res = await fetch(`${url}/v1/handoffs`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(201);
      expect(emulator.records('Case').map((c) => c.Handoff_Id__c)).toContain(body.handoffId);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output.err).toBe('');
    }, 40_000);
  });
});
