import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { migrate, ormFor } from '@trades/runtime';
import pg from 'pg';
import { startEmbeddedPostgres } from '../scripts/lib/infra.ts';
import { SERVICES } from '../scripts/lib/services.ts';

// `npm start` on a machine without PostgreSQL falls back to the embedded server from the npm registry.
describe('npm start without a PostgreSQL on the machine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedded-pg-'));
  let stop: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts an embedded PostgreSQL that takes every service schema and its migrations', async () => {
    const database = await startEmbeddedPostgres(dir, 54000 + Math.floor(Math.random() * 900));
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
