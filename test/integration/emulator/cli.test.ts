import { runEmulatorCli } from '../../../src/cli/emulator';

describe('npm run emulator (src/cli/emulator.ts)', () => {
  it('starts on the given port, prints its URL and the seeded usernames, and answers the REST API', async () => {
    const out: string[] = [];
    const emulator = await runEmulatorCli(['--port', '0', '--accept-delay-ms', '0'], {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
    });
    try {
      const text = out.join('\n');
      expect(text).toContain(`listening on ${emulator.url}`);
      expect(text).toContain('integration@fsc-handoff.emulator');
      expect(text).toContain('marcus.bell@fsc-handoff.emulator');
      expect(text).toContain('FSC_HANDOFF_EMULATOR_JWT');
      const versions = await fetch(`${emulator.url}/services/data/`);
      expect(versions.status).toBe(200);
      const token = (await (await fetch(`${emulator.url}/__emulator/token`, { method: 'POST' })).json()) as {
        access_token: string;
      };
      const q = await fetch(`${emulator.url}/services/data/v63.0/query?q=SELECT+Id+FROM+Account`, {
        headers: { Authorization: `Bearer ${token.access_token}` },
      });
      expect(q.status).toBe(200);
      expect(((await q.json()) as { totalSize: number }).totalSize).toBe(5);
    } finally {
      await emulator.stop();
    }
  });

  it('rejects a bad port with a clear message', async () => {
    const err: string[] = [];
    await expect(
      runEmulatorCli(['--port', 'abc'], { out: () => undefined, err: (t) => err.push(t) }),
    ).rejects.toThrow(/--port must be a whole number/);
  });
});
