/**
 * One service instance's delivery side, run as a child process by the reliability test so it can be
 * SIGKILLed mid-delivery: the durable deliverer (store + worker) with the real src/salesforce client
 * and deliverHandoffs against the emulator. Configuration comes in RELIABILITY_INSTANCE (JSON).
 * Prints "ready" once started; SIGTERM shuts it down gracefully.
 */
import { createDeliverer, deliveryConfigSchema } from '../../../src/delivery';
import type { DeliveryConfigInput } from '../../../src/delivery';
import { defaultMapping } from '../../../src/plan';
import { createSalesforceClient } from '../../../src/salesforce';

interface InstanceConfig {
  delivery: DeliveryConfigInput;
  salesforce: { loginUrl: string; audience: string; clientId: string; username: string; privateKey: string };
}

const quiet = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.RELIABILITY_INSTANCE ?? '{}') as InstanceConfig;
  const client = createSalesforceClient(
    { ...cfg.salesforce, apiVersion: '63.0', requestTimeoutMs: 15_000 },
    quiet,
  );
  const deliverer = await createDeliverer({
    config: deliveryConfigSchema.parse(cfg.delivery),
    salesforce: client,
    mapping: defaultMapping(),
    logger: quiet,
  });
  // keep the process alive: the worker's timers are unref'd by design
  const keepAlive = setInterval(() => undefined, 1_000);
  process.on('SIGTERM', () => {
    void deliverer.close().finally(() => {
      clearInterval(keepAlive);
      process.exit(0);
    });
  });
  process.stdout.write(`ready ${deliverer.worker.workerId}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`instance failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
