import type { Server } from 'node:http';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import type { Service } from '@nats-io/services';
import type {
  EndpointContract,
  EventContract,
  EventData,
  ReplyOf,
  RequestOf,
  ServiceName,
} from '@trades/contracts';
import type { Static, TObject, TProperties } from 'typebox';
import { BaseConfig, ConfigError, loadConfig, type BaseConfigValues } from './config.ts';
import { startConsumer, type ConsumerBinding, type RunningConsumer } from './consumer.ts';
import {
  createOrm,
  pendingMigrations,
  type EntityManager,
  type MigrationObject,
  type MikroORM,
  type OrmOptions,
} from './db.ts';
import { call, serveEndpoints, type CallOptions, type EndpointBinding } from './endpoints.ts';
import { startHealthServer } from './health.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { connectNats, encodeJson } from './nats.ts';
import { enqueueEvent, OutboxRelay } from './outbox.ts';
import { pruneRuntimeTables } from './retention.ts';

/** How often each replica deletes inbox and outbox rows past their retention (a bounded amount each time). */
const RETENTION_EVERY_MS = 60_000;

export type ServiceConfig<P extends TProperties> = BaseConfigValues & Static<TObject<P>>;

/** Everything a service's handlers get: its config, logger, database, NATS and its outbox. */
export interface ServiceContext<C> {
  config: C;
  log: Logger;
  nc: NatsConnection;
  js: JetStreamClient;
  orm: MikroORM;
  metrics: Metrics;
  schema: string;
  /** Runs `work` in one transaction and publishes the events it enqueued right after the commit. */
  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T>;
  /** Writes an event to the outbox inside the caller's transaction. */
  publish<E extends EventContract>(em: EntityManager, contract: E, data: EventData<E>): Promise<string>;
  /** Calls another service's endpoint with the current correlation id. */
  call<E extends EndpointContract>(
    contract: E,
    request: RequestOf<E>,
    options?: CallOptions,
  ): Promise<ReplyOf<E>>;
  /** Runs `task` every `intervalMs` until shutdown (timers whose state lives in rows, claimed with SKIP LOCKED). */
  every(name: string, intervalMs: number, task: () => Promise<unknown>): void;
  /** Tracks work started outside a handler so shutdown waits for it. */
  track<T>(work: Promise<T>): Promise<T>;
}

export interface ServiceParts {
  endpoints: EndpointBinding[];
  consumers: ConsumerBinding[];
  onStop?: () => Promise<void>;
}

export interface ServiceDefinition<P extends TProperties> {
  name: ServiceName;
  version: string;
  description: string;
  /** The PostgreSQL schema this service owns. */
  schema: string;
  config: P;
  entities: OrmOptions['entities'];
  migrations: MigrationObject[];
  setup(ctx: ServiceContext<ServiceConfig<P>>): Promise<ServiceParts> | ServiceParts;
}

export interface RunningService<C> {
  ctx: ServiceContext<C>;
  httpPort: number;
  /** Graceful stop: stop taking work, finish what is in flight, flush the outbox, drain NATS, close the ORM. */
  stop(reason?: string): Promise<void>;
}

export function defineService<P extends TProperties>(definition: ServiceDefinition<P>): ServiceDefinition<P> {
  return definition;
}

/** ORM for a definition: the service's own, the migrate step's and tests'; its connections carry the service's name. */
export function ormFor<P extends TProperties>(
  definition: ServiceDefinition<P>,
  url: string,
): Promise<MikroORM> {
  return createOrm({
    url,
    schema: definition.schema,
    entities: definition.entities,
    migrations: definition.migrations,
    applicationName: definition.name,
  });
}

export async function startService<P extends TProperties>(
  definition: ServiceDefinition<P>,
  env: Record<string, string | undefined> = process.env,
): Promise<RunningService<ServiceConfig<P>>> {
  const config = loadConfig({ ...BaseConfig, ...definition.config }, env) as ServiceConfig<P>;
  const log = createLogger(definition.name, config.LOG_LEVEL);
  const metrics = createMetrics(definition.name);
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.then(
      () => inFlight.delete(work),
      () => inFlight.delete(work),
    );
    return work;
  };
  let accepting = true;

  const orm = await ormFor(definition, config.DATABASE_URL);
  const pending = await pendingMigrations(orm);
  if (pending.length > 0) {
    await orm.close();
    throw new ConfigError([
      `schema "${definition.schema}" has ${pending.length} migration(s) not applied (${pending.join(', ')}); run \`npm run migrate\` first`,
    ]);
  }
  const nc = await connectNats(config.NATS_URL, definition.name, log);
  const js = jetstream(nc);

  const relay = new OutboxRelay({
    orm,
    schema: definition.schema,
    log,
    metrics,
    publish: async (row) => {
      await js.publish(row.subject, encodeJson(row.payload), {
        msgID: row.id,
        headers: toHeaders(row.headers),
      });
    },
  });

  const timers: NodeJS.Timeout[] = [];
  const ctx: ServiceContext<ServiceConfig<P>> = {
    config,
    log,
    nc,
    js,
    orm,
    metrics,
    schema: definition.schema,
    transaction: (work) => relay.transaction(work),
    publish: (em, contract, data) => enqueueEvent(em, definition.schema, contract, data),
    call: (contract, request, options) => call(nc, contract, request, options),
    every(name, intervalMs, task) {
      let running = false;
      // A task that fails on every tick would bury the log: repeat the same failure once a minute.
      let lastFailure = { message: '', at: 0 };
      const timer = setInterval(() => {
        if (running || !accepting) return;
        running = true;
        void track(
          task()
            .then(() => {
              lastFailure = { message: '', at: 0 };
            })
            .catch((error: unknown) => {
              const message = error instanceof Error ? error.message : String(error);
              if (message !== lastFailure.message || Date.now() - lastFailure.at > 60_000) {
                log.error({ err: error, timer: name }, 'scheduled task failed');
                lastFailure = { message, at: Date.now() };
              }
            })
            .finally(() => {
              running = false;
            }),
        );
      }, intervalMs);
      timer.unref();
      timers.push(timer);
    },
    track,
  };

  const parts = await definition.setup(ctx);
  const service: Service = await serveEndpoints(nc, {
    service: definition.name,
    version: definition.version,
    description: definition.description,
    bindings: parts.endpoints,
    log,
    metrics,
    track,
  });
  const consumers: RunningConsumer[] = [];
  for (const binding of parts.consumers) {
    consumers.push(
      await startConsumer(binding, {
        js,
        schema: definition.schema,
        log,
        metrics,
        transaction: (work) => relay.transaction(work),
      }),
    );
  }
  relay.start();
  ctx.every('retention', RETENTION_EVERY_MS, async () => {
    const pruned = await pruneRuntimeTables(orm.em.fork(), definition.schema);
    for (const [table, rows] of Object.entries(pruned)) metrics.pruned.inc({ table }, rows);
    if (pruned.inbox + pruned.outbox > 0) {
      log.info({ pruned }, 'handled inbox rows and published outbox rows past their retention deleted');
    }
  });
  // The server registers subscriptions in the order it reads them: once this round trip returns, every
  // endpoint and consumer above is reachable, so a caller that starts right after us gets answers, not
  // "no responders".
  await nc.flush();

  const health = await startHealthServer(config.HTTP_PORT, {
    accepting: () => accepting,
    registry: metrics.registry,
    checks: {
      postgres: async () => {
        await orm.em.fork().execute('select 1');
      },
      nats: async () => {
        if (nc.isClosed() || nc.isDraining()) throw new Error('connection closed');
        await nc.flush();
      },
    },
  });
  log.info(
    { httpPort: health.port, endpoints: parts.endpoints.length, consumers: consumers.map((c) => c.durable) },
    `${definition.name} is up`,
  );

  let stopping: Promise<void> | undefined;
  const stop = (reason = 'stop requested'): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'shutting down: no new work, finishing what is in flight');
      accepting = false;
      for (const t of timers) clearInterval(t);
      await service.stop().catch(() => undefined);
      await Promise.all(consumers.map((c) => c.stop()));
      await Promise.allSettled([...inFlight]);
      await parts.onStop?.();
      await relay.flush().catch(() => undefined);
      await relay.stop();
      await nc.drain().catch(() => undefined);
      await orm.close();
      await closeServer(health.server);
      log.info('stopped');
    })();
    return stopping;
  };

  return { ctx, httpPort: health.port, stop };
}

/**
 * The `main.ts` of every service: start, stop gracefully on SIGTERM/SIGINT within SHUTDOWN_TIMEOUT_MS,
 * and exit with every configuration problem listed when the environment is wrong.
 */
export async function runMain<P extends TProperties>(definition: ServiceDefinition<P>): Promise<void> {
  let running: RunningService<ServiceConfig<P>>;
  try {
    running = await startService(definition);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${definition.name}: ${error.message}`);
    } else {
      console.error(`${definition.name}: failed to start:`, error);
    }
    process.exit(1);
  }
  const timeoutMs = running.ctx.config.SHUTDOWN_TIMEOUT_MS;
  const onSignal = (signal: string): void => {
    const timer = setTimeout(() => {
      running.ctx.log.error({ timeoutMs }, 'graceful shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    running.stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        running.ctx.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}

function toHeaders(values: Record<string, string>): MsgHdrs | undefined {
  if (Object.keys(values).length === 0) return undefined;
  const h = natsHeaders();
  for (const [k, v] of Object.entries(values)) h.set(k, v);
  return h;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
