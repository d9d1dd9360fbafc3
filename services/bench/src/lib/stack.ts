// The whole platform as separate processes, wired like `npm start` (scripts/start.ts) but on free ports,
// the bench's own database and NATS: JetStream provisioning, migrations, the Stripe and Twilio emulators,
// the five services, the gateway, and optionally the demo locksmiths.
import { STRIPE_WEBHOOK_EVENTS } from '@trades/payments';
import { DEVELOPMENT_DEFAULTS } from '@trades/runtime';
import type { ScenarioContext } from '../scenario.ts';
import { freePort, launch, runStep, waitForHttp, type Managed } from './processes.ts';

export const SERVICE_DIRS = ['intake', 'dispatch', 'messaging', 'payments', 'locksmith-registry'] as const;

export interface StackOptions {
  /** Run scripts/seed.ts (demo locksmiths around San Francisco) once everything is up. */
  seed?: boolean;
  /** Extra environment for every service and the gateway (e.g. DISPATCH_WAVE_SIZE). */
  env?: Record<string, string>;
  /** Only these services (default: all five). */
  services?: readonly (typeof SERVICE_DIRS)[number][];
}

export interface BenchStack {
  gatewayUrl: string;
  twilioUrl: string;
  stripeUrl: string;
  databaseUrl: string;
  env: NodeJS.ProcessEnv;
  /** Every process of the stack, by name (`gateway`, `intake`, `twilio-emulator`, …). */
  processes: Map<string, Managed>;
  /** Stops one service and starts it again with extra environment (e.g. another DISPATCH_WAVE_SIZE). */
  restart(dir: (typeof SERVICE_DIRS)[number], extraEnv: Record<string, string>): Promise<Managed>;
  stop(): Promise<void>;
}

const SECRET_NAMES = [
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_PHONE_NUMBER',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'ADMIN_SESSION_SECRET',
];

export async function startStack(ctx: ScenarioContext, options: StackOptions = {}): Promise<BenchStack> {
  const database = await ctx.database();
  const [gatewayPort, stripePort, twilioPort] = [await freePort(), await freePort(), await freePort()];
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    // e.g. BENCH_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=bench-results/profiles" to see where the time goes
    ...(process.env['BENCH_NODE_OPTIONS'] ? { NODE_OPTIONS: process.env['BENCH_NODE_OPTIONS'] } : {}),
    ...Object.fromEntries(SECRET_NAMES.map((k) => [k, DEVELOPMENT_DEFAULTS[k] ?? ''])),
    APP_ENV: 'development',
    LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'warn',
    DATABASE_URL: database.url,
    NATS_URL: ctx.nats.url,
    BASE_URL: gatewayUrl,
    FRONTEND_URL: 'http://localhost:3000',
    ADMIN_URL: 'http://localhost:3001',
    STRIPE_API_BASE: `http://127.0.0.1:${stripePort}`,
    TWILIO_API_BASE: `http://127.0.0.1:${twilioPort}`,
    ...options.env,
  };
  const processes = new Map<string, Managed>();
  const startService = async (dir: (typeof SERVICE_DIRS)[number], extraEnv: Record<string, string>) => {
    const port = await freePort();
    const service = launch(dir, `services/${dir}/src/main.ts`, [], {
      ...env,
      ...extraEnv,
      HTTP_PORT: String(port),
    });
    processes.set(dir, service);
    await waitForHttp(service, `http://127.0.0.1:${port}/readyz`, 90_000);
  };
  const stop = async (): Promise<void> => {
    for (const managed of [...processes.values()].reverse()) await managed.stop();
  };
  try {
    await runStep('provision', 'scripts/provision.ts', env);
    await runStep('migrate', 'scripts/migrate.ts', env);

    const stripe = launch('stripe-emulator', 'services/stripe-emulator/src/main.ts', [], {
      ...env,
      STRIPE_EMULATOR_PORT: String(stripePort),
      STRIPE_WEBHOOK_URL: `${gatewayUrl}/api/webhooks/stripe`,
      STRIPE_WEBHOOK_EVENTS: STRIPE_WEBHOOK_EVENTS.join(','),
    });
    processes.set('stripe-emulator', stripe);
    const twilio = launch('twilio-emulator', 'services/twilio-emulator/src/main.ts', [], {
      ...env,
      TWILIO_EMULATOR_PORT: String(twilioPort),
      TWILIO_INBOUND_WEBHOOK_URL: `${gatewayUrl}/api/webhooks/twilio/sms`,
    });
    processes.set('twilio-emulator', twilio);

    const ready: Promise<void>[] = [
      waitForHttp(stripe, `${env['STRIPE_API_BASE']}/__emulator/health`),
      waitForHttp(twilio, `${env['TWILIO_API_BASE']}/__emulator/health`),
    ];
    for (const dir of options.services ?? SERVICE_DIRS) ready.push(startService(dir, {}));
    const gateway = launch('gateway', 'gateway/src/main.ts', [], {
      ...env,
      PORT: String(gatewayPort),
      HOST: '127.0.0.1',
    });
    processes.set('gateway', gateway);
    ready.push(waitForHttp(gateway, `${gatewayUrl}/livez`, 90_000));
    await Promise.all(ready);
    if (options.seed) await runStep('seed', 'scripts/seed.ts', env);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    gatewayUrl,
    twilioUrl: env['TWILIO_API_BASE'] ?? '',
    stripeUrl: env['STRIPE_API_BASE'] ?? '',
    databaseUrl: database.url,
    env,
    processes,
    restart: async (dir, extraEnv) => {
      await processes.get(dir)?.stop();
      await startService(dir, extraEnv);
      const restarted = processes.get(dir);
      if (!restarted) throw new Error(`${dir} did not restart`);
      return restarted;
    },
    stop,
  };
}
