import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  endpointSeconds: Histogram<'subject' | 'outcome'>;
  consumed: Counter<'consumer' | 'subject' | 'outcome'>;
  /** Failed deliveries of events retrying for longer than their consumer's alert threshold. */
  retriesOverdue: Counter<'consumer'>;
  /** Events copied to the dead-letter stream, by why (rejected, poison, exhausted). */
  deadLettered: Counter<'consumer' | 'outcome'>;
  outboxPublished: Counter<'subject'>;
  /** Rows deleted by the inbox and outbox retention. */
  pruned: Counter<'table'>;
}

/** One Prometheus registry per process, with Node's default metrics and the runtime's own. */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    endpointSeconds: new Histogram({
      name: 'nats_endpoint_duration_seconds',
      help: 'Time to answer a NATS request/reply endpoint',
      labelNames: ['subject', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    consumed: new Counter({
      name: 'jetstream_messages_consumed_total',
      help: 'Events handled by JetStream consumers, by outcome',
      labelNames: ['consumer', 'subject', 'outcome'],
      registers: [registry],
    }),
    retriesOverdue: new Counter({
      name: 'jetstream_event_retries_overdue_total',
      help: "Failed deliveries of events that have been retrying for longer than their consumer's alert threshold",
      labelNames: ['consumer'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'jetstream_messages_dead_lettered_total',
      help: 'Events a consumer copied to the DEAD_LETTER stream and gave up on, by outcome',
      labelNames: ['consumer', 'outcome'],
      registers: [registry],
    }),
    pruned: new Counter({
      name: 'runtime_rows_pruned_total',
      help: 'Handled inbox rows and published outbox rows deleted past their retention',
      labelNames: ['table'],
      registers: [registry],
    }),
    outboxPublished: new Counter({
      name: 'outbox_published_total',
      help: 'Events published from the transactional outbox',
      labelNames: ['subject'],
      registers: [registry],
    }),
  };
}
