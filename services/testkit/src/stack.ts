import type { AddressInfo } from 'node:net';
import { buildServer, loadGatewayConfig } from '@trades/gateway';
import { dispatchService } from '@trades/dispatch';
import { intakeService } from '@trades/intake';
import { registryService } from '@trades/locksmith-registry';
import { messagingService } from '@trades/messaging';
import { paymentsService } from '@trades/payments';
import {
  DEVELOPMENT_DEFAULTS,
  startService,
  type RunningService,
  type ServiceDefinition,
} from '@trades/runtime';
import type { TProperties } from 'typebox';
import { startStripeEmulator, type StripeEmulator } from '@trades/stripe-emulator';
import { createTwilioEmulator, type TwilioEmulator } from '@trades/twilio-emulator';
import { createScratchDatabase, migrateService, resetJetStream, serviceEnv } from './index.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

export const ALL_SERVICE_DEFINITIONS: readonly ServiceDefinition<TProperties>[] = [
  intakeService,
  dispatchService,
  messagingService,
  paymentsService,
  registryService,
];

export interface StackOptions {
  /** How many dispatch replicas to run (for race tests). Default 1. */
  dispatchReplicas?: number;
  /** Extra environment for every service and the gateway (e.g. DISPATCH_WAVE_SIZE). */
  env?: Record<string, string>;
  /** Leave services out (e.g. to run one as a child process instead). */
  without?: string[];
}

export interface Stack {
  gatewayUrl: string;
  stripe: StripeEmulator;
  twilio: TwilioEmulator;
  /** Where messaging's emails go (SMTP_URL): every one received, parsed. */
  smtp: SmtpSink;
  /** The environment the services were started with (secrets, URLs). */
  env: Record<string, string>;
  services: Map<string, RunningService<unknown>[]>;
  stop(): Promise<void>;
}

/**
 * The whole platform in this process, wired like `npm start`: fresh JetStream streams, every schema
 * migrated, the Stripe and Twilio emulators, an SMTP sink, the five services and the gateway. Tests talk to it through
 * the gateway's HTTP API and the emulators' provider APIs, as a client would.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  await resetJetStream();
  // Each stack gets a database of its own, so demo data and leftovers never meet another suite's.
  const database = await createScratchDatabase('stack');
  for (const definition of ALL_SERVICE_DEFINITIONS) await migrateService(definition, database.url);

  const secrets = {
    STRIPE_SECRET_KEY: DEVELOPMENT_DEFAULTS['STRIPE_SECRET_KEY'] ?? '',
    STRIPE_WEBHOOK_SECRET: DEVELOPMENT_DEFAULTS['STRIPE_WEBHOOK_SECRET'] ?? '',
    TWILIO_ACCOUNT_SID: DEVELOPMENT_DEFAULTS['TWILIO_ACCOUNT_SID'] ?? '',
    TWILIO_AUTH_TOKEN: DEVELOPMENT_DEFAULTS['TWILIO_AUTH_TOKEN'] ?? '',
    TWILIO_PHONE_NUMBER: DEVELOPMENT_DEFAULTS['TWILIO_PHONE_NUMBER'] ?? '',
    ADMIN_EMAIL: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '',
    ADMIN_PASSWORD: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] ?? '',
    ADMIN_SESSION_SECRET: DEVELOPMENT_DEFAULTS['ADMIN_SESSION_SECRET'] ?? '',
  };

  // The gateway listens first: the emulators need its URL for webhooks, the services need BASE_URL.
  const gatewayConfig = loadGatewayConfig({
    ...serviceEnv(secrets),
    ...options.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
  });
  const gateway = buildServer(gatewayConfig);
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  const gatewayUrl = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;

  const stripe = await startStripeEmulator({
    webhookEndpoints: [{ url: `${gatewayUrl}/api/webhooks/stripe`, secret: secrets.STRIPE_WEBHOOK_SECRET }],
    webhookRetryDelaysMs: [200, 500, 1_000],
  });
  const twilio = await createTwilioEmulator({
    accountSid: secrets.TWILIO_ACCOUNT_SID,
    authToken: secrets.TWILIO_AUTH_TOKEN,
    phoneNumber: secrets.TWILIO_PHONE_NUMBER,
    inboundWebhookUrl: `${gatewayUrl}/api/webhooks/twilio/sms`,
    statusStepMs: 20,
  });
  const smtp = await startSmtpSink();

  const env = serviceEnv({
    ...secrets,
    DATABASE_URL: database.url,
    BASE_URL: gatewayUrl,
    STRIPE_API_BASE: stripe.url,
    TWILIO_API_BASE: twilio.url,
    SMTP_URL: smtp.url,
    ...options.env,
  });
  const services = new Map<string, RunningService<unknown>[]>();
  const without = new Set(options.without ?? []);
  try {
    for (const definition of ALL_SERVICE_DEFINITIONS) {
      if (without.has(definition.name)) continue;
      const replicas = definition.name === 'dispatch' ? (options.dispatchReplicas ?? 1) : 1;
      const running: RunningService<unknown>[] = [];
      for (let i = 0; i < replicas; i++) running.push(await startService(definition, env));
      services.set(definition.name, running);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  async function stopAll(): Promise<void> {
    // Fastify waits for every open connection to end, and a socket a client opened without sending a
    // request yet only ends on Node's headers timeout (about 70 s here): a test stack has no client to
    // wait for, so its connections are cut.
    const closing = gateway.close();
    gateway.server.closeAllConnections();
    await closing;
    for (const running of services.values())
      await Promise.all(running.map((s) => s.stop('test stack stopped')));
    await stripe.close();
    await twilio.close();
    await smtp.close();
    await database.drop();
  }

  return { gatewayUrl, stripe, twilio, smtp, env, services, stop: stopAll };
}
