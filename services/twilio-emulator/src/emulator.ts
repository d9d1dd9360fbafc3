// A local stand-in for Twilio's Programmable Messaging API that the real `twilio` SDK
// can talk to, plus the webhooks Twilio would send the app.
import formbody from '@fastify/formbody';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { EmulatorContext } from './context.ts';
import { controlApi } from './control-api.ts';
import { messagesApi } from './messages-api.ts';
import { maskPhonesIn } from './phone.ts';
import { MessageStore } from './store.ts';
import { TwilioApiError, twilioError } from './twilio-errors.ts';
import { createWebhookSender } from './webhooks.ts';

export interface TwilioEmulatorOptions {
  /** 0 picks a free port. Default 0. */
  port?: number;
  host?: string;
  accountSid: string;
  authToken: string;
  /** Where inbound SMS are POSTed (the app's Twilio webhook). */
  inboundWebhookUrl?: string;
  /** The account's number: recipient of inbound SMS and sender for messaging-service sends. */
  phoneNumber?: string;
  messagingServiceSid?: string;
  /** Pause between an outbound message's status changes. Default 100 ms. */
  statusStepMs?: number;
  /** JSON log lines (pino) with phone numbers masked. Default false. */
  logger?: boolean;
}

export interface TwilioEmulator {
  /** Base URL, e.g. http://127.0.0.1:12112; give it to createTwilioClient as apiBase. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_PHONE_NUMBER = '+15005550006';

export async function createTwilioEmulator(options: TwilioEmulatorOptions): Promise<TwilioEmulator> {
  const app = Fastify({
    logger: options.logger ? { name: 'twilio-emulator', level: 'info' } : false,
    logController: new MaskedRequestLog(),
  });
  const shutdown = new AbortController();
  const background = new Set<Promise<void>>();

  const ctx: EmulatorContext = {
    accountSid: options.accountSid,
    authToken: options.authToken,
    phoneNumber: options.phoneNumber ?? DEFAULT_PHONE_NUMBER,
    messagingServiceSid: options.messagingServiceSid,
    inboundWebhookUrl: options.inboundWebhookUrl,
    statusStepMs: options.statusStepMs ?? 100,
    store: new MessageStore(),
    undeliverable: new Map(),
    optedOut: new Set(),
    webhooks: createWebhookSender({ authToken: options.authToken, log: app.log, signal: shutdown.signal }),
    log: app.log,
    signal: shutdown.signal,
    track(work) {
      background.add(work);
      void work.finally(() => background.delete(work));
    },
  };

  configureErrors(app);
  await app.register(formbody);
  await app.register(messagesApi(ctx), { prefix: '/2010-04-01' });
  await app.register(controlApi(ctx), { prefix: '/__emulator' });

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('emulator is not listening on TCP');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    async close() {
      shutdown.abort();
      await Promise.allSettled([...background]);
      await app.close();
    },
  };
}

// One line per request, after the response, with phone numbers in the URL masked.
class MaskedRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = {
      method: request.method,
      url: maskPhonesIn(request.url),
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

// One error handler: Twilio's error body for everything, never a 5xx's internals.
function configureErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | TwilioApiError, request, reply) => {
    if (error instanceof TwilioApiError) {
      return reply.code(error.body.status).send(error.body);
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(500).send(twilioError(500, 20500, 'An internal server error has occurred'));
    }
    return reply.code(status).send(twilioError(status, 20001, error.message));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    return reply.code(404).send(twilioError(404, 20404, `The requested resource ${path} was not found`));
  });
}
