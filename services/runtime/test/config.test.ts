import { describe, expect, it, jest } from '@jest/globals';
import { BaseConfig, ConfigError, DEVELOPMENT_DEFAULTS, loadConfig, startService } from '@trades/runtime';
import { serviceEnv, spawnNode } from '@trades/testkit';
import Type from 'typebox';
import { probeService } from './fixtures/probe.ts';
import { PROBE_MAIN, sql } from './fixtures/support.ts';

jest.setTimeout(30_000);

const ServiceConfig = {
  ...BaseConfig,
  STRIPE_SECRET_KEY: Type.String({ minLength: 10 }),
  RETRIES: Type.Integer({ minimum: 0, default: 3 }),
  FEATURE_ON: Type.Boolean({ default: false }),
};

function problemsOf(work: () => unknown): string[] {
  try {
    work();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('converts numbers and booleans from strings and applies the schema defaults', () => {
    const config = loadConfig(ServiceConfig, {
      APP_ENV: 'test',
      DATABASE_URL: 'postgres://u@db:5432/app',
      NATS_URL: 'nats://n:4222',
      HTTP_PORT: '8080',
      STRIPE_SECRET_KEY: 'sk_test_abcdefgh',
      RETRIES: '7',
      FEATURE_ON: 'true',
    });
    expect(config.HTTP_PORT).toBe(8080);
    expect(config.RETRIES).toBe(7);
    expect(config.FEATURE_ON).toBe(true);
    expect(config.SHUTDOWN_TIMEOUT_MS).toBe(10_000);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.NATS_STREAM_REPLICAS).toBe(1);
    expect(config.DATABASE_URL).toBe('postgres://u@db:5432/app');
  });

  it('fills database, NATS and shared secrets with development defaults outside production', () => {
    const config = loadConfig(ServiceConfig, { HTTP_PORT: '0' });
    expect(config.APP_ENV).toBe('development');
    expect(config.DATABASE_URL).toBe(DEVELOPMENT_DEFAULTS['DATABASE_URL']);
    expect(config.NATS_URL).toBe(DEVELOPMENT_DEFAULTS['NATS_URL']);
    expect(config.STRIPE_SECRET_KEY).toBe(DEVELOPMENT_DEFAULTS['STRIPE_SECRET_KEY']);
  });

  it('applies no development default in production and lists every missing variable', () => {
    const problems = problemsOf(() => loadConfig(ServiceConfig, { APP_ENV: 'production', HTTP_PORT: '0' }));
    const text = problems.join('\n');
    expect(text).toMatch(/DATABASE_URL/);
    expect(text).toMatch(/NATS_URL/);
    expect(text).toMatch(/STRIPE_SECRET_KEY/);
  });

  it('lists every invalid value at once, and never echoes a secret', () => {
    const problems = problemsOf(() =>
      loadConfig(ServiceConfig, {
        APP_ENV: 'production',
        DATABASE_URL: 'mysql://x',
        NATS_URL: 'nats://n:4222',
        HTTP_PORT: 'abc',
        STRIPE_SECRET_KEY: 'short',
        RETRIES: '-1',
        LOG_LEVEL: 'loud',
      }),
    );
    const text = problems.join('\n');
    for (const name of ['DATABASE_URL', 'HTTP_PORT', 'STRIPE_SECRET_KEY', 'RETRIES', 'LOG_LEVEL']) {
      expect(text).toContain(name);
    }
    expect(text).toContain('mysql://x');
    expect(text).not.toContain('"short"');
    expect(text).not.toMatch(/NATS_URL/);
  });

  it('treats an empty variable as missing', () => {
    const problems = problemsOf(() =>
      loadConfig(ServiceConfig, {
        APP_ENV: 'production',
        DATABASE_URL: 'postgres://u@db/app',
        NATS_URL: '',
        HTTP_PORT: '1',
        STRIPE_SECRET_KEY: 'sk_live_0123456789',
      }),
    );
    expect(problems.join('\n')).toMatch(/NATS_URL/);
  });
});

describe('a service started with a bad environment', () => {
  it('exits with code 1 and names every problem on stderr', async () => {
    const child = spawnNode(PROBE_MAIN, {
      APP_ENV: 'production',
      DATABASE_URL: 'mysql://x',
      HTTP_PORT: 'abc',
      NATS_URL: '',
      PROBE_HANDLER_DELAY_MS: 'slow',
    });
    const code = await child.exited;
    const output = child.output();
    expect(code).toBe(1);
    expect(output).toMatch(/Invalid configuration/);
    expect(output).toMatch(/DATABASE_URL.*mysql:\/\/x/);
    expect(output).toMatch(/HTTP_PORT.*abc/);
    expect(output).toMatch(/NATS_URL/);
    expect(output).toMatch(/PROBE_HANDLER_DELAY_MS.*slow/);
  });
});

describe('a service whose schema is behind its migrations', () => {
  it('refuses to start and says to run the migrate step', async () => {
    const unmigrated = { ...probeService, schema: `probe_unmigrated_${Date.now()}` };
    await sql(`create schema if not exists ${unmigrated.schema}`);
    await expect(startService(unmigrated, serviceEnv())).rejects.toThrow(
      /migration\(s\) not applied.*npm run migrate/s,
    );
  });
});
