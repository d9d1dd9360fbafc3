import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { KV_BUCKETS, STREAMS, type ConsumerDefinition } from '@trades/contracts';
import {
  createLogger,
  migrate,
  ormFor,
  provisionJetStream,
  type NatsConnection,
  type ServiceDefinition,
} from '@trades/runtime';
import type { TProperties } from 'typebox';
import { waitFor } from './wait.ts';

export { startSmtpSink, type ReceivedEmail, type SmtpSink, type SmtpSinkOptions } from './smtp-sink.ts';
export { waitFor } from './wait.ts';

export const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

export function databaseUrl(): string {
  const url = process.env['DATABASE_URL'];
  if (!url)
    throw new Error('DATABASE_URL is not set: run tests through jest so the global setup provides it');
  return url;
}

export function natsUrl(): string {
  const url = process.env['NATS_URL'];
  if (!url) throw new Error('NATS_URL is not set: run tests through jest so the global setup provides it');
  return url;
}

/** Environment for a service started by a test: the run's database and NATS, a random health port. */
export function serviceEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    APP_ENV: 'test',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
    DATABASE_URL: databaseUrl(),
    NATS_URL: natsUrl(),
    HTTP_PORT: '0',
    SHUTDOWN_TIMEOUT_MS: '10000',
    ...extra,
  };
}

/**
 * A database of its own on the run's PostgreSQL server, for a suite whose data must not meet other
 * suites' (a whole stack with demo data, say). `drop()` removes it.
 */
export async function createScratchDatabase(
  label: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(databaseUrl());
  const name = `${base.pathname.slice(1)}_${label}_${randomBytes(4).toString('hex')}`.slice(0, 63);
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const run = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`create database "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists "${name}" with (force)`) };
}

/**
 * Deletes the project's streams (and their consumers) and provisions them again, and empties the
 * key-value buckets (the gateway's rate-limit counters would otherwise carry over): a clean slate per suite.
 */
export async function resetJetStream(): Promise<void> {
  const nc = await connect({ servers: natsUrl() });
  try {
    const jsm = await jetstreamManager(nc);
    for (const stream of STREAMS) {
      await jsm.streams.delete(stream.name).catch(() => false);
    }
    await provisionJetStream(nc, { replicas: 1, log: createLogger('testkit', 'warn') });
    for (const bucket of KV_BUCKETS) await jsm.streams.purge(`KV_${bucket.name}`);
  } finally {
    await nc.close();
  }
}

/**
 * True when a durable consumer has been handed, and has acknowledged, everything its stream holds for it:
 * every event published before the call is handled (for "nothing more happened" checks).
 */
export async function consumerSettled(
  nc: NatsConnection,
  consumer: Pick<ConsumerDefinition, 'stream' | 'durable'>,
): Promise<boolean> {
  const info = await (await jetstreamManager(nc)).consumers.info(consumer.stream, consumer.durable);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

/** Applies a service's migrations to the run's database (or the one given). */
export async function migrateService<P extends TProperties>(
  definition: ServiceDefinition<P>,
  url: string = databaseUrl(),
): Promise<void> {
  const orm = await ormFor(definition, url);
  try {
    await migrate(orm, definition.schema);
  } finally {
    await orm.close();
  }
}

export interface ChildService {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

/** Runs a TypeScript entry point as its own process on the same Node, capturing its output. */
export function spawnNode(script: string, env: Record<string, string>): ChildService {
  const child = spawn(process.execPath, [script], {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    exited,
    waitForOutput: (pattern, timeoutMs = 20_000) =>
      waitFor(() => pattern.exec(text)?.[0], {
        timeoutMs,
        what: `output ${pattern} from ${script}:\n${text}`,
      }),
    kill: (signal = 'SIGTERM') => void child.kill(signal),
  };
}
