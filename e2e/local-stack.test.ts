import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { migrate, ormFor } from '@trades/runtime';
import pg from 'pg';
import { startEmbeddedPostgres } from '../scripts/lib/infra.ts';
import { SERVICES } from '../scripts/lib/services.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// `npm start` on a machine without PostgreSQL falls back to the embedded server from the npm registry.
describe('npm start without a PostgreSQL on the machine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedded-pg-'));
  let stop: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts an embedded PostgreSQL that takes every service schema and its migrations', async () => {
    // A port the OS says is free: a fixed or random one can be taken by another test's connection.
    const database = await startEmbeddedPostgres(dir, await freePort());
    stop = database.stop;
    for (const { definition } of SERVICES) {
      const orm = await ormFor(definition, database.url);
      try {
        await migrate(orm, definition.schema);
      } finally {
        await orm.close();
      }
    }
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ nspname: string }>(
      `select nspname from pg_namespace where nspname = any($1) order by nspname`,
      [SERVICES.map((s) => s.definition.schema)],
    );
    await client.end();
    expect(rows.map((r) => r.nspname)).toEqual(SERVICES.map((s) => s.definition.schema).sort());
  }, 120_000);
});
