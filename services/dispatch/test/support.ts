import { randomBytes, randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  dispatch,
  intake,
  messaging,
  registry,
  type EventContract,
  type EventData,
  type ReplyOf,
  type RequestOf,
  type EndpointContract,
} from '@trades/contracts';
import { createRegistryService } from '@trades/locksmith-registry';
import { call, startService, type NatsConnection, type RunningService } from '@trades/runtime';
import { natsUrl, serviceEnv, waitFor } from '@trades/testkit';
import pg from 'pg';
import type { Static, TSchema } from 'typebox';
import { dispatchService } from '../src/app.ts';

export interface Point {
  lat: number;
  lng: number;
}

/**
 * The n-th place of a test run, far enough from the others (≥ 3° apart, over 190 km) that their locksmiths
 * never meet. Places are numbered by a sequence in the run's database, not per test file: every file
 * shares one database, and a job a finished file left OFFERED is picked up by the next file's dispatch,
 * whose wider waves would take the next file's locksmiths in the same place.
 */
function area(n: number): Point {
  return { lat: 30 + Math.floor(n / 15) * 3, lng: -120 + (n % 15) * 3 };
}

/** A point `km` kilometres east of `from`. */
export function east(from: Point, km: number): Point {
  return { lat: from.lat, lng: from.lng + km / (111.32 * Math.cos((from.lat * Math.PI) / 180)) };
}

/** Registry in-process with a geocoder that reads "lat,lng" addresses, so distances are exact. */
export const testRegistry = createRegistryService({
  geocoder: {
    geocode: async (address: string) => {
      const [lat, lng] = address.split(',').map(Number);
      if (lat === undefined || lng === undefined || Number.isNaN(lat) || Number.isNaN(lng)) return null;
      return { formatted: address, lat, lng, zip: '00000' };
    },
  },
});

export function startDispatch(env: Record<string, string> = {}): Promise<RunningService<unknown>> {
  return startService(dispatchService, serviceEnv({ DISPATCH_TICK_MS: '50', ...env }));
}

export function startRegistry(): Promise<RunningService<unknown>> {
  return startService(testRegistry, serviceEnv());
}

export interface Locksmith {
  id: string;
  name: string;
  phone: string;
}

let phoneCounter = 0;

export class Harness {
  readonly nc: NatsConnection;
  readonly db: pg.Pool;
  readonly seen: { subject: string; data: unknown }[] = [];

  private constructor(nc: NatsConnection, db: pg.Pool) {
    this.nc = nc;
    this.db = db;
  }

  static async open(): Promise<Harness> {
    const nc = await connect({ servers: natsUrl() });
    const db = new pg.Pool({ connectionString: process.env['DATABASE_URL'], max: 4 });
    await db.query('create sequence if not exists public.test_dispatch_area');
    await db.query('create sequence if not exists public.test_dispatch_phone');
    const harness = new Harness(nc, db);
    const subscription = nc.subscribe('evt.dispatch.>');
    void (async () => {
      for await (const msg of subscription) {
        const envelope: unknown = msg.json();
        if (typeof envelope === 'object' && envelope !== null && 'data' in envelope) {
          harness.seen.push({ subject: msg.subject, data: envelope.data });
        }
      }
    })();
    await nc.flush();
    return harness;
  }

  async close(): Promise<void> {
    await this.nc.drain();
    await this.db.end();
  }

  /** A place of its own for a test: see `area`. */
  async newArea(): Promise<Point> {
    const { rows } = await this.db.query<{ n: string }>(`select nextval('public.test_dispatch_area') as n`);
    return area(Number(rows[0]?.n));
  }

  call<E extends EndpointContract>(contract: E, request: RequestOf<E>): Promise<ReplyOf<E>> {
    return call(this.nc, contract, request, { timeoutMs: 10_000 });
  }

  async publish<E extends EventContract>(contract: E, data: EventData<E>): Promise<void> {
    const id = randomUUID();
    await jetstream(this.nc).publish(
      contract.subject,
      JSON.stringify({ id, occurredAt: new Date().toISOString(), data }),
      {
        msgID: id,
      },
    );
  }

  /** Events of one kind seen so far, validated against their contract. */
  events<S extends TSchema>(contract: EventContract<S>): Static<S>[] {
    const out: Static<S>[] = [];
    for (const event of this.seen) {
      if (event.subject === contract.subject && contract.validate.check(event.data)) out.push(event.data);
    }
    return out;
  }

  async locksmith(at: Point, name = `Locksmith ${phoneCounter + 1}`): Promise<Locksmith> {
    phoneCounter += 1;
    // From a sequence in the run's database: test files share it, and a random tag per file collided.
    const { rows } = await this.db.query<{ n: string }>(`select nextval('public.test_dispatch_phone') as n`);
    const phone = `+1415${String(Number(rows[0]?.n)).padStart(7, '0')}`;
    const created = await this.call(registry.ProviderCreate, {
      name,
      phone,
      services: ['home_lockout', 'car_lockout'],
      address: `${at.lat},${at.lng}`,
      radiusKm: 100,
      actor: 'test',
    });
    return { id: created.id, name: created.name, phone: created.phone };
  }

  async book(at: Point, bookingId = `bk_${randomBytes(10).toString('hex')}`): Promise<dispatch.Job> {
    await this.publish(intake.BookingReady, bookingData(at, bookingId));
    return waitFor(async () => (await this.call(dispatch.JobByBooking, { bookingId })).job ?? undefined, {
      what: 'the job',
    });
  }

  async sms(
    from: Locksmith,
    body: string,
    command: EventData<typeof messaging.SmsReceived>['command'],
  ): Promise<void> {
    await this.publish(messaging.SmsReceived, {
      messageSid: `SM${randomBytes(16).toString('hex')}`,
      from: from.phone,
      providerId: from.id,
      body,
      command,
      receivedAt: new Date().toISOString(),
    });
  }

  job(id: string): Promise<dispatch.JobDetail> {
    return this.call(dispatch.JobGet, { id });
  }

  /** Waits until the job satisfies `ready`, then returns it; on timeout, says where the job stood. */
  async jobWhen(
    id: string,
    ready: (job: dispatch.JobDetail) => boolean,
    what: string,
  ): Promise<dispatch.JobDetail> {
    let last: dispatch.JobDetail | undefined;
    try {
      return await waitFor(
        async () => {
          last = await this.job(id);
          return ready(last) ? last : undefined;
        },
        { what, timeoutMs: 20_000 },
      );
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${describeJob(last)}`, {
        cause: error,
      });
    }
  }

  /**
   * Waits until `count` backends wait on the transaction of backend `pid`, directly or behind one another:
   * a test holding a lock knows the racers it started are lined up behind it before it lets them go.
   */
  async waitForWaiters(pid: number, count: number, what: string): Promise<void> {
    await waitFor(
      async () => {
        const { rows } = await this.db.query<{ n: number }>(
          `with recursive waiting(pid) as (
             select pid from pg_stat_activity where $1 = any(pg_blocking_pids(pid))
             union
             select a.pid from pg_stat_activity a join waiting w on w.pid = any(pg_blocking_pids(a.pid))
           )
           select count(*)::int as n from waiting`,
          [pid],
        );
        return (rows[0]?.n ?? 0) >= count;
      },
      { what, timeoutMs: 20_000 },
    );
  }

  /** Rows the dispatch outbox holds for a job and subject: what dispatch said, counted exactly. */
  async outboxCount(subject: string, jobId: string): Promise<number> {
    const result = await this.db.query<{ n: number }>(
      `select count(*)::int as n from dispatch.outbox where subject = $1 and payload->'data'->>'jobId' = $2`,
      [subject, jobId],
    );
    return result.rows[0]?.n ?? 0;
  }
}

export function bookingData(at: Point, bookingId: string): EventData<typeof intake.BookingReady> {
  return {
    bookingId,
    trackingToken: randomBytes(12).toString('hex'),
    serviceCode: 'home_lockout',
    serviceName: 'Home lockout',
    customer: { name: 'Dana Customer', phone: '+14155550100' },
    address: { formatted: '1 Test Street, Springfield, IL 62701', lat: at.lat, lng: at.lng, zip: '62701' },
    notes: 'Side door',
    depositCents: 4900,
    paymentIntentId: 'pi_test_123',
    completedAt: new Date().toISOString(),
  };
}

/** A job's state, timeline and offers in a few lines, for a test that timed out waiting on it. */
export function describeJob(job: dispatch.JobDetail | undefined): string {
  if (!job) return 'the job was never read';
  return [
    `the job was last ${job.state} at wave ${job.wave}${job.paused ? ' (paused)' : ''}; timeline:`,
    ...job.timeline.map((t) => `  ${t.at} ${t.state} (${t.actor}): ${t.cause}`),
    'offers:',
    ...job.offers.map(
      (o) => `  wave ${o.wave} ${o.locksmithId} ${o.status} ${o.distanceKm} km sent ${o.sentAt}`,
    ),
  ].join('\n');
}

export const offersOfWave = (job: dispatch.JobDetail, wave: number): dispatch.Offer[] =>
  job.offers.filter((o) => o.wave === wave);
