import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import {
  OPERATOR_SESSION_BUCKET,
  RATE_LIMIT_BUCKET,
  STATUS_STREAM_BUCKET,
  type KvBucketDefinition,
} from '@trades/contracts';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * What the gateway's replicas must agree on, in NATS key-value buckets (created by `npm run provision`):
 * rate-limit counters, open live-status streams, operator sessions.
 */
export interface SharedState {
  rateLimits: KV;
  statusStreams: KV;
  operatorSessions: KV;
  /** False while NATS is away: callers take their fallback at once instead of waiting for a timeout. */
  reachable(): boolean;
  /** A warning when shared state cannot be used, at most once a minute per topic. */
  warnUnavailable(topic: string, error: unknown): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    shared: SharedState;
  }
}

/** A key-value operation waits this long for NATS; past it the caller's fallback applies. */
const KV_TIMEOUT_MS = 1_500;
const WARN_EVERY_MS = 60_000;
const MAX_CAS_ATTEMPTS = 10;

/** A store write lost to another writer (compare-and-set on the key's revision). */
export function isRevisionConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** A key-value key for any text: hex of its SHA-256 (keys allow few characters; tokens and addresses stay out of the store). */
export function hashedKey(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 40);
}

/** What `change` decides about one key's value: write `next` (undefined: leave it) and answer `result`. */
export interface KeyChange<R> {
  next?: string;
  result: R;
}

/**
 * Read-modify-write of one key, as compare-and-set on its revision: when another replica wrote in
 * between, read again and decide again. `change` sees the current value (undefined when there is none).
 */
export async function modifyKey<R>(
  kv: KV,
  key: string,
  change: (current: string | undefined) => KeyChange<R>,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const entry = await kv.get(key);
    const live = entry?.operation === 'PUT' ? entry : null;
    const { next, result } = change(live ? live.string() : undefined);
    if (next === undefined) return result;
    try {
      if (entry) await kv.update(key, next, entry.revision);
      else await kv.create(key, next);
      return result;
    } catch (error) {
      if (!isRevisionConflict(error) || attempt >= MAX_CAS_ATTEMPTS) throw error;
      await sleep(Math.random() * 5 * attempt);
    }
  }
}

function throttledWarnings(log: FastifyBaseLogger): SharedState['warnUnavailable'] {
  const lastWarned = new Map<string, number>();
  return (topic, error) => {
    const now = Date.now();
    if ((lastWarned.get(topic) ?? 0) + WARN_EVERY_MS > now) return;
    lastWarned.set(topic, now);
    const reason = error instanceof Error ? error.message : String(error);
    log.warn(
      { topic, reason },
      reason === 'stream not found'
        ? `${topic}: its key-value bucket does not exist; run npm run provision`
        : `${topic}: shared state in NATS cannot be reached`,
    );
  };
}

async function sharedState(app: FastifyInstance): Promise<void> {
  // A client of its own with a short timeout: a slow NATS must not hold every request for 5 s.
  const kvm = new Kvm(jetstream(app.nats, { timeout: KV_TIMEOUT_MS }));
  // Bound, not created: provisioning owns the buckets, and binding asks the server nothing.
  const open = (bucket: KvBucketDefinition): Promise<KV> => kvm.open(bucket.name);
  app.decorate('shared', {
    rateLimits: await open(RATE_LIMIT_BUCKET),
    statusStreams: await open(STATUS_STREAM_BUCKET),
    operatorSessions: await open(OPERATOR_SESSION_BUCKET),
    reachable: () => app.natsConnected(),
    warnUnavailable: throttledWarnings(app.log),
  });
}

export default fp(sharedState, { name: 'shared-state', dependencies: ['nats'] });
