/**
 * `npm run dev`: the local org emulator (seeded with demo customers, skills and agents) and the
 * service against it, in one process. Prints both URLs and a bearer token for the bot API (also
 * written to .local/dev-token), then stays quiet until Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { ConfigError, emulatorSalesforceSettings, loadConfig, loadDevSettings, nodeOptions } from '../config';
import { createEmulator, type Emulator } from '../emulator';
import { createLogger, scrubString } from '../log';
import { startService, type RunningService } from '../main';
import { applyGcSettings } from './heap';

const EX_CONFIG = 78;
export const DEV_ISSUER = 'fsc-handoff-dev';
export const DEV_AUDIENCE = 'fsc-handoff';
const TOKEN_HOURS = 12;
const LOCAL_DIR = path.resolve('.local');
const TOKEN_FILE = path.join(LOCAL_DIR, 'dev-token');
const STORE_FILE = path.join(LOCAL_DIR, 'dev-handoffs.db');

const out = (s = '') => process.stdout.write(`${s}\n`);
const tty = process.stdout.isTTY;
/** What is starting now; on a terminal the line is replaced by its result. */
const step = (s: string) => process.stdout.write(tty ? `  … ${s}\r` : `  … ${s}\n`);
const done = (s: string) => process.stdout.write(tty ? `  ✓ ${s}\x1b[K\n` : `  ✓ ${s}\n`);

async function main(): Promise<void> {
  let emulator: Emulator | undefined;
  let service: RunningService | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) process.exit(1);
    stopping = true;
    out('\nStopping…');
    await service?.close().catch(() => undefined);
    await emulator?.stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    const dev = loadDevSettings();
    out('FSC Handoff (dev)');

    step('starting the local org emulator (force-app schema, demo customers, skills, agents)');
    emulator = createEmulator({});
    const emulatorUrl = await emulator.start(dev.emulatorPort);
    const creds = emulator.jwt();
    if (!creds) throw new Error('the emulator seed has no JWT connected app');
    done(`org emulator       ${emulatorUrl}   (admin API: ${emulatorUrl}/__emulator/info)`);

    step('starting the handoff service');
    const secret = randomBytes(32).toString('base64url');
    mkdirSync(LOCAL_DIR, { recursive: true });
    for (const f of [STORE_FILE, `${STORE_FILE}-wal`, `${STORE_FILE}-shm`, `${STORE_FILE}.sending`])
      rmSync(f, { force: true });
    const config = loadConfig({
      overrides: {
        salesforce: emulatorSalesforceSettings(creds),
        botAuth: {
          issuer: DEV_ISSUER,
          audience: DEV_AUDIENCE,
          hs256Secret: secret,
          maxTokenLifetimeSeconds: TOKEN_HOURS * 3600,
        },
        delivery: { store: { kind: 'sqlite', path: STORE_FILE } },
        logging: { level: dev.logLevel },
      },
    });
    const gc = applyGcSettings(config.server, { nodeOptions: nodeOptions() });
    service = await startService(config, { logger: createLogger({ level: config.logging.level }) });
    service.logger.debug('garbage collector settings', gc);
    done(`handoff service    ${service.url}   (OpenAPI: ${service.url}/openapi.json)`);

    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setSubject('dev-bot')
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_HOURS}h`)
      .sign(Buffer.from(secret));
    writeFileSync(TOKEN_FILE, `${token}\n`, { mode: 0o600 });

    out();
    out(`Bot API bearer token (HS256, ${TOKEN_HOURS} h), also in .local/dev-token:`);
    out(token);
    out();
    out('Send a handoff:');
    out(`  curl -sS ${service.url}/v1/handoffs -H "Authorization: Bearer $(cat .local/dev-token)" \\`);
    out(`       -H 'Content-Type: application/json' --data @examples/card-declined-abroad.json`);
    out('See what landed in the org:');
    out(`  curl -sS ${emulatorUrl}/__emulator/records/Case`);
    out();
    out('Logs: warnings and errors only (LOG_LEVEL=info for more). Ctrl-C to stop.');
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`\nFSC Handoff (dev) cannot start. ${err.message}\n`);
      await stop(EX_CONFIG);
      return;
    }
    const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
    process.stderr.write(
      `\nFSC Handoff (dev) failed to start: ${scrubString(err instanceof Error ? err.message : String(err))}\n` +
        (inUse ? 'Another process holds the port: stop it, or set EMULATOR_PORT / PORT to free ones.\n' : ''),
    );
    await stop(1);
  }
}

void main();
