import { randomUUID } from 'node:crypto';
import { AppError } from '@trades/contracts';
import { hashedKey, modifyKey, type SharedState } from '../../plugins/shared-state.ts';

export interface StreamSlotLimits {
  perToken: number;
  perClient: number;
  /** How long a lease is believed without its stream ending it: the stream's longest life and a margin. */
  leaseMs: number;
}

interface Lease {
  id: string;
  /** ms since the epoch; past it the lease is ignored (its replica died without releasing it). */
  until: number;
}

function parseLeases(text: string | undefined, now: number): Lease[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    return value.filter(
      (lease): lease is Lease =>
        typeof lease === 'object' &&
        lease !== null &&
        'id' in lease &&
        typeof lease.id === 'string' &&
        'until' in lease &&
        typeof lease.until === 'number' &&
        lease.until > now,
    );
  } catch {
    return [];
  }
}

const tooManyForToken = (limit: number): AppError =>
  new AppError(
    429,
    'TOO_MANY_STREAMS',
    `This booking's live status is already open in ${limit} places; close one of them, or reload this page in a while.`,
    { limit, per: 'tracking link' },
  );

const tooManyForClient = (limit: number): AppError =>
  new AppError(
    429,
    'TOO_MANY_STREAMS',
    `${limit} live status pages are already open from your network; close some of them and try again.`,
    { limit, per: 'client address' },
  );

/**
 * The open live-status streams, counted per tracking token and per client address across every gateway
 * replica: a stream holds a lease in the `gateway-status-streams` bucket under each of its two keys
 * (a list of leases per key, changed by compare-and-set), and gives both back when it ends. A replica
 * that dies leaves its leases until they run out (`leaseMs`). While NATS cannot be reached, only this
 * process's streams are counted, with a warning.
 */
export class StreamSlots {
  readonly #shared: SharedState;
  readonly #limits: StreamSlotLimits;
  /** This process's open streams per key: the whole count while NATS is away. */
  readonly #here = new Map<string, number>();
  readonly #returning = new Set<Promise<void>>();

  constructor(shared: SharedState, limits: StreamSlotLimits) {
    this.#shared = shared;
    this.#limits = limits;
  }

  /** Takes a slot for one stream, or throws 429 TOO_MANY_STREAMS; the function returned gives it back. */
  async acquire(trackingToken: string, clientAddress: string): Promise<() => void> {
    const tokenKey = `token.${hashedKey('token', trackingToken)}`;
    const clientKey = `client.${hashedKey('client', clientAddress)}`;
    if ((this.#here.get(tokenKey) ?? 0) >= this.#limits.perToken)
      throw tooManyForToken(this.#limits.perToken);
    if ((this.#here.get(clientKey) ?? 0) >= this.#limits.perClient)
      throw tooManyForClient(this.#limits.perClient);

    const lease: Lease = { id: randomUUID(), until: Date.now() + this.#limits.leaseMs };
    const held: string[] = [];
    try {
      if (this.#shared.reachable()) {
        if (!(await this.#take(tokenKey, lease, this.#limits.perToken)))
          throw tooManyForToken(this.#limits.perToken);
        held.push(tokenKey);
        if (!(await this.#take(clientKey, lease, this.#limits.perClient)))
          throw tooManyForClient(this.#limits.perClient);
        held.push(clientKey);
      } else {
        this.#shared.warnUnavailable('status stream limits', new Error('NATS is disconnected'));
      }
    } catch (error) {
      for (const key of held) this.#giveBack(key, lease.id);
      if (error instanceof AppError) throw error;
      // Counted in this process alone until NATS answers again.
      this.#shared.warnUnavailable('status stream limits', error);
      held.length = 0;
    }

    for (const key of [tokenKey, clientKey]) this.#here.set(key, (this.#here.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const key of [tokenKey, clientKey]) {
        const left = (this.#here.get(key) ?? 1) - 1;
        if (left > 0) this.#here.set(key, left);
        else this.#here.delete(key);
      }
      for (const key of held) this.#giveBack(key, lease.id);
    };
  }

  /** Adds the lease under `key` unless `limit` live leases are there already. */
  #take(key: string, lease: Lease, limit: number): Promise<boolean> {
    return modifyKey(this.#shared.statusStreams, key, (current) => {
      const leases = parseLeases(current, Date.now());
      if (leases.length >= limit) return { result: false };
      return { next: JSON.stringify([...leases, lease]), result: true };
    });
  }

  /** Leases still being given back (awaited before the NATS connection closes). */
  async settled(): Promise<void> {
    await Promise.all(this.#returning);
  }

  /** Removes the lease; when that fails it runs out on its own. */
  #giveBack(key: string, id: string): void {
    const returning = modifyKey(this.#shared.statusStreams, key, (current) => {
      const leases = parseLeases(current, Date.now());
      return { next: JSON.stringify(leases.filter((l) => l.id !== id)), result: undefined };
    })
      .catch((error: unknown) => this.#shared.warnUnavailable('status stream limits', error))
      .finally(() => this.#returning.delete(returning));
    this.#returning.add(returning);
  }
}
