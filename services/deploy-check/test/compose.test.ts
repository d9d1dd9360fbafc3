import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  composeSchemaValidator,
  composeServices,
  COMPOSE_FILE,
  interpolate,
  loadCompose,
  variableReferences,
  type ComposeValidator,
} from '../src/compose.ts';
import { DEPLOYABLES, EMULATORS, SERVICES, SERVING, deployable } from '../src/deployables.ts';
import { at, list, record, text, type Dict } from '../src/guards.ts';
import { existsInRepo, readRepoFile } from '../src/repo.ts';

const compose = loadCompose();
const services = composeServices(compose);

function composeService(name: string): Dict {
  return record(services[name], `services.${name}`);
}

function dependsOn(name: string): Record<string, string> {
  const declared = composeService(name)['depends_on'];
  if (declared === undefined) return {};
  return Object.fromEntries(
    Object.entries(record(declared, `${name}.depends_on`)).map(([target, condition]) => [
      target,
      text(at(condition, 'condition'), `${name}.depends_on.${target}.condition`),
    ]),
  );
}

function healthcheckCommand(name: string): string {
  const test = at(composeService(name), 'healthcheck.test');
  return Array.isArray(test) ? test.join(' ') : text(test, `${name}.healthcheck.test`);
}

function environment(name: string): Dict {
  return record(composeService(name)['environment'], `${name}.environment`);
}

describe('docker-compose.yml against the Compose Specification', () => {
  let validate: ComposeValidator;
  beforeAll(() => {
    validate = composeSchemaValidator();
  });

  it('is valid once merge keys and variable defaults are applied', () => {
    expect(validate(compose)).toEqual([]);
  });

  it('stays valid with every variable set, as an operator would set them', () => {
    const names = new Set(variableReferences(readRepoFile(COMPOSE_FILE)).map(({ name }) => name));
    const env = Object.fromEntries([...names].map((name) => [name, `set-${name.toLowerCase()}`]));
    env['PUBLISH_ADDRESS'] = '0.0.0.0';
    expect(validate(loadCompose(env))).toEqual([]);
  });

  it('rejects what Compose would reject (the schema check is not vacuous)', () => {
    const broken = structuredClone(compose);
    const intake = record(record(broken['services'], 'services')['intake'], 'intake');
    intake['depends_on'] = { setup: { condition: 'service_finished' } };
    intake['healthcheck'] = { test: ['CMD', 'true'], interval: 'ten seconds' };
    intake['restart_policy'] = 'always';
    const problems = validate(broken);
    expect(problems.some((problem) => problem.includes('/services/intake/depends_on'))).toBe(true);
    expect(problems.some((problem) => problem.includes('/services/intake/healthcheck/interval'))).toBe(true);
    expect(problems.some((problem) => problem.includes('restart_policy'))).toBe(true);
  });

  it('runs with no .env: every variable it refers to has a default', () => {
    const withoutDefault = variableReferences(readRepoFile(COMPOSE_FILE)).filter(
      ({ hasDefault }) => !hasDefault,
    );
    expect(withoutDefault).toEqual([]);
  });
});

describe('interpolation as Compose does it', () => {
  it('applies defaults, keeps set values and unescapes $$', () => {
    expect(interpolate('${A:-x}/${B-y}/${C}/$$D', { C: 'c' })).toBe('x/y/c/$D');
    expect(interpolate('${A:-x}/${B-y}', { A: '', B: '' })).toBe('x/');
    expect(() => interpolate('${A:?needed}', {})).toThrow('A');
  });
});

describe('deployables in docker-compose.yml', () => {
  it('has every deployable, Postgres and NATS, and nothing unknown', () => {
    const expected = [...DEPLOYABLES.map(({ name }) => name), 'postgres', 'nats'].sort();
    expect(Object.keys(services).sort()).toEqual(expected);
  });

  it.each(DEPLOYABLES.map(({ name }) => name))(
    'builds %s from its own Dockerfile, at the repository root',
    (name) => {
      const build = record(composeService(name)['build'], `${name}.build`);
      expect(build['context']).toBe('.');
      const dockerfile = text(build['dockerfile'], `${name}.build.dockerfile`);
      expect(dockerfile).toBe(`${deployable(name).folder}/Dockerfile`);
      expect(existsInRepo(dockerfile)).toBe(true);
      expect(composeService(name)['image']).toMatch(new RegExp(`^trades/${name}:`));
    },
  );

  it('runs setup once Postgres and NATS are healthy, and never restarts it', () => {
    expect(dependsOn('setup')).toEqual({ postgres: 'service_healthy', nats: 'service_healthy' });
    expect(composeService('setup')['restart']).toBe('no');
  });

  it.each(SERVING.map(({ name }) => name))('starts %s only after setup completed successfully', (name) => {
    expect(dependsOn(name)['setup']).toBe('service_completed_successfully');
  });

  it.each(SERVICES.map(({ name }) => name))('starts %s once Postgres and NATS are healthy', (name) => {
    expect(dependsOn(name)).toMatchObject({ postgres: 'service_healthy', nats: 'service_healthy' });
  });

  it.each(['customer-ui', 'admin-ui'])(
    'starts %s once the gateway, which its nginx proxies to, is healthy',
    (name) => {
      expect(dependsOn(name)['gateway']).toBe('service_healthy');
    },
  );

  it('waits only for services that exist, and for health only where a health check is defined', () => {
    for (const name of Object.keys(services)) {
      for (const [target, condition] of Object.entries(dependsOn(name))) {
        expect(services).toHaveProperty([target]);
        if (condition === 'service_healthy')
          expect(at(composeService(target), 'healthcheck.test')).toBeDefined();
      }
    }
  });

  it.each([...SERVING, ...EMULATORS].map(({ name }) => name))(
    '%s has a health check on its own port and readiness path',
    (name) => {
      const { port, readyPath } = deployable(name);
      const command = healthcheckCommand(name);
      expect(command).toContain(String(port));
      if (readyPath) expect(command).toContain(`http://127.0.0.1:${String(port)}${readyPath}`);
    },
  );

  it.each(SERVICES.map(({ name }) => name))(
    'gives %s its HTTP_PORT and the shared backend settings',
    (name) => {
      const env = environment(name);
      expect(String(env['HTTP_PORT'])).toBe(String(deployable(name).port));
      for (const key of ['APP_ENV', 'LOG_LEVEL', 'DATABASE_URL', 'NATS_URL', 'BASE_URL', 'FRONTEND_URL']) {
        expect(env[key]).toEqual(expect.any(String));
      }
      expect(env['DATABASE_URL']).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
      expect(env['NATS_URL']).toBe('nats://nats:4222');
      expect(['development', 'test', 'production']).toContain(env['APP_ENV']);
    },
  );

  it('has development defaults that the services and the gateway accept at boot', () => {
    expect(environment('gateway')).toMatchObject({
      STRIPE_SECRET_KEY: expect.stringMatching(/^sk_test_/),
      STRIPE_WEBHOOK_SECRET: expect.stringMatching(/^whsec_/),
      STRIPE_PUBLISHABLE_KEY: expect.stringMatching(/^pk_test_/),
      TWILIO_ACCOUNT_SID: expect.stringMatching(/^AC\w{32}$/),
      TWILIO_AUTH_TOKEN: expect.stringMatching(/^.{8,}$/),
      TWILIO_PHONE_NUMBER: expect.stringMatching(/^\+[1-9][0-9]{6,14}$/),
      ADMIN_SESSION_SECRET: expect.stringMatching(/^.{32,}$/),
      FRONTEND_URL: 'http://localhost:3000',
      ADMIN_URL: 'http://localhost:3001',
    });
  });

  it('points the provider SDKs at the emulators by default', () => {
    expect(environment('payments')['STRIPE_API_BASE']).toBe('http://stripe-emulator:12111');
    expect(environment('messaging')['TWILIO_API_BASE']).toBe('http://twilio-emulator:12112');
    expect(environment('stripe-emulator')['STRIPE_EMULATOR_HOST']).toBe('0.0.0.0');
    expect(environment('twilio-emulator')['TWILIO_EMULATOR_HOST']).toBe('0.0.0.0');
  });

  it('publishes the gateway on 8000, the customer app on 3000 and the console on 3001', () => {
    const published = (name: string): string[] =>
      list(composeService(name)['ports'] ?? [], `${name}.ports`).map((port) => text(port, `${name}.ports`));
    expect(published('gateway')).toEqual(['127.0.0.1:8000:8000']);
    expect(published('customer-ui')).toEqual(['127.0.0.1:3000:3000']);
    expect(published('admin-ui')).toEqual(['127.0.0.1:3001:3001']);
    expect(published('postgres')).toEqual([]);
  });

  it.each(DEPLOYABLES.map(({ name }) => name))(
    'runs %s with a read-only root filesystem and no capabilities',
    (name) => {
      const service = composeService(name);
      expect(service['read_only']).toBe(true);
      expect(service['cap_drop']).toEqual(['ALL']);
      expect(service['tmpfs']).toEqual(['/tmp']);
    },
  );
});

describe('Postgres and NATS in docker-compose.yml', () => {
  it('runs PostgreSQL 16 or later, checked with pg_isready, on a named volume', () => {
    const postgres = composeService('postgres');
    const [, major] = /^postgres:(\d+)/.exec(text(postgres['image'], 'postgres.image')) ?? [];
    expect(Number(major)).toBeGreaterThanOrEqual(16);
    expect(healthcheckCommand('postgres')).toContain('pg_isready');
    expect(postgres['volumes']).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(record(compose['volumes'], 'volumes')).toHaveProperty(['postgres-data']);
  });

  it('runs NATS 2.12.3 or a later 2.12 with JetStream on a named volume, checked on /healthz', () => {
    const nats = composeService('nats');
    const [, patch] = /^nats:2\.12\.(\d+)(-alpine)?$/.exec(text(nats['image'], 'nats.image')) ?? [];
    expect(Number(patch)).toBeGreaterThanOrEqual(3);
    const command = list(nats['command'], 'nats.command').join(' ');
    expect(command).toContain('-js');
    expect(command).toContain('-sd /data');
    expect(command).toContain('-m 8222');
    expect(nats['volumes']).toEqual(['nats-data:/data']);
    expect(healthcheckCommand('nats')).toContain('http://127.0.0.1:8222/healthz');
  });

  it('keeps the database password in one variable, shared by Postgres and the DATABASE_URL', () => {
    const password = 'not-the-default';
    const withPassword = composeServices(loadCompose({ POSTGRES_PASSWORD: password }));
    expect(at(withPassword['postgres'], 'environment.POSTGRES_PASSWORD')).toBe(password);
    expect(at(withPassword['intake'], 'environment.DATABASE_URL')).toEqual(
      expect.stringContaining(`:${password}@`),
    );
  });
});
