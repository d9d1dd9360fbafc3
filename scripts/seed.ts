// Demo data for a local stack: locksmiths and plumbers around San Francisco, created through the
// registry's own endpoints (placed and announced like any other). Idempotent; `npm start` runs it once the
// services are up.
import { DEMO_PLUMBERS, seedDemoLocksmiths, seedDemoPlumbers } from '@trades/locksmith-registry';
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
  const plumbers = await seedDemoPlumbers((contract, request) =>
    call(nc, contract, request, { timeoutMs: 15_000 }),
  );
  log.info(plumbers, `demo plumbers: ${plumbers.created} created, ${plumbers.skipped} already there`);
  // TODO(payments, card on file): save each of these demo plumbers' test card (`testCard`, a Stripe test
  // payment method) once payments has its provider card endpoints: find the plumber by phone
  // (svc.registry.provider.by_phone), skip one whose card is already saved (svc.registry.plumber.get),
  // else open a card session for them and confirm it with the test card (svc.payments.provider.card_link /
  // card_session / card_test_confirm / card_complete); payments' card_updated event then marks them saved.
  const awaitingCards = DEMO_PLUMBERS.filter((plumber) => plumber.testCard !== undefined);
  log.info(`demo plumbers with a test card to save (once payments can): ${awaitingCards.length}`);
} catch (error) {
  log.error({ err: error }, 'seeding demo data failed');
  process.exitCode = 1;
} finally {
  await nc.drain();
}
