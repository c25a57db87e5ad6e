/**
 * One full service instance (src/main.ts startService: HTTP, auth, policy, redaction, the durable
 * deliverer, src/salesforce) run as a child process by the reliability test, so it can be SIGKILLed
 * mid-delivery. Configuration overrides come in RELIABILITY_INSTANCE (JSON); nothing else is read
 * from the environment. Prints "ready <url> <workerId>" once listening; SIGTERM closes it gracefully.
 */
import { Writable } from 'node:stream';
import { loadConfig } from '../../../src/config';
import { DurableDeliverer } from '../../../src/delivery';
import { createLogger } from '../../../src/log';
import { startService } from '../../../src/main';

async function main(): Promise<void> {
  const overrides = JSON.parse(process.env.RELIABILITY_INSTANCE ?? '{}') as Record<string, unknown>;
  const config = loadConfig({ env: {}, overrides });
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const service = await startService(config, {
    port: 0,
    logger: createLogger({ level: 'error', stream: sink }),
  });
  const workerId =
    service.deliverer instanceof DurableDeliverer ? service.deliverer.worker.workerId : 'unknown';
  process.on('SIGTERM', () => {
    void service.close().finally(() => process.exit(0));
  });
  process.stdout.write(`ready ${service.url} ${workerId}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`instance failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
