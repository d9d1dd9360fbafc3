export { paymentsService } from './app.ts';
export { STRIPE_WEBHOOK_EVENTS } from './handlers/webhook.ts';
