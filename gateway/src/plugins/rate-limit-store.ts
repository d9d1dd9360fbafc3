import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { KV } from '@nats-io/kv';
import { AppError, RATE_LIMIT_BUCKET } from '@trades/contracts';
import { hashedKey, isRevisionConflict, type SharedState } from './shared-state.ts';

/**
 * How a route's rate limit is counted:
 * - `shared` (the default): in NATS key-value, so every replica counts against one budget; while NATS
 *   cannot be reached, in this process (a warning is logged): the customer keeps being served.
 * - `shared-or-refuse`: the same, but while NATS cannot be reached the request is refused with 503
 *   (the operator login: its limit is what stands between a guesser and the password).
 * - `replica`: in this process only (webhooks from a few provider addresses at high rates, where one
 *   shared counter would be a hot key written on every callback; their limits are only a flood valve).
 */
export type RateLimitCounting = 'shared' | 'shared-or-refuse' | 'replica';

declare module 'fastify' {
  interface FastifyContextConfig {
    rateLimitCounting?: RateLimitCounting;
  }
}

interface Window {
  count: number;
  /** When the window began (ms since the epoch): it ends `timeWindow` later. */
  start: number;
}

interface KnownWindow extends Window {
  /** The key's revision this state was read or written at; 0 when the key does not exist. */
  revision: number;
}

/** A burst from one client on every replica writes one key: each round one writer wins, the rest retry. */
const MAX_CAS_ATTEMPTS = 25;
const MAX_REMEMBERED = 10_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function parseWindow(text: string): Window {
  try {
    const value: unknown = JSON.parse(text);
    if (isRecord(value) && typeof value['count'] === 'number' && typeof value['start'] === 'number') {
      return { count: value['count'], start: value['start'] };
    }
  } catch {
    // A value this code did not write starts a new window.
  }
  return { count: 0, start: 0 };
}

/** The next window after one more request: the same one counted up, or a new one when it has ended. */
function countOne(window: Window, timeWindow: number, now: number): Window {
  return window.count === 0 || window.start + timeWindow <= now
    ? { count: 1, start: now }
    : { count: window.count + 1, start: window.start };
}

/** The route a child store counts for, from what @fastify/rate-limit passes (its params with `routeInfo`). */
function routeOf(params: unknown): { scope: string; counting: RateLimitCounting } {
  const info = isRecord(params) && isRecord(params['routeInfo']) ? params['routeInfo'] : {};
  const methods = [info['method']].flat().filter((m): m is string => typeof m === 'string');
  const url = typeof info['url'] === 'string' ? info['url'] : '';
  const config = isRecord(info['config']) ? info['config'] : {};
  const counting = config['rateLimitCounting'];
  return {
    scope: `${methods.join(',')} ${url}`,
    counting: counting === 'shared-or-refuse' || counting === 'replica' ? counting : 'shared',
  };
}

/**
 * A store for @fastify/rate-limit whose counters live in the `gateway-rate-limits` bucket: one key per
 * route and client holding `{ count, start }`, advanced by compare-and-set on the key's revision, so two
 * replicas never both count the same slot. The window starts at a client's first request (as the
 * plugin's own store does), and the bucket forgets a key 15 minutes after its last write.
 */
class SharedRateLimitStore implements FastifyRateLimitStore {
  readonly #shared: SharedState;
  readonly #scope: string;
  readonly #counting: RateLimitCounting;
  /** Counters of this process: the `replica` routes, and every route while NATS cannot be reached. */
  readonly #local = new Map<string, Window>();
  /** The last state seen per key, so a request usually costs one write (its revision still current). */
  readonly #known = new Map<string, KnownWindow>();

  constructor(shared: SharedState, scope: string, counting: RateLimitCounting) {
    this.#shared = shared;
    this.#scope = scope;
    this.#counting = counting;
  }

  incr(
    key: string,
    callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
    timeWindow: number,
  ): void {
    this.#count(key, timeWindow).then(
      (window) => callback(null, { current: window.count, ttl: window.start + timeWindow - Date.now() }),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  child(params: unknown): FastifyRateLimitStore {
    const route = routeOf(params);
    return new SharedRateLimitStore(this.#shared, route.scope, route.counting);
  }

  async #count(key: string, timeWindow: number): Promise<Window> {
    if (this.#counting === 'replica') return this.#countHere(key, timeWindow);
    if (timeWindow > RATE_LIMIT_BUCKET.maxAgeMs) {
      throw new Error(`rate-limit window ${timeWindow} ms is longer than the counters are kept`);
    }
    try {
      if (!this.#shared.reachable()) throw new Error('NATS is disconnected');
      return await this.#countShared(this.#shared.rateLimits, hashedKey(this.#scope, key), timeWindow);
    } catch (error) {
      this.#shared.warnUnavailable('rate limits', error);
      if (this.#counting === 'shared-or-refuse') {
        throw new AppError(
          503,
          'RATE_LIMIT_UNAVAILABLE',
          'This is paused for a moment because attempts cannot be counted right now; try again shortly.',
        );
      }
      return this.#countHere(key, timeWindow);
    }
  }

  async #countShared(kv: KV, kvKey: string, timeWindow: number): Promise<Window> {
    let known = this.#known.get(kvKey);
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      if (!known) {
        const entry = await kv.get(kvKey);
        known =
          entry === null
            ? { count: 0, start: 0, revision: 0 }
            : {
                ...(entry.operation === 'PUT' ? parseWindow(entry.string()) : { count: 0, start: 0 }),
                revision: entry.revision,
              };
      }
      const next = countOne(known, timeWindow, Date.now());
      try {
        const value = JSON.stringify(next);
        const revision =
          known.revision === 0
            ? await kv.create(kvKey, value)
            : await kv.update(kvKey, value, known.revision);
        this.#remember(kvKey, { ...next, revision });
        return next;
      } catch (error) {
        if (!isRevisionConflict(error)) throw error;
        // Another replica counted first (or the key aged out): read it again.
        known = undefined;
        this.#known.delete(kvKey);
        await sleep(Math.random() * 2 * attempt);
      }
    }
    throw new Error(`the counter ${kvKey} kept changing under ${MAX_CAS_ATTEMPTS} attempts`);
  }

  #countHere(key: string, timeWindow: number): Window {
    const next = countOne(this.#local.get(key) ?? { count: 0, start: 0 }, timeWindow, Date.now());
    this.#local.delete(key);
    this.#local.set(key, next);
    if (this.#local.size > MAX_REMEMBERED) this.#forgetOldest(this.#local);
    return next;
  }

  #remember(kvKey: string, state: KnownWindow): void {
    this.#known.delete(kvKey);
    this.#known.set(kvKey, state);
    if (this.#known.size > MAX_REMEMBERED) this.#forgetOldest(this.#known);
  }

  #forgetOldest(map: Map<string, unknown>): void {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

/** The store class @fastify/rate-limit instantiates (it passes only its own options, so the state is closed over). */
export function sharedRateLimitStore(shared: SharedState): FastifyRateLimitStoreCtor {
  return class extends SharedRateLimitStore {
    constructor() {
      super(shared, 'global', 'shared');
    }
  };
}
