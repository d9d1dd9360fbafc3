import { defineService, type EntityManager } from '@trades/runtime';
import Type from 'typebox';
import { createSmtpClient } from './adapters/smtp-client.ts';
import { createTwilioClient } from './adapters/twilio-client.ts';
import { queuedEmailIn } from './email/queue.ts';
import { createEmailSender } from './email/sender.ts';
import { dispatchConsumer, paymentsConsumer, providersConsumer } from './handlers/events.ts';
import { queryEndpoints } from './handlers/queries.ts';
import { handOnAwaitingInbound, parkedWebhooksConsumer, webhookEndpoints } from './handlers/webhooks.ts';
import { migrations } from './migrations/index.ts';
import { createSmsSender } from './sms/sender.ts';

/**
 * The safety net for pending messages, polled by each channel's sender: a consumer that queues one kicks
 * its sender right after its commit; this poll picks up what a crash, another replica or a transaction
 * outside a consumer left, and retries that are due (their backoff starts at 2 s). A poll that finds
 * nothing due costs one statement, no claim.
 */
const SEND_POLL_MS = 1_000;

/** How often inbound SMS kept while the registry was unavailable are tried again (one statement when none). */
const AWAITING_REGISTRY_POLL_MS = 2_000;

/** Messaging: every SMS in and out with its delivery status, opt-outs, and every email sent. */
export const messagingService = defineService({
  name: 'messaging',
  version: '0.1.0',
  description: 'SMS in and out through Twilio, delivery status, opt-outs, email over SMTP',
  schema: 'messaging',
  config: {
    TWILIO_ACCOUNT_SID: Type.String({ pattern: '^AC', description: 'Twilio account SID' }),
    TWILIO_AUTH_TOKEN: Type.String({ minLength: 8, description: 'Twilio auth token (signs webhooks)' }),
    TWILIO_PHONE_NUMBER: Type.String({
      pattern: '^\\+[1-9][0-9]{6,14}$',
      description: 'The number texts come from',
    }),
    TWILIO_API_BASE: Type.Optional(
      Type.String({ description: 'A Twilio stand-in (the emulator); unset → Twilio' }),
    ),
    SMTP_URL: Type.String({
      pattern: '^smtps?://[^\\s/]+',
      description:
        'The SMTP server emails go through: smtp://[user:pass@]host:port (smtps:// for TLS from the start)',
    }),
    EMAIL_FROM: Type.String({
      pattern: '^([^<>@\\s]+@[^<>@\\s]+\\.[^<>@\\s]+|[^<>]*<[^<>@\\s]+@[^<>@\\s]+\\.[^<>@\\s]+>)$',
      description: 'The From of every email: an address, or "Name <address>"',
    }),
  },
  entities: [],
  migrations,
  setup: (ctx) => {
    const client = createTwilioClient({
      accountSid: ctx.config.TWILIO_ACCOUNT_SID,
      authToken: ctx.config.TWILIO_AUTH_TOKEN,
      apiBase: ctx.config.TWILIO_API_BASE,
    });
    const statusCallback = `${ctx.config.BASE_URL.replace(/\/+$/, '')}/api/webhooks/twilio/status`;
    const sender = createSmsSender(ctx, { client, statusCallback });
    ctx.every('send-pending-sms', SEND_POLL_MS, () => sender.poll());
    const smtp = createSmtpClient({ url: ctx.config.SMTP_URL });
    const emailSender = createEmailSender(ctx, { client: smtp, from: ctx.config.EMAIL_FROM });
    ctx.every('send-pending-email', SEND_POLL_MS, () => emailSender.poll());
    ctx.every('inbound-awaiting-registry', AWAITING_REGISTRY_POLL_MS, async () => {
      if (await handOnAwaitingInbound(ctx, ctx.config.TWILIO_PHONE_NUMBER)) sender.kick();
    });
    const out = { ctx, from: ctx.config.TWILIO_PHONE_NUMBER, queuedIn: new WeakSet<EntityManager>() };
    const webhooks = {
      authToken: ctx.config.TWILIO_AUTH_TOKEN,
      phoneNumber: ctx.config.TWILIO_PHONE_NUMBER,
      statusCallback,
    };
    return {
      endpoints: [...webhookEndpoints(ctx, webhooks), ...queryEndpoints(ctx)],
      consumers: [
        dispatchConsumer(out, ctx.config.FRONTEND_URL),
        providersConsumer(out),
        paymentsConsumer(out),
        parkedWebhooksConsumer(ctx, webhooks, out.queuedIn),
      ].map((consumer) => ({
        ...consumer,
        afterCommit: (em: EntityManager) => {
          if (out.queuedIn.has(em)) sender.kick();
          if (queuedEmailIn(em)) emailSender.kick();
        },
      })),
      onStop: async () => {
        await Promise.all([sender.idle(), emailSender.idle()]);
        smtp.close();
      },
    };
  },
});
