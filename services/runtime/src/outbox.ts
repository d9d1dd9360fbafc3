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
 * The rows each open transaction has written, by its EntityManager, so that `OutboxRelay.transaction`
 * can publish them the moment it commits without reading them back.
 */
const enqueuedBy = new WeakMap<EntityManager, OutboxRow[]>();

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
  const headers: Record<string, string> = correlation ? { [CORRELATION_HEADER]: correlation } : {};
  await em.execute(`insert into "${schema}".outbox (id, subject, payload, headers) values (?, ?, ?, ?)`, [
    id,
    contract.subject,
    JSON.stringify(envelope),
    JSON.stringify(headers),
  ]);
  const rows = enqueuedBy.get(em);
  const row: OutboxRow = { id, subject: contract.subject, payload: envelope, headers };
  if (rows) rows.push(row);
  else enqueuedBy.set(em, [row]);
  return id;
}

export interface RelayOptions {
  orm: MikroORM;
  schema: string;
  publish: OutboxPublisher;
  log: Logger;
  metrics?: Metrics;
  batchSize?: number;
  /** The safety net: how often to look for rows that were not published right after their commit. */
  pollMs?: number;
  /**
   * How old a pending row must be before the safety net takes it, so that it does not race the publish
   * right after commit (a copy it did send anyway is dropped by JetStream on its `Nats-Msg-Id`).
   */
  graceMs?: number;
  /**
   * How long the marks of rows published right after commit gather before one UPDATE marks them all
   * (far below `graceMs`, so the safety net never sees them as pending).
   */
  markDelayMs?: number;
}

/**
 * Moves committed outbox rows to JetStream.
 *
 * - Right after commit: `transaction()` knows the rows its work enqueued, publishes them as soon as the
 *   commit returns, and marks them published with one UPDATE (batched across concurrent commits). No
 *   read-back, and a transaction that enqueued nothing costs nothing.
 * - The safety net: every `pollMs` it claims rows still unpublished after `graceMs` (the process died
 *   between commit and publish, NATS refused, the mark was lost) with `FOR UPDATE SKIP LOCKED`, so
 *   replicas share the work, and publishes them again. A relay killed mid-batch leaves its rows pending,
 *   and JetStream drops the copies it already has by `Nats-Msg-Id` (= the row id).
 */
export class OutboxRelay {
  readonly #options: Required<Omit<RelayOptions, 'metrics'>> & Pick<RelayOptions, 'metrics'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  readonly #direct = new Set<Promise<void>>();
  #unmarked: string[] = [];
  #marking: Promise<void> | undefined;
  #markTimer: { timer: NodeJS.Timeout; fire: () => void } | undefined;

  constructor(options: RelayOptions) {
    this.#options = {
      batchSize: 100,
      pollMs: 1_000,
      graceMs: 2_000,
      markDelayMs: 50,
      ...options,
    };
    if (this.#options.markDelayMs >= this.#options.graceMs) {
      throw new Error('the outbox relay must mark published rows well within graceMs');
    }
  }

  start(): void {
    this.#stopped = false;
    this.#timer = setInterval(() => this.kick(), this.#options.pollMs);
    this.#timer.unref();
    this.kick();
  }

  /**
   * Runs `work` in one transaction on a fresh fork and, once it has committed, publishes the events it
   * enqueued (`enqueueEvent` with the transaction's EntityManager).
   */
  async transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    let committed: OutboxRow[] = [];
    const result = await this.#options.orm.em.fork().transactional(async (em) => {
      const value = await work(em);
      committed = enqueuedBy.get(em) ?? [];
      enqueuedBy.delete(em);
      return value;
    });
    if (committed.length > 0) this.publishCommitted(committed);
    return result;
  }

  /**
   * Publishes rows whose transaction has committed, then marks them. Started synchronously, so events
   * leave in commit order; a row that fails here stays pending for the safety net.
   */
  publishCommitted(rows: OutboxRow[]): void {
    if (this.#stopped) return;
    const { publish, metrics, log } = this.#options;
    const work = Promise.allSettled(rows.map((row) => publish(row))).then(async (results) => {
      const published = rows.filter((_, i) => results[i]?.status === 'fulfilled');
      for (const row of published) metrics?.outboxPublished.inc({ subject: row.subject });
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) {
        log.warn(
          { err: failed.reason, rows: rows.length - published.length },
          'outbox rows not published after commit; the relay will retry them',
        );
      }
      if (published.length > 0) await this.#markPublished(published.map((r) => r.id));
    });
    this.#direct.add(work);
    void work.finally(() => this.#direct.delete(work));
  }

  /** The safety net now (coalesced: a kick during a pass schedules one more pass). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain(this.#options.graceMs).finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        this.kick();
      }
    });
  }

  /** Publishes everything pending, whatever its age, until nothing is (at shutdown and in tests). */
  async flush(): Promise<void> {
    await this.#settleDirect();
    await this.#running;
    await this.#drain(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#settleDirect();
    await this.#running;
  }

  async #settleDirect(): Promise<void> {
    const waiting = this.#markTimer;
    if (waiting) {
      clearTimeout(waiting.timer);
      waiting.fire();
    }
    await Promise.allSettled([...this.#direct]);
    await this.#marking;
  }

  /**
   * One UPDATE for every id that is waiting, however many commits they came from: marks gather for
   * `markDelayMs` (a busy service commits many publishing transactions in that time), and while one
   * UPDATE runs the next ids wait for it.
   */
  #markPublished(ids: string[]): Promise<void> {
    this.#unmarked.push(...ids);
    if (this.#marking) return this.#marking;
    this.#marking = new Promise<void>((resolve) => {
      const fire = (): void => {
        this.#markTimer = undefined;
        void this.#markWaiting().finally(resolve);
      };
      // A stopping relay marks at once: nothing should wait out the delay at shutdown.
      const timer = setTimeout(fire, this.#stopped ? 0 : this.#options.markDelayMs);
      timer.unref();
      this.#markTimer = { timer, fire };
    });
    return this.#marking;
  }

  async #markWaiting(): Promise<void> {
    const { orm, schema, log } = this.#options;
    try {
      while (this.#unmarked.length > 0) {
        const ids = this.#unmarked.splice(0);
        try {
          await orm.em.fork().execute(
            `update "${schema}".outbox set published_at = now(), attempts = attempts + 1
               where id = any(?::uuid[]) and published_at is null`,
            [`{${ids.join(',')}}`],
          );
        } catch (error) {
          // They are in JetStream; the safety net sends them again and JetStream drops the copies.
          log.warn(
            { err: error, rows: ids.length },
            'published outbox rows not marked; they will be re-sent',
          );
        }
      }
    } finally {
      this.#marking = undefined;
    }
  }

  async #drain(graceMs: number): Promise<void> {
    try {
      while ((await this.relayOnce(graceMs)) === this.#options.batchSize) {
        // a full batch: there may be more
      }
    } catch (error) {
      this.#options.log.warn(
        { err: error },
        'outbox relay pass failed; rows stay pending and will be retried',
      );
    }
  }

  /**
   * One claimed batch of rows pending for at least `graceMs`: publish every row, then mark the published
   * ones, in one transaction. A row JetStream refuses keeps its place (attempts and last_error say why)
   * without holding back the rest. Returns how many rows were published.
   */
  async relayOnce(graceMs = 0): Promise<number> {
    const { orm, schema, publish, batchSize, log } = this.#options;
    return orm.em.fork().transactional(async (em) => {
      const rows = await em.execute<OutboxRow[]>(
        `select id, subject, payload, headers from "${schema}".outbox
         where published_at is null and created_at <= now() - make_interval(secs => ?)
         order by created_at, id limit ? for update skip locked`,
        [graceMs / 1000, batchSize],
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
}
