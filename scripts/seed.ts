// Demo data for a local stack: locksmiths around San Francisco, created through the registry's own
// endpoint (geocoded and announced like any other). Idempotent; `npm start` runs it once the services are up.
import { seedDemoLocksmiths } from '@trades/locksmith-registry';
import { BaseConfig, call, ConfigError, connectNats, createLogger, loadConfig } from '@trades/runtime';

let config;
try {
  config = loadConfig({ NATS_URL: BaseConfig.NATS_URL, LOG_LEVEL: BaseConfig.LOG_LEVEL });
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
const log = createLogger('seed', config.LOG_LEVEL);
const nc = await connectNats(config.NATS_URL, 'seed', log);
try {
  const result = await seedDemoLocksmiths((contract, request) =>
    call(nc, contract, request, { timeoutMs: 15_000 }),
  );
  log.info(result, `demo locksmiths: ${result.created} created, ${result.skipped} already there`);
} catch (error) {
  log.error({ err: error }, 'seeding demo data failed');
  process.exitCode = 1;
} finally {
  await nc.drain();
}
