import { headers as natsHeaders } from '@nats-io/nats-core';
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import {
  AppError,
  CORRELATION_HEADER,
  DEAD_LETTER_HEADERS,
  deadLetterSubject,
  EventEnvelope,
  type ConsumerDefinition,
  type EventContract,
  type EventData,
} from '@trades/contracts';
import type { Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { withContext } from './context.ts';
import type { EntityManager } from './db.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export interface EventMeta {
  id: string;
  subject: string;
  occurredAt: string;
  deliveryCount: number;
}

export interface EventContext {
  /** The transaction the handler's writes (and the inbox row) commit in. */
  em: EntityManager;
  event: EventMeta;
  log: Logger;
}

export type EventHandler<E extends EventContract> = (data: EventData<E>, ctx: EventContext) => Promise<void>;

export interface EventHandlerBinding {
  contract: EventContract;
  handle: (data: unknown, ctx: EventContext) => Promise<void>;
}

export function on<E extends EventContract>(contract: E, handle: EventHandler<E>): EventHandlerBinding {
  return { contract, handle: (data, ctx) => handle(data as EventData<E>, ctx) };
}

export interface ConsumerBinding {
  definition: ConsumerDefinition;
  handlers: EventHandlerBinding[];
  /**
   * `inbox` (default): the runtime records the event id in the inbox table in the handler's transaction
   * and skips an event it has handled. `handler`: the handler is idempotent by a natural key of its own.
   */
  idempotency?: 'inbox' | 'handler';
  /** How many messages this replica handles at once. Ordering across them is not kept, except by `orderKey`. */
  concurrency?: number;
  /**
   * With `concurrency` above 1: events with the same key (a job id, say) are handled one after another
   * in the order this replica takes them, while events with other keys or none run alongside. Not an
   * order guarantee: an event that fails is nak'ed and comes back after the ones behind it, and other
   * replicas have lanes of their own. Given the event's subject and payload (already checked to be an
   * event envelope, not yet against its contract).
   */
  orderKey?: (subject: string, data: unknown) => string | undefined;
  /**
   * Runs after each handled event's transaction commits, with that transaction's entity manager (the
   * `em` the handler was given, so the binding can tell what it did): start work the handler left in
   * rows (send the SMS it queued, say) now rather than at the next poll.
   */
  afterCommit?: (em: EntityManager) => void;
}

export interface ConsumerDeps {
  js: JetStreamClient;
  schema: string;
  log: Logger;
  metrics: Metrics;
  /** Runs the handler's transaction and publishes the events it enqueued once it commits. */
  transaction: <T>(work: (em: EntityManager) => Promise<T>) => Promise<T>;
}

/** The longest wait between two deliveries of a failing event. */
export const MAX_RETRY_DELAY_MS = 60_000;

/** Redelivery delay after the n-th failed delivery: 1 s, 2 s, 4 s … capped at a minute. */
export const retryDelayMs = (deliveryCount: number): number =>
  Math.min(MAX_RETRY_DELAY_MS, 1_000 * 2 ** Math.min(20, Math.max(0, deliveryCount - 1)));

/**
 * How long an event has been retried when its n-th delivery fails, counted by the back-off alone (the
 * delays before deliveries 2…n). The same on every replica and across restarts, and never more than the
 * time that really passed: handling time and redeliveries after the ack wait only add to it.
 */
export function retriedForMs(deliveryCount: number): number {
  let total = 0;
  for (let n = 1; n < deliveryCount; n++) total += retryDelayMs(n);
  return total;
}

/**
 * Failures that can never succeed however often they are retried: a 4xx AppError (the request is wrong),
 * except those that mean "not now" (408 timeout, 425 too early, 429 too many requests).
 */
export function isPermanentFailure(error: unknown): boolean {
  return (
    error instanceof AppError &&
    error.status >= 400 &&
    error.status < 500 &&
    ![408, 425, 429].includes(error.status)
  );
}

/** "45 s", "10 min", "6 h": for log lines and dead-letter reasons. */
export function formatDuration(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * 60 * 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/**
 * While a message is in hand (waiting in its order-key lane, or being handled), JetStream is told every
 * third of the ack wait that work is in progress, so it is not redelivered to another replica (or to this
 * one, queued behind itself) while the first delivery is still at work. The extension stops after
 * `MAX_HELD_ACK_WAITS` ack waits: a handler hung for that long lets JetStream hand the event on.
 */
const MAX_HELD_ACK_WAITS = 10;

/** Why a message went to the dead-letter stream: refused by its handler, unreadable, or out of retries. */
const DEAD_LETTER_OUTCOMES = ['rejected', 'poison', 'exhausted'] as const;
type DeadLetterOutcome = (typeof DEAD_LETTER_OUTCOMES)[number];

const envelopeValidator = Compile(EventEnvelope);
type Envelope = Static<typeof EventEnvelope>;

/** The message as an event envelope; undefined when it is not JSON or not an envelope. */
function parseEnvelope(msg: JsMsg): Envelope | undefined {
  let value: unknown;
  try {
    value = msg.json();
  } catch {
    return undefined;
  }
  return envelopeValidator.Check(value) ? value : undefined;
}

export interface RunningConsumer {
  readonly durable: string;
  /** Stops pulling, waits for the messages in hand to finish. */
  stop(): Promise<void>;
}

/**
 * Binds to a provisioned durable pull consumer and handles its messages: validates the envelope and the
 * payload against the contract, runs the handler in a transaction (with the inbox row), acks only after
 * commit, naks with a growing delay (capped at a minute) on a transient failure for as long as the
 * consumer's `retryForMs` allows, and dead-letters (then terms) a message that can never succeed or has
 * been failing for longer than that.
 */
export async function startConsumer(binding: ConsumerBinding, deps: ConsumerDeps): Promise<RunningConsumer> {
  const { definition } = binding;
  const handlers = new Map(binding.handlers.map((h) => [h.contract.subject, h]));
  for (const subject of handlers.keys()) {
    if (!definition.events.some((e) => e.subject === subject)) {
      throw new Error(`consumer ${definition.durable} does not receive ${subject}`);
    }
  }
  const log = deps.log.child({ consumer: definition.durable });
  const consumerLabel = { consumer: definition.durable };
  // Present at 0 from the start, so an alert on their increase sees the first one.
  deps.metrics.retriesOverdue.inc(consumerLabel, 0);
  for (const outcome of DEAD_LETTER_OUTCOMES) deps.metrics.deadLettered.inc({ ...consumerLabel, outcome }, 0);
  const consumer = await deps.js.consumers
    .get(definition.stream, definition.durable)
    .catch((error: unknown) => {
      throw new Error(
        `JetStream consumer ${definition.durable} on stream ${definition.stream} is not provisioned ` +
          `(${error instanceof Error ? error.message : String(error)}); run \`npm run provision\` first`,
      );
    });
  const concurrency = Math.max(1, binding.concurrency ?? 1);
  // A small prefetch: a message waiting in this buffer runs down its ack wait, and a long backlog here
  // got redelivered (each copy a delivery, spending the retry window) before it was ever handled, and
  // outlasted shutdown.
  const messages: ConsumerMessages = await consumer.consume({ max_messages: concurrency * 2 });
  const inFlight = new Set<Promise<void>>();

  /** The last event taken for each order key that is still in flight. */
  const lanes = new Map<string, Promise<void>>();

  const loop = (async () => {
    for await (const msg of messages) {
      const envelope = parseEnvelope(msg);
      const key = binding.orderKey && envelope ? binding.orderKey(msg.subject, envelope.data) : undefined;
      const ahead = key === undefined ? undefined : lanes.get(key);
      const stopExtending = keepInProgress(msg);
      // handleSafely never rejects, so a lane never stalls on a failed event.
      const work: Promise<void> = (
        ahead ? ahead.then(() => handleSafely(msg, envelope)) : handleSafely(msg, envelope)
      ).finally(() => {
        stopExtending();
        inFlight.delete(work);
        if (key !== undefined && lanes.get(key) === work) lanes.delete(key);
      });
      if (key !== undefined) lanes.set(key, work);
      inFlight.add(work);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
  })();

  function keepInProgress(msg: JsMsg): () => void {
    let extensions = 0;
    const every = Math.max(1_000, Math.floor(definition.ackWaitMs / 3));
    const timer = setInterval(() => {
      if (++extensions > MAX_HELD_ACK_WAITS * 3) {
        clearInterval(timer);
        log.warn(
          { subject: msg.subject, seq: msg.info.streamSequence, heldMs: extensions * every },
          'event still in hand after many ack waits; JetStream may now deliver it again',
        );
        return;
      }
      msg.working();
    }, every);
    timer.unref();
    return () => clearInterval(timer);
  }

  async function deadLetter(msg: JsMsg, reason: string): Promise<void> {
    const h = natsHeaders();
    h.set(DEAD_LETTER_HEADERS.subject, msg.subject);
    h.set(DEAD_LETTER_HEADERS.stream, msg.info.stream);
    h.set(DEAD_LETTER_HEADERS.sequence, String(msg.info.streamSequence));
    h.set(DEAD_LETTER_HEADERS.consumer, definition.durable);
    h.set(DEAD_LETTER_HEADERS.deliveries, String(msg.info.deliveryCount));
    h.set(DEAD_LETTER_HEADERS.reason, reason.slice(0, 1_000).replace(/[\r\n]+/g, ' '));
    const correlation = msg.headers?.get(CORRELATION_HEADER);
    if (correlation) h.set(CORRELATION_HEADER, correlation);
    await deps.js.publish(deadLetterSubject(definition.durable), msg.data, {
      headers: h,
      msgID: `${msg.info.stream}:${msg.info.streamSequence}:${definition.durable}`,
    });
  }

  async function giveUp(msg: JsMsg, reason: string, outcome: DeadLetterOutcome): Promise<void> {
    await deadLetter(msg, reason);
    // A bare +TERM: servers before 2.10.4 ignore `+TERM <reason>` and redeliver after ack_wait. The reason
    // travels in the dead letter's headers.
    msg.term();
    deps.metrics.consumed.inc({ consumer: definition.durable, subject: msg.subject, outcome });
    deps.metrics.deadLettered.inc({ ...consumerLabel, outcome });
    log.error({ subject: msg.subject, seq: msg.info.streamSequence, reason }, 'event dead-lettered');
  }

  /**
   * Whether a failing message has been retried for as long as its consumer allows: by its deliveries'
   * back-off (a backlog that waited in the stream has not been retried) and by its age in the stream
   * (deliveries that came faster than the back-off, after ack waits, have not taken that long).
   */
  function retryWindowSpent(msg: JsMsg): boolean {
    return (
      retriedForMs(msg.info.deliveryCount) >= definition.retryForMs &&
      Date.now() - msg.time.getTime() >= definition.retryForMs
    );
  }

  /** Nak with the next back-off; an event failing for longer than the alert threshold is an error. */
  function retryLater(msg: JsMsg, error: unknown, eventLog: Logger): void {
    const delivery = msg.info.deliveryCount;
    const delay = retryDelayMs(delivery);
    const retryingForMs = retriedForMs(delivery);
    const fields = { err: error, seq: msg.info.streamSequence, delivery, retryingForMs, retryInMs: delay };
    if (retryingForMs >= definition.retryAlertAfterMs) {
      deps.metrics.retriesOverdue.inc(consumerLabel);
      eventLog.error(
        fields,
        `event still failing after retrying for longer than ${formatDuration(definition.retryAlertAfterMs)}; ` +
          `will retry until ${formatDuration(definition.retryForMs)}, then dead-letter it`,
      );
    } else {
      eventLog.warn(fields, 'event handling failed; will retry');
    }
    msg.nak(delay);
    deps.metrics.consumed.inc({ consumer: definition.durable, subject: msg.subject, outcome: 'retried' });
  }

  /**
   * Never rejects: a failure outside the handler's transaction (the dead-letter publish, an unreachable
   * database) keeps the message for a later delivery instead of ending the consume loop.
   */
  async function handleSafely(msg: JsMsg, envelope: Envelope | undefined): Promise<void> {
    try {
      await handleMessage(msg, envelope);
    } catch (error) {
      retryLater(msg, error, log.child({ subject: msg.subject }));
    }
  }

  async function handleMessage(msg: JsMsg, envelope: Envelope | undefined): Promise<void> {
    if (!envelope) {
      await giveUp(msg, 'not an event envelope', 'poison');
      return;
    }
    const handler = handlers.get(msg.subject);
    if (!handler) {
      msg.ack();
      deps.metrics.consumed.inc({ consumer: definition.durable, subject: msg.subject, outcome: 'skipped' });
      return;
    }
    const { contract } = handler;
    if (!contract.validate.check(envelope.data)) {
      await giveUp(
        msg,
        `payload breaks ${contract.subject}: ${contract.validate.errors(envelope.data).join('; ')}`,
        'poison',
      );
      return;
    }
    const event: EventMeta = {
      id: envelope.id,
      subject: msg.subject,
      occurredAt: envelope.occurredAt,
      deliveryCount: msg.info.deliveryCount,
    };
    await withContext(msg.headers?.get(CORRELATION_HEADER) || undefined, async () => {
      const eventLog = log.child({ eventId: event.id, subject: event.subject });
      try {
        let duplicate = false;
        let committed: EntityManager | undefined;
        await deps.transaction(async (em) => {
          committed = em;
          if ((binding.idempotency ?? 'inbox') === 'inbox') {
            const inserted = await em.execute<{ event_id: string }[]>(
              `insert into "${deps.schema}".inbox (consumer, event_id, subject) values (?, ?, ?)
               on conflict do nothing returning event_id`,
              [definition.durable, event.id, event.subject],
            );
            if (inserted.length === 0) {
              duplicate = true;
              return;
            }
          }
          await handler.handle(envelope.data, { em, event, log: eventLog });
        });
        if (committed) binding.afterCommit?.(committed);
        msg.ack();
        deps.metrics.consumed.inc({
          consumer: definition.durable,
          subject: msg.subject,
          outcome: duplicate ? 'duplicate' : 'handled',
        });
        if (duplicate) eventLog.info('event already handled; acknowledged again');
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (isPermanentFailure(error)) {
          await giveUp(msg, reason, 'rejected');
          return;
        }
        if (retryWindowSpent(msg)) {
          const retried = formatDuration(retriedForMs(msg.info.deliveryCount));
          await giveUp(
            msg,
            `${reason} (still failing after ${msg.info.deliveryCount} deliveries over ${retried} or more)`,
            'exhausted',
          );
          return;
        }
        retryLater(msg, error, eventLog);
      }
    });
  }

  return {
    durable: definition.durable,
    async stop() {
      await messages.close();
      await loop.catch(() => undefined);
      await Promise.allSettled([...inFlight]);
    },
  };
}
