/**
 * Starts the local org emulator (a Salesforce REST API stand-in with Omni-Channel simulated):
 *
 *   npm run emulator -- [--port 4010] [--host 127.0.0.1] [--seed config/emulator-seed.json | --no-seed]
 *                       [--force-app force-app] [--state-file .local/emulator-state.json]
 *                       [--session-idle-ms 7200000] [--daily-limit 100000]
 *                       [--accept-delay-ms 2000] [--latency-ms 0]
 *
 * It prints its URL, the seeded usernames and the JWT bearer client id; the private key for the
 * JWT flow is served by `GET /__emulator/jwt`. Ctrl-C stops it (and saves state with --state-file).
 */
import { Command, InvalidArgumentError } from 'commander';
import { createEmulator, type Emulator } from '../emulator/index';
import { createLogger } from '../log';

export interface EmulatorCliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: EmulatorCliIo = {
  out: (t) => {
    process.stdout.write(`${t}\n`);
  },
  err: (t) => {
    process.stderr.write(`${t}\n`);
  },
};

function intOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

interface Options {
  port: number;
  host: string;
  seed: string | boolean;
  forceApp?: string;
  stateFile?: string;
  sessionIdleMs?: number;
  dailyLimit?: number;
  acceptDelayMs?: number;
  latencyMs?: number;
}

/** Parses the arguments and starts the emulator; resolves with it once it listens. */
export async function runEmulatorCli(argv: string[], io: EmulatorCliIo = defaultIo): Promise<Emulator> {
  const program = new Command('emulator')
    .description('Local Salesforce org emulator for FSC Handoff (development, demos, tests)')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', intOption('--port', 0, 65535), 4010)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--seed <path>', 'seed document (default config/emulator-seed.json)')
    .option('--no-seed', 'start with an empty org (built-in user only)')
    .option('--force-app <dir>', 'force-app tree the schema is built from (default ./force-app)')
    .option('--state-file <path>', 'load state from this file at start and save it on exit')
    .option('--session-idle-ms <ms>', 'session idle timeout', intOption('--session-idle-ms', 1000, 2 ** 31))
    .option('--daily-limit <n>', 'daily API request allocation', intOption('--daily-limit', 0, 2 ** 31))
    .option(
      '--accept-delay-ms <ms>',
      'Omni: delay before an agent accepts work',
      intOption('--accept-delay-ms', 0, 86_400_000),
    )
    .option('--latency-ms <ms>', 'fault: added latency per call', intOption('--latency-ms', 0, 600_000))
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  program.parse(argv, { from: 'user' });
  const o = program.opts<Options>();
  const logger = createLogger({ level: 'info', defaultMeta: { service: 'fsc-handoff-emulator' } });

  const emulator = createEmulator({
    seed: o.seed === false ? false : typeof o.seed === 'string' ? o.seed : undefined,
    ...(o.forceApp ? { forceAppDir: o.forceApp } : {}),
    ...(o.stateFile ? { stateFile: o.stateFile } : {}),
    ...(o.sessionIdleMs !== undefined ? { sessionIdleMs: o.sessionIdleMs } : {}),
    ...(o.dailyLimit !== undefined ? { dailyApiLimit: o.dailyLimit } : {}),
    ...(o.latencyMs !== undefined ? { faults: { latencyMs: o.latencyMs } } : {}),
    host: o.host,
    omni: { acceptDelayMs: o.acceptDelayMs ?? 2000 },
    onError: (err) => {
      logger.error('emulator error', { error: err instanceof Error ? err.message : String(err) });
    },
  });
  const url = await emulator.start(o.port);
  io.out(`Local org emulator listening on ${url}`);
  io.out(`  org id:        ${emulator.orgId}`);
  io.out(`  API versions:  /services/data/ (newest v63.0)`);
  const jwt = emulator.jwt();
  if (jwt) {
    io.out(`  JWT bearer:    client id ${jwt.clientId}, user ${jwt.username}`);
    io.out(`                 private key: GET ${url}/__emulator/jwt (privateKeyPem)`);
  }
  io.out(`  access token:  POST ${url}/__emulator/token`);
  io.out('  users:');
  for (const u of emulator.usernames) io.out(`    ${u}`);
  return emulator;
}

function main(): void {
  runEmulatorCli(process.argv.slice(2))
    .then((emulator) => {
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        emulator
          .stop()
          .then(() => process.exit(0))
          .catch((e: unknown) => {
            defaultIo.err(`could not stop cleanly: ${e instanceof Error ? e.message : String(e)}`);
            process.exit(1);
          });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((e: unknown) => {
      const code = (e as { code?: string }).code;
      if (code === 'commander.helpDisplayed' || code === 'commander.version') process.exit(0);
      defaultIo.err(e instanceof Error ? e.message : String(e));
      process.exit(2);
    });
}

if (require.main === module) main();
