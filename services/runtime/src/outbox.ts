import { randomUUID } from 'node:crypto';
import {
  CORRELATION_HEADER,
  type EventContract,
  type EventData,
  type EventEnvelope,
} from '@trades/contracts';
import { correlationId } from './context.ts';
import type { EntityManager, MikroORM } from './db.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

/** Publishes one outbox row; must resolve only once JetStream has stored it (a PubAck). */
export type OutboxPublisher = (row: OutboxRow) => Promise<void>;

export interface OutboxRow {
  id: string;
  subject: string;
  payload: EventEnvelope;
  headers: Record<string, string>;
}

/**
 * Writes an event in the caller's transaction, so the event exists exactly when the state change does.
 * The relay publishes it after commit with `Nats-Msg-Id` = the row id.
 */
export async function enqueueEvent<E extends EventContract>(
  em: EntityManager,
  schema: string,
  contract: E,
  data: EventData<E>,
): Promise<string> {
  if (!contract.validate.check(data)) {
    throw new Error(
      `event ${contract.subject} breaks its contract: ${contract.validate.errors(data).join('; ')}`,
    );
  }
  const id = randomUUID();
  const envelope: EventEnvelope = { id, occurredAt: new Date().toISOString(), data };
  const correlation = correlationId();
  const headers = correlation ? { [CORRELATION_HEADER]: correlation } : {};
  await em.execute(`insert into "${schema}".outbox (id, subject, payload, headers) values (?, ?, ?, ?)`, [
    id,
    contract.subject,
    JSON.stringify(envelope),
    JSON.stringify(headers),
  ]);
  return id;
}

export interface RelayOptions {
  orm: MikroORM;
  schema: string;
  publish: OutboxPublisher;
  log: Logger;
  metrics?: Metrics;
  batchSize?: number;
  /** The safety net: how often to look for rows nobody kicked (a crash, another replica's commit). */
  pollMs?: number;
  /** Published rows are kept this long for inspection, then deleted. */
  retainMs?: number;
}

/**
 * Moves committed outbox rows to JetStream. Kicked right after each commit for low latency, and polls as
 * a safety net. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so replicas share the work; a relay
 * killed mid-batch leaves its rows unpublished in the database, and the next pass publishes them again:
 * JetStream drops the copies it already has by `Nats-Msg-Id`.
 */
export class OutboxRelay {
  readonly #options: Required<Omit<RelayOptions, 'metrics'>> & Pick<RelayOptions, 'metrics'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #lastCleanup = 0;

  constructor(options: RelayOptions) {
    this.#options = { batchSize: 100, pollMs: 1_000, retainMs: 24 * 60 * 60 * 1000, ...options };
  }

  start(): void {
    this.#stopped = false;
    this.#timer = setInterval(() => this.kick(), this.#options.pollMs);
    this.#timer.unref();
    this.kick();
  }

  /** Publish now (coalesced: a kick during a pass schedules one more pass). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        this.kick();
      }
    });
  }

  /** Publishes what is pending until nothing is, then returns (used at shutdown and by tests). */
  async flush(): Promise<void> {
    await this.#running;
    await this.#drain();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      while ((await this.relayOnce()) === this.#options.batchSize) {
        // a full batch: there may be more
      }
      await this.#cleanup();
    } catch (error) {
      this.#options.log.warn(
        { err: error },
        'outbox relay pass failed; rows stay pending and will be retried',
      );
    }
  }

  /**
   * One claimed batch: publish every row, then mark the published ones, in one transaction. A row
   * JetStream refuses keeps its place (attempts and last_error say why) without holding back the rest.
   * Returns how many rows were published.
   */
  async relayOnce(): Promise<number> {
    const { orm, schema, publish, batchSize, log } = this.#options;
    return orm.em.fork().transactional(async (em) => {
      const rows = await em.execute<OutboxRow[]>(
        `select id, subject, payload, headers from "${schema}".outbox
         where published_at is null order by created_at, id limit ? for update skip locked`,
        [batchSize],
      );
      if (rows.length === 0) return 0;
      const results = await Promise.allSettled(rows.map((row) => publish(row)));
      const published = rows.filter((_, i) => results[i]?.status === 'fulfilled');
      if (published.length > 0) {
        await em.execute(
          `update "${schema}".outbox set published_at = now(), attempts = attempts + 1 where id = any(?::uuid[])`,
          [`{${published.map((r) => r.id).join(',')}}`],
        );
      }
      for (const [i, result] of results.entries()) {
        const row = rows[i];
        if (result.status === 'fulfilled' || !row) continue;
        const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
        log.warn(
          { outboxId: row.id, subject: row.subject, err: result.reason },
          'outbox row not published; will retry',
        );
        await em.execute(
          `update "${schema}".outbox set attempts = attempts + 1, last_error = ? where id = ?`,
          [reason.slice(0, 1_000), row.id],
        );
      }
      for (const row of published) this.#options.metrics?.outboxPublished.inc({ subject: row.subject });
      return published.length;
    });
  }

  async #cleanup(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastCleanup < 60_000) return;
    this.#lastCleanup = now;
    const { orm, schema, retainMs } = this.#options;
    await orm.em
      .fork()
      .execute(
        `delete from "${schema}".outbox where published_at < now() - (? || ' milliseconds')::interval`,
        [String(retainMs)],
      );
  }
}
