import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ALL_CONSUMERS, DEAD_LETTER_STREAM, EVENT_STREAMS } from '@trades/contracts';
import {
  DEFAULT_RETENTION,
  INBOX_RETENTION_MS,
  ormFor,
  PRUNE_SQL,
  pruneRuntimeTables,
  type MikroORM,
} from '@trades/runtime';
import { databaseUrl } from '@trades/testkit';
import { probeService } from './fixtures/probe.ts';
import { count, prepareProbe, sql } from './fixtures/support.ts';

const DAY_S = 24 * 60 * 60;
const inboxRetentionS = INBOX_RETENTION_MS / 1000;
let orm: MikroORM;

beforeAll(async () => {
  await prepareProbe();
  orm = await ormFor(probeService, databaseUrl());
});

afterAll(async () => {
  await orm?.close();
});

beforeEach(async () => {
  await sql('truncate probe.inbox, probe.outbox');
});

/** `n` inbox rows handled `ageS` seconds ago, tagged by their subject. */
async function inboxRows(n: number, ageS: number, tag: string): Promise<void> {
  await sql(
    `insert into probe.inbox (consumer, event_id, subject, handled_at)
     select 'intake-probe', gen_random_uuid(), $1, now() - make_interval(secs => $2)
     from generate_series(1, $3)`,
    [tag, ageS, n],
  );
}

/** `n` outbox rows created `ageS` seconds ago, published then (or still pending), tagged by subject. */
async function outboxRows(n: number, ageS: number, published: boolean, tag: string): Promise<void> {
  await sql(
    `insert into probe.outbox (id, subject, payload, created_at, published_at)
     select gen_random_uuid(), $1, '{}'::jsonb, now() - make_interval(secs => $2),
            case when $3 then now() - make_interval(secs => $2) end
     from generate_series(1, $4)`,
    [tag, ageS, published, n],
  );
}

const left = (table: 'inbox' | 'outbox', tag: string): Promise<number> =>
  count(`select count(*)::int as n from probe.${table} where subject = $1`, [tag]);

describe('inbox and outbox retention', () => {
  it('keeps inbox rows longer than any copy of their event can still arrive', () => {
    // A copy from its stream, or replayed from the dead-letter stream after the longest retry window.
    const longestStream = Math.max(...EVENT_STREAMS.map((s) => s.maxAgeMs));
    const longestRetry = Math.max(...ALL_CONSUMERS.map((c) => c.retryForMs));
    expect(INBOX_RETENTION_MS).toBeGreaterThan(longestStream + DEAD_LETTER_STREAM.maxAgeMs + longestRetry);
  });

  it('deletes rows past retention and keeps recent ones and pending events', async () => {
    await inboxRows(5, inboxRetentionS + DAY_S, 'old');
    await inboxRows(3, inboxRetentionS - 60 * 60, 'nearly old');
    await inboxRows(3, 60, 'recent');
    await outboxRows(4, 2 * DAY_S, true, 'old published');
    await outboxRows(2, 60 * 60, true, 'recent published');
    // Never published (JetStream refused it for weeks): still work to do, never pruned.
    await outboxRows(2, 60 * DAY_S, false, 'old pending');

    const pruned = await pruneRuntimeTables(orm.em.fork(), 'probe');

    expect(pruned).toEqual({ inbox: 5, outbox: 4 });
    expect(await left('inbox', 'old')).toBe(0);
    expect(await left('inbox', 'nearly old')).toBe(3);
    expect(await left('inbox', 'recent')).toBe(3);
    expect(await left('outbox', 'old published')).toBe(0);
    expect(await left('outbox', 'recent published')).toBe(2);
    expect(await left('outbox', 'old pending')).toBe(2);
  });

  it('deletes in bounded batches, a bounded number per pass', async () => {
    await inboxRows(7, inboxRetentionS + DAY_S, 'old');
    const options = { ...DEFAULT_RETENTION, batchSize: 2, maxBatches: 3 };

    expect(await pruneRuntimeTables(orm.em.fork(), 'probe', options)).toEqual({ inbox: 6, outbox: 0 });
    expect(await left('inbox', 'old')).toBe(1);
    expect(await pruneRuntimeTables(orm.em.fork(), 'probe', options)).toEqual({ inbox: 1, outbox: 0 });
    expect(await left('inbox', 'old')).toBe(0);
  });

  it('lets replicas prune at the same time without waiting on or repeating each other', async () => {
    await inboxRows(600, inboxRetentionS + DAY_S, 'old');
    await outboxRows(600, 2 * DAY_S, true, 'old published');
    const options = { ...DEFAULT_RETENTION, batchSize: 50, maxBatches: 100 };

    const passes = await Promise.all(
      [1, 2, 3].map(() => pruneRuntimeTables(orm.em.fork(), 'probe', options)),
    );

    expect(passes.reduce((sum, p) => sum + p.inbox, 0)).toBe(600);
    expect(passes.reduce((sum, p) => sum + p.outbox, 0)).toBe(600);
    expect(await left('inbox', 'old')).toBe(0);
    expect(await left('outbox', 'old published')).toBe(0);
  });

  it('finds the rows to delete on an index, not by reading the table', async () => {
    // A table of some size, mostly recent rows, with the statistics the planner would have.
    await inboxRows(20_000, 60, 'recent');
    await inboxRows(500, inboxRetentionS + DAY_S, 'old');
    await outboxRows(20_000, 60, true, 'recent published');
    await outboxRows(2_000, 60, false, 'pending');
    await outboxRows(500, 2 * DAY_S, true, 'old published');
    await sql('analyze probe.inbox');
    await sql('analyze probe.outbox');

    const plan = async (table: 'inbox' | 'outbox', retainMs: number): Promise<string> => {
      const rows = await orm.em
        .fork()
        .execute<Record<string, string>[]>(`explain ${PRUNE_SQL[table]('probe')}`, [
          retainMs / 1000,
          DEFAULT_RETENTION.batchSize,
        ]);
      return rows.map((row) => Object.values(row).join('')).join('\n');
    };

    const inboxPlan = await plan('inbox', DEFAULT_RETENTION.inboxRetainMs);
    expect(inboxPlan).toMatch(/Index (Only )?Scan using inbox_handled_at_idx on inbox/);
    expect(inboxPlan).toMatch(/Tid Scan on inbox/);
    expect(inboxPlan).not.toMatch(/Seq Scan/);
    const outboxPlan = await plan('outbox', DEFAULT_RETENTION.outboxRetainMs);
    expect(outboxPlan).toMatch(/Index (Only )?Scan using outbox_published_at_idx on outbox/);
    expect(outboxPlan).toMatch(/Tid Scan on outbox/);
    expect(outboxPlan).not.toMatch(/Seq Scan/);
  });
});
