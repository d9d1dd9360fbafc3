// What the bench runs against. NATS: NATS_URL when set; else its own nats-server on a free port when one
// is on PATH (so a stack started by `npm start` on 4222 is left alone); else the machine's 127.0.0.1:4222.
// PostgreSQL: a fresh database `trades_bench_<timestamp>` on DATABASE_URL's server (default the machine's,
// over its Unix socket when it has one, else 127.0.0.1:5432), dropped at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { localPostgresUrl } from '@trades/runtime/client';
import { freePort, launch, type Managed } from './processes.ts';

export function reachable(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface NatsTarget {
  url: string;
  source: string;
  /** The nats-server the bench started (its RSS is reported), if any. */
  process?: Managed;
  stop(): Promise<void>;
}

export async function ensureNats(): Promise<NatsTarget> {
  const given = process.env['NATS_URL'];
  if (given) return { url: given, source: 'NATS_URL', stop: async () => undefined };
  const binary = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  if (binary) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'trades-bench-nats-'));
    const server = launch(
      'nats-server',
      binary,
      ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir],
      process.env,
    );
    for (let i = 0; i < 100; i++) {
      if (await reachable('127.0.0.1', port, 200)) {
        return {
          url: `nats://127.0.0.1:${port}`,
          source: `own nats-server on ${port}`,
          process: server,
          stop: async () => {
            await server.stop();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await server.stop();
    throw new Error(`nats-server did not listen on ${port}:\n${server.tail()}`);
  }
  if (await reachable('127.0.0.1', 4222)) {
    return { url: 'nats://127.0.0.1:4222', source: 'machine NATS on 4222', stop: async () => undefined };
  }
  throw new Error('No NATS: set NATS_URL, put nats-server on PATH, or run NATS on 127.0.0.1:4222.');
}

export interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const server = process.env['DATABASE_URL'] ?? localPostgresUrl('postgres');
  const name = `trades_bench_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(server, name),
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
