import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { localPostgresUrl } from '@trades/runtime';
import pg from 'pg';

describe('localPostgresUrl', () => {
  it('uses the Unix socket when the directory has PostgreSQL socket, TCP otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-socket-'));
    try {
      expect(localPostgresUrl('trades', dir)).toBe('postgres://postgres@127.0.0.1:5432/trades');
      writeFileSync(join(dir, '.s.PGSQL.5432'), '');
      const url = localPostgresUrl('trades', dir);
      expect(url).toBe(`postgres://postgres@${encodeURIComponent(dir)}/trades`);
      // What MikroORM does with it (core/connections/Connection.js) and what pg does with it.
      expect(decodeURIComponent(new URL(url).hostname)).toBe(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reaches this machine's PostgreSQL", async () => {
    const client = new pg.Client({ connectionString: localPostgresUrl('postgres') });
    await client.connect();
    try {
      const { rows } = await client.query<{ one: number }>('select 1::int as one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });
});
