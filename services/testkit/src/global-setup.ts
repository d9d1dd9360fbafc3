import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  containerRuntimeAvailable,
  DEFAULT_DATABASE_URL,
  DEFAULT_NATS_URL,
  reachable,
  startLocalNatsServer,
} from './infra.ts';

declare global {
  var __TESTKIT_CLEANUP__: (() => Promise<void>)[] | undefined;
}

/**
 * One setup for the whole test run: find PostgreSQL and NATS (DATABASE_URL / NATS_URL, else the local
 * defaults, else containers where a runtime exists), then give this run a fresh database of its own.
 */
export default async function globalSetup(): Promise<void> {
  const cleanup: (() => Promise<void>)[] = [];
  globalThis.__TESTKIT_CLEANUP__ = cleanup;
  process.env['APP_ENV'] ??= 'test';
  process.env['LOG_LEVEL'] ??= 'warn';

  let serverUrl = process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;
  if (!(await reachable(serverUrl, 5432))) {
    if (!containerRuntimeAvailable()) {
      throw new Error(
        `No PostgreSQL at ${redact(serverUrl)} and no container runtime to start one. Start PostgreSQL ` +
          `(e.g. pg_ctlcluster 15 main start) or set DATABASE_URL.`,
      );
    }
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer('postgres:17-alpine')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
    serverUrl = `postgres://postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`;
    cleanup.push(async () => void (await container.stop()));
  }

  const database = `trades_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database "${database}"`);
  await admin.end();
  const testUrl = new URL(serverUrl);
  testUrl.pathname = `/${database}`;
  process.env['DATABASE_URL'] = testUrl.toString();
  cleanup.push(async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(`drop database if exists "${database}" with (force)`);
    await client.end();
  });

  let natsUrl = process.env['NATS_URL'] ?? DEFAULT_NATS_URL;
  if (!(await reachable(natsUrl, 4222))) {
    const local = await startLocalNatsServer(14222 + Math.floor(Math.random() * 1000));
    if (local) {
      natsUrl = local.url;
      cleanup.push(async () => local.stop());
    } else if (containerRuntimeAvailable()) {
      const { GenericContainer } = await import('testcontainers');
      const container = await new GenericContainer('nats:2.12.3-alpine')
        .withCommand(['-js'])
        .withExposedPorts(4222)
        .start();
      natsUrl = `nats://${container.getHost()}:${container.getMappedPort(4222)}`;
      cleanup.push(async () => void (await container.stop()));
    } else {
      throw new Error(
        `No NATS at ${natsUrl}, no nats-server on PATH and no container runtime. Start NATS with JetStream ` +
          `(nats-server -js) or set NATS_URL.`,
      );
    }
  }
  process.env['NATS_URL'] = natsUrl;
}

function redact(url: string): string {
  return url.replace(/\/\/[^@]*@/, '//***@');
}
