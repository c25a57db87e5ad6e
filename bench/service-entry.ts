/**
 * The service's entry point for the benchmark when the tree has no src/cli/start.ts yet: the same
 * composition root (src/main.ts startService) from the same configuration loader, and a clean exit
 * on SIGTERM (so `--cpu-prof` can write its profile). src/cli/start.ts is used whenever it exists.
 */
import { loadConfig } from '../src/config';
import { startService } from '../src/main';

async function main(): Promise<void> {
  const config = loadConfig();
  const running = await startService(config);
  process.stdout.write(`FSC Handoff (bench entry) listening on ${running.url}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
