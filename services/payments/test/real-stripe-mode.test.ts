import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { payments } from '@trades/contracts';
import { call, startService, type RunningService } from '@trades/runtime';
import { migrateService, resetJetStream, serviceEnv } from '@trades/testkit';
import { paymentsService } from '../src/app.ts';

/** Against Stripe itself (no STRIPE_API_BASE), the emulator-only shortcut does not exist. */
describe('payments against Stripe itself', () => {
  let running: RunningService<unknown>;

  beforeAll(async () => {
    await resetJetStream();
    await migrateService(paymentsService);
    running = await startService(
      paymentsService,
      serviceEnv({
        STRIPE_SECRET_KEY: 'sk_test_not_used_here',
        STRIPE_WEBHOOK_SECRET: 'whsec_not_used_here',
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await running?.stop();
  }, 60_000);

  it('answers test-confirm with 404 NOT_AVAILABLE, before anything reaches Stripe', async () => {
    await expect(
      call(running.ctx.nc, payments.DepositTestConfirm, {
        bookingId: 'abcdefghijklmnopqrstuvwx',
        paymentMethod: 'pm_card_visa',
      }),
    ).rejects.toMatchObject({ status: 404, code: 'NOT_AVAILABLE' });
  });

  it('refuses a webhook whose signature was made with another secret', async () => {
    await expect(
      call(running.ctx.nc, payments.StripeWebhook, { rawBody: '{"id":"evt_1"}', signature: 't=1,v1=abc' }),
    ).rejects.toMatchObject({ status: 400, code: 'INVALID_SIGNATURE' });
  });
});
