export {
  createStripeEmulator,
  startStripeEmulator,
  type CreateStripeEmulatorOptions,
  type StartOptions,
  type StripeEmulator,
  type WebhookEndpointInfo,
} from './emulator.ts';
export { buildStripeEmulator, DEFAULT_WEBHOOK_RETRY_DELAYS_MS } from './app.ts';
export type { StripeEmulatorApp, StripeEmulatorOptions, WebhookEndpointOption } from './app.ts';
export type { EmulatorEvent } from './domain/store.ts';
export type { WebhookAttempt, WebhookDelivery } from './webhooks/dispatcher.ts';
export type { Fault } from './http/router.ts';
export { TEST_CARDS, type CardBehavior, type TestCard } from './domain/test-cards.ts';
