import { nanos, type NatsConnection } from '@nats-io/nats-core';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import {
  ALL_CONSUMERS,
  KV_BUCKETS,
  STREAMS,
  type ConsumerDefinition,
  type KvBucketDefinition,
  type StreamDefinition,
} from '@trades/contracts';
import type { Logger } from './logger.ts';

export function streamConfig(
  stream: StreamDefinition,
  replicas: number,
): Partial<StreamConfig> & { name: string } {
  return {
    name: stream.name,
    subjects: stream.subjects,
    description: stream.description,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(stream.maxAgeMs),
    duplicate_window: nanos(stream.duplicateWindowMs),
    num_replicas: replicas,
  };
}

export function consumerConfig(consumer: ConsumerDefinition): Partial<ConsumerConfig> {
  return {
    durable_name: consumer.durable,
    description: `${consumer.service} handles ${consumer.events.map((e) => e.subject).join(', ')}`,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: consumer.filterSubject,
    // Unlimited: the consumer itself dead-letters what can never succeed or has failed for longer than
    // its retryForMs. (An update lifts the limit of a consumer provisioned with one.)
    max_deliver: -1,
    ack_wait: nanos(consumer.ackWaitMs),
    max_ack_pending: 1_000,
  };
}

async function exists(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates or updates every stream, durable consumer and key-value bucket the contracts declare. It is its
 * own step (`npm run provision`, the setup job in compose and Kubernetes); services only bind to what exists.
 */
export async function provisionJetStream(
  nc: NatsConnection,
  options: {
    replicas: number;
    log: Logger;
    streams?: StreamDefinition[];
    consumers?: ConsumerDefinition[];
    buckets?: KvBucketDefinition[];
  },
): Promise<void> {
  const jsm: JetStreamManager = await jetstreamManager(nc);
  for (const stream of options.streams ?? STREAMS) {
    const config = streamConfig(stream, options.replicas);
    if (await exists(() => jsm.streams.info(stream.name))) {
      await jsm.streams.update(stream.name, config);
      options.log.info({ stream: stream.name }, 'stream updated');
    } else {
      await jsm.streams.add(config);
      options.log.info({ stream: stream.name }, 'stream created');
    }
  }
  for (const consumer of options.consumers ?? ALL_CONSUMERS) {
    const config = consumerConfig(consumer);
    if (await exists(() => jsm.consumers.info(consumer.stream, consumer.durable))) {
      await jsm.consumers.update(consumer.stream, consumer.durable, config);
      options.log.info({ consumer: consumer.durable }, 'consumer updated');
    } else {
      await jsm.consumers.add(consumer.stream, config);
      options.log.info({ consumer: consumer.durable }, 'consumer created');
    }
  }
  for (const bucket of options.buckets ?? KV_BUCKETS) {
    const kv = await new Kvm(nc).create(bucket.name, {
      history: 1,
      ttl: bucket.maxAgeMs,
      replicas: options.replicas,
      description: bucket.description,
    });
    // create() opens an existing bucket as it is: bring its limits up to date like a stream's.
    const { config } = (await kv.status()).streamInfo;
    await jsm.streams.update(config.name, {
      ...config,
      max_age: nanos(bucket.maxAgeMs),
      num_replicas: options.replicas,
      description: bucket.description,
    });
    options.log.info({ bucket: bucket.name }, 'key-value bucket ready');
  }
}
