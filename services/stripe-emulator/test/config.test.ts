import { describe, expect, it } from '@jest/globals';
import { DEVELOPMENT_DEFAULTS } from '../../runtime/src/config.ts';
import {
  ConfigError,
  configFromEnv,
  DEVELOPMENT_SECRET_KEY,
  DEVELOPMENT_WEBHOOK_SECRET,
} from '../src/config.ts';

describe('the emulator’s configuration from the environment', () => {
  it('defaults to port 12111 and to webhooks for the local gateway, signed with the development secret', () => {
    const options = configFromEnv({});

    expect(options).toMatchObject({ host: '127.0.0.1', port: 12111, secretKey: DEVELOPMENT_SECRET_KEY });
    expect(options.webhookEndpoints).toEqual([
      {
        url: 'http://localhost:8000/api/webhooks/stripe',
        secret: DEVELOPMENT_WEBHOOK_SECRET,
        enabledEvents: ['*'],
      },
    ]);
  });

  it('subscribes the endpoints to the event types STRIPE_WEBHOOK_EVENTS lists, as a dashboard endpoint is', () => {
    const options = configFromEnv({
      STRIPE_WEBHOOK_EVENTS: ' payment_intent.succeeded, charge.refunded ',
    });
    expect(options.webhookEndpoints?.[0]?.enabledEvents).toEqual([
      'payment_intent.succeeded',
      'charge.refunded',
    ]);
    expect(() => configFromEnv({ STRIPE_WEBHOOK_EVENTS: 'payment intent succeeded' })).toThrow(
      /STRIPE_WEBHOOK_EVENTS must list event types/,
    );
  });

  it('uses the same development key and webhook secret as the services', () => {
    expect(DEVELOPMENT_SECRET_KEY).toBe(DEVELOPMENT_DEFAULTS['STRIPE_SECRET_KEY']);
    expect(DEVELOPMENT_WEBHOOK_SECRET).toBe(DEVELOPMENT_DEFAULTS['STRIPE_WEBHOOK_SECRET']);
  });

  it('follows BASE_URL, and sends no webhooks when STRIPE_WEBHOOK_URL is none', () => {
    expect(configFromEnv({ BASE_URL: 'http://gateway:8000/' }).webhookEndpoints?.[0]?.url).toBe(
      'http://gateway:8000/api/webhooks/stripe',
    );
    expect(configFromEnv({ STRIPE_WEBHOOK_URL: 'none' }).webhookEndpoints).toEqual([]);
  });

  it('lists every problem at once, and refuses a live key', () => {
    let problems: readonly string[] = [];
    try {
      configFromEnv({
        STRIPE_EMULATOR_PORT: 'abc',
        STRIPE_WEBHOOK_SECRET: 'nope',
        STRIPE_SECRET_KEY: 'sk_live_123',
        STRIPE_WEBHOOK_URL: 'ftp://x',
        STRIPE_WEBHOOK_EVENTS: 'everything',
      });
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }

    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toContain('live keys never go to an emulator');
  });
});
