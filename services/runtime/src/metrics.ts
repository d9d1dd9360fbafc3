import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  endpointSeconds: Histogram<'subject' | 'outcome'>;
  consumed: Counter<'consumer' | 'subject' | 'outcome'>;
  outboxPublished: Counter<'subject'>;
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
    outboxPublished: new Counter({
      name: 'outbox_published_total',
      help: 'Events published from the transactional outbox',
      labelNames: ['subject'],
      registers: [registry],
    }),
  };
}
