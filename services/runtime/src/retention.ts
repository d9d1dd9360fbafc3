import { ALL_CONSUMERS, DEAD_LETTER_STREAM, EVENT_STREAMS } from '@trades/contracts';
import type { EntityManager } from './db.ts';

const DAY = 24 * 60 * 60 * 1000;

/**
 * How long a handled event's inbox row is kept: longer than any copy of that event can still reach the
 * consumer, or the copy would be handled a second time. A copy comes from its stream (kept for the event
 * streams' max age) or from an operator's replay of a dead letter (dead-lettered by another consumer up to
 * the longest retry window after the event, kept for the dead-letter stream's max age, the replayed copy
 * then kept in its stream again): the sum of the three, and a day. 39 days today.
 */
export const INBOX_RETENTION_MS =
  Math.max(...EVENT_STREAMS.map((s) => s.maxAgeMs)) +
  DEAD_LETTER_STREAM.maxAgeMs +
  Math.max(...ALL_CONSUMERS.map((c) => c.retryForMs)) +
  DAY;

/**
 * How long a published outbox row is kept, for inspection. Nothing reads it once published: a row is
 * re-sent only while `published_at` is null, and JetStream's duplicate window (minutes) is what drops a
 * copy sent twice.
 */
export const OUTBOX_RETENTION_MS = DAY;

export interface RetentionOptions {
  inboxRetainMs: number;
  outboxRetainMs: number;
  /** Rows per DELETE: each statement locks and writes a bounded amount. */
  batchSize: number;
  /** DELETEs per table per pass; what is left waits for the next pass. */
  maxBatches: number;
}

export const DEFAULT_RETENTION: RetentionOptions = {
  inboxRetainMs: INBOX_RETENTION_MS,
  outboxRetainMs: OUTBOX_RETENTION_MS,
  batchSize: 1_000,
  maxBatches: 10,
};

/**
 * One batch of the oldest rows past retention, found on the time index (`inbox_handled_at_idx`,
 * `outbox_published_at_idx`), locked, and deleted by their physical address (a TID scan: a join back to
 * the table would read all of it). SKIP LOCKED: replicas pruning at the same moment take different rows
 * instead of waiting on each other. Parameters: retention in seconds, batch size.
 */
export const PRUNE_SQL = {
  inbox: (schema: string): string => pruneSql(`"${schema}".inbox`, 'handled_at'),
  outbox: (schema: string): string => pruneSql(`"${schema}".outbox`, 'published_at'),
} as const;

function pruneSql(table: string, time: string): string {
  return `delete from ${table} where ctid = any(array(
            select ctid from ${table} where ${time} < now() - make_interval(secs => ?)
            order by ${time} limit ? for update skip locked))`;
}

export type PrunedTable = keyof typeof PRUNE_SQL;

/**
 * Deletes handled inbox rows and published outbox rows past their retention, in batches of
 * `batchSize`, at most `maxBatches` per table. Each batch is its own statement (no long transaction).
 * Returns how many rows each table lost.
 */
export async function pruneRuntimeTables(
  em: EntityManager,
  schema: string,
  options: RetentionOptions = DEFAULT_RETENTION,
): Promise<Record<PrunedTable, number>> {
  const retainMs: Record<PrunedTable, number> = {
    inbox: options.inboxRetainMs,
    outbox: options.outboxRetainMs,
  };
  const pruned: Record<PrunedTable, number> = { inbox: 0, outbox: 0 };
  for (const table of ['inbox', 'outbox'] as const) {
    for (let batch = 0; batch < options.maxBatches; batch++) {
      const rows = await em.execute<{ affectedRows: number }>(
        PRUNE_SQL[table](schema),
        [retainMs[table] / 1000, options.batchSize],
        'run',
      );
      pruned[table] += rows.affectedRows;
      if (rows.affectedRows < options.batchSize) break;
    }
  }
  return pruned;
}
