// Demo data for a local stack: locksmiths and plumbers around San Francisco, created through the
// registry's own endpoints (placed and announced like any other), and a lead partner through intake's.
// Idempotent; `npm start` runs it once the services are up.
import { seedDemoPartners } from '@trades/intake';
import { DEMO_PLUMBERS, seedDemoLocksmiths, seedDemoPlumbers } from '@trades/locksmith-registry';
import { AppError, payments, registry } from '@trades/contracts';
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

/**
 * Saves a demo plumber's Stripe test card the way the card page does (a card link, its SetupIntent
 * confirmed with the test payment method, complete), so a fresh stack has plumbers that can be offered
 * leads. Skipped when the card is already saved, and against real Stripe (test confirmation is emulator
 * only). Payments' own first link for a new plumber may supersede this one meanwhile: then again.
 */
async function saveDemoCard(phone: string, paymentMethod: string): Promise<boolean> {
  const options = { timeoutMs: 15_000 };
  const { provider } = await call(nc, registry.ProviderByPhone, { phone }, options);
  if (!provider) return false;
  const plumber = await call(nc, registry.PlumberGet, { id: provider.id }, options);
  if (plumber.card.status === 'saved') return false;
  for (let attempt = 1; ; attempt++) {
    const { url } = await call(
      nc,
      payments.ProviderCardLink,
      { providerId: plumber.id, firstName: plumber.firstName, email: plumber.email, phone: plumber.phone },
      options,
    );
    const token = url.slice(url.lastIndexOf('/') + 1);
    try {
      await call(nc, payments.ProviderCardTestConfirm, { token, paymentMethod }, options);
      await call(nc, payments.ProviderCardComplete, { token }, options);
      return true;
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_AVAILABLE') {
        log.info('real Stripe: demo plumbers save their cards through their links');
        return false;
      }
      if (!(error instanceof AppError && error.code === 'CARD_LINK_EXPIRED' && attempt < 5)) throw error;
    }
  }
}
try {
  const result = await seedDemoLocksmiths((contract, request) =>
    call(nc, contract, request, { timeoutMs: 15_000 }),
  );
  log.info(result, `demo locksmiths: ${result.created} created, ${result.skipped} already there`);
  const plumbers = await seedDemoPlumbers((contract, request) =>
    call(nc, contract, request, { timeoutMs: 15_000 }),
  );
  log.info(plumbers, `demo plumbers: ${plumbers.created} created, ${plumbers.skipped} already there`);
  let cards = 0;
  for (const demo of DEMO_PLUMBERS) {
    if (demo.testCard === undefined) continue;
    if (await saveDemoCard(demo.phone, demo.testCard)) cards += 1;
  }
  log.info(`demo plumbers' test cards: ${cards} saved now`);
  const partners = await seedDemoPartners((contract, request) =>
    call(nc, contract, request, { timeoutMs: 15_000 }),
  );
  log.info(partners, `demo partners: ${partners.created} created, ${partners.skipped} already there`);
} catch (error) {
  log.error({ err: error }, 'seeding demo data failed');
  process.exitCode = 1;
} finally {
  await nc.drain();
}
