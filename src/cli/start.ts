/**
 * `npm start`: the service against a real org, configured from config/*.json and the environment.
 * Invalid configuration stops it before anything listens, with every problem and what to set
 * (exit code 78, EX_CONFIG).
 */
import { ConfigError, loadConfig, nodeOptions } from '../config';
import { scrubString } from '../log';
import { startService } from '../main';
import { applyGcSettings } from './heap';

const EX_CONFIG = 78;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`FSC Handoff cannot start. ${err.message}\n`);
      process.stderr.write('See README.md ("Point it at a real org") for every variable.\n');
      process.exit(EX_CONFIG);
    }
    throw err;
  }
  const gc = applyGcSettings(config.server, { nodeOptions: nodeOptions() });
  const service = await startService(config);
  service.logger.info('garbage collector settings', gc);
  process.stdout.write(`FSC Handoff listening on ${service.url}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    service.logger.info('signal received', { signal });
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `FSC Handoff failed to start: ${scrubString(err instanceof Error ? err.message : String(err))}\n`,
  );
  process.exit(1);
});
