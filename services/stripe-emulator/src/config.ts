import type { StartOptions } from './emulator.ts';

/** The default port: the one Stripe's own stripe-mock uses. */
export const DEFAULT_PORT = 12111;

/**
 * Development defaults, the same values the services' runtime config applies outside
 * production (services/runtime/src/config.ts), so that out of the box the payments service's
 * key is accepted and the gateway verifies the webhooks the emulator signs.
 */
export const DEVELOPMENT_SECRET_KEY = 'sk_test_local_development_key';
export const DEVELOPMENT_WEBHOOK_SECRET = 'whsec_local_development_secret';
export const DEFAULT_BASE_URL = 'http://localhost:8000';
export const WEBHOOK_PATH = '/api/webhooks/stripe';

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      `Invalid Stripe emulator configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Reads the emulator's settings from the environment, listing every problem at once.
 *
 * STRIPE_EMULATOR_HOST (127.0.0.1), STRIPE_EMULATOR_PORT (12111), STRIPE_EMULATOR_PUBLIC_URL
 * (where browsers reach it; the listening address), STRIPE_WEBHOOK_URL (comma-separated, or
 * `none`; default ${BASE_URL}/api/webhooks/stripe), STRIPE_WEBHOOK_EVENTS (the event types those
 * endpoints are subscribed to, comma-separated, as in Stripe's dashboard; default `*`, every type),
 * STRIPE_WEBHOOK_SECRET, STRIPE_SECRET_KEY,
 * STRIPE_EMULATOR_WEBHOOK_RETRY_DELAYS_MS (comma-separated), LOG_LEVEL (info).
 */
export function configFromEnv(env: NodeJS.ProcessEnv): StartOptions {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  const host = read('STRIPE_EMULATOR_HOST') ?? '127.0.0.1';
  const portText = read('STRIPE_EMULATOR_PORT');
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    problems.push(`STRIPE_EMULATOR_PORT must be a port number, not '${portText}'.`);
  }

  const publicUrl = read('STRIPE_EMULATOR_PUBLIC_URL');
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+\/?$/.test(publicUrl)) {
    problems.push(
      `STRIPE_EMULATOR_PUBLIC_URL must be an origin like http://localhost:12111, not '${publicUrl}'.`,
    );
  }

  const baseUrl = (read('BASE_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const webhookSetting = read('STRIPE_WEBHOOK_URL') ?? `${baseUrl}${WEBHOOK_PATH}`;
  const webhookUrls =
    webhookSetting === 'none'
      ? []
      : webhookSetting
          .split(',')
          .map((url) => url.trim())
          .filter((url) => url !== '');
  for (const url of webhookUrls) {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      problems.push(`STRIPE_WEBHOOK_URL must list http(s) URLs (or be 'none'), not '${url}'.`);
    }
  }
  const eventsSetting = read('STRIPE_WEBHOOK_EVENTS') ?? '*';
  const enabledEvents = eventsSetting
    .split(',')
    .map((type) => type.trim())
    .filter((type) => type !== '');
  for (const type of enabledEvents) {
    if (type !== '*' && !/^[a-z_]+(\.[a-z_]+)+$/.test(type)) {
      problems.push(
        `STRIPE_WEBHOOK_EVENTS must list event types like payment_intent.succeeded (or be *), not '${type}'.`,
      );
    }
  }
  if (enabledEvents.length === 0)
    problems.push('STRIPE_WEBHOOK_EVENTS must name at least one event type, or *.');
  const secret = read('STRIPE_WEBHOOK_SECRET') ?? DEVELOPMENT_WEBHOOK_SECRET;
  if (!secret.startsWith('whsec_')) problems.push('STRIPE_WEBHOOK_SECRET must start with whsec_.');

  const secretKey = read('STRIPE_SECRET_KEY') ?? DEVELOPMENT_SECRET_KEY;
  if (!/^(sk|rk)_test_[A-Za-z0-9_]+$/.test(secretKey)) {
    problems.push(
      'STRIPE_SECRET_KEY must be a test-mode secret key (sk_test_… or rk_test_…): live keys never go to an emulator.',
    );
  }

  const delaysText = read('STRIPE_EMULATOR_WEBHOOK_RETRY_DELAYS_MS');
  let webhookRetryDelaysMs: number[] | undefined;
  if (delaysText !== undefined) {
    webhookRetryDelaysMs = delaysText.split(',').map((part) => Number(part.trim()));
    if (webhookRetryDelaysMs.some((delay) => !Number.isInteger(delay) || delay < 0)) {
      problems.push(
        `STRIPE_EMULATOR_WEBHOOK_RETRY_DELAYS_MS must be comma-separated milliseconds, not '${delaysText}'.`,
      );
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  const options: StartOptions = {
    host,
    port,
    secretKey,
    webhookEndpoints: webhookUrls.map((url) => ({ url, secret, enabledEvents })),
    logger: { level: read('LOG_LEVEL') ?? 'info' },
  };
  if (publicUrl !== undefined) options.publicUrl = publicUrl.replace(/\/$/, '');
  if (webhookRetryDelaysMs !== undefined) options.webhookRetryDelaysMs = webhookRetryDelaysMs;
  return options;
}
