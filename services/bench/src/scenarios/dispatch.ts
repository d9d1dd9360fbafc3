// Dispatch: 100,000 locksmiths in the registry (inserted with SQL around ten US metros), then
//  1. candidate search — the registry's own nearest-eligible statement timed through pg, and
//     svc.registry.candidates.nearest timed over NATS, each at a fixed rate;
//  2. dispatch latency — `evt.intake.booking.ready.v1` envelopes published straight to JetStream at
//     20 per second, timed from each one's due time to the moment the Twilio emulator accepted the first
//     offer SMS of its job;
//  3. YES replies — a locksmith's "YES <code>" sent through the emulator's inbound API at a fixed rate,
//     timed to the moment the emulator accepted their "You got job" SMS;
//  4. the YES race — dispatch restarted with 20 offers per wave, 20 simultaneous YES per job, repeated;
//     double assignments counted from the events, the database and the SMS.
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { dispatch, intake, registry, type EventData } from '@trades/contracts';
import { call } from '@trades/runtime';
import pg from 'pg';
// The registry's exact statement, so the database figure is the one candidates.nearest runs.
import { NEAREST_STATEMENT, nearestParams } from '../../../locksmith-registry/src/providers.ts';
import { openLoop } from '../lib/open-loop.ts';
import {
  atMost,
  exactly,
  rowFromRun,
  type Check,
  type LatencyRow,
  type ScenarioReport,
} from '../lib/report.ts';
import { UsageSampler, type ProcessUsage } from '../lib/rss.ts';
import { startStack } from '../lib/stack.ts';
import { summarize } from '../lib/stats.ts';
import { inbound, listMessages, watchQueued, type SentSms } from '../lib/twilio.ts';
import { waitUntil } from '../lib/wait.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';

const PROVIDERS = 100_000;
const NOMINAL_SEARCH_RATE = 200;
const SEARCH_MS = 10_000;
const NOMINAL_BOOKING_RATE = 20;
const BOOKING_MS = 20_000;
const WARMUP_MS = 2_000;
const NOMINAL_YES_RATE = 20;
const YES_MS = 10_000;
const RACES = 100;
const RACE_WAVE = 20;
/**
 * Start-to-start spacing of the races. The gateway allows 1,200 Twilio webhooks a minute per source
 * address and every emulated SMS comes from 127.0.0.1: 20 YES every 1.25 s stays under it.
 */
const RACE_SPACING_MS = 1_250;
/** σ of the providers' spread around a metro centre, in degrees of latitude (0.36° ≈ 40 km). */
const SPREAD_DEG = 0.36;
/** Requests in flight at which a fixed-rate run gives up (the system is not keeping up at all). */
const MAX_IN_FLIGHT = 400;

const METROS = [
  { name: 'San Francisco', lat: 37.7749, lng: -122.4194, zip: '94103' },
  { name: 'Los Angeles', lat: 34.0522, lng: -118.2437, zip: '90012' },
  { name: 'New York', lat: 40.7128, lng: -74.006, zip: '10007' },
  { name: 'Chicago', lat: 41.8781, lng: -87.6298, zip: '60602' },
  { name: 'Houston', lat: 29.7604, lng: -95.3698, zip: '77002' },
  { name: 'Phoenix', lat: 33.4484, lng: -112.074, zip: '85003' },
  { name: 'Philadelphia', lat: 39.9526, lng: -75.1652, zip: '19107' },
  { name: 'San Antonio', lat: 29.4241, lng: -98.4936, zip: '78205' },
  { name: 'San Diego', lat: 32.7157, lng: -117.1611, zip: '92101' },
  { name: 'Dallas', lat: 32.7767, lng: -96.797, zip: '75201' },
] as const;

type Metro = (typeof METROS)[number];
const metroOf = (i: number): Metro => METROS[i % METROS.length] ?? METROS[0];

/** A point about `spreadDeg` around a metro's centre. */
function near(metro: Metro, spreadDeg: number): { lat: number; lng: number } {
  return {
    lat: metro.lat + (Math.random() - 0.5) * 2 * spreadDeg,
    lng: metro.lng + ((Math.random() - 0.5) * 2 * spreadDeg) / Math.cos((metro.lat * Math.PI) / 180),
  };
}

async function insertProviders(pool: pg.Pool): Promise<number> {
  const started = performance.now();
  const metros = METROS.map((m, i) => `(${i}, ${m.lat}, ${m.lng}, '${m.zip}')`).join(', ');
  // Spread like a metro area with its suburbs: Gaussian, σ ≈ 40 km around each centre (about one
  // locksmith per km² near the centre); every provider does home lockouts.
  await pool.query(`
    insert into registry.provider (id, name, phone, services, zip, lat, lng, radius_km)
    select gen_random_uuid(), 'Bench Locksmith ' || g, '+1' || (2002000000 + g)::text,
           array['home_lockout', 'car_lockout', 'lock_change'], m.zip,
           m.lat + ${SPREAD_DEG} * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()),
           m.lng + ${SPREAD_DEG} / cos(radians(m.lat)) * sqrt(-2 * ln(1 - random())) * sin(2 * pi() * random()),
           25
    from generate_series(0, ${PROVIDERS - 1}) as g
    join (values ${metros}) as m(i, lat, lng, zip) on m.i = g % ${METROS.length}`);
  // Vacuumed as well as analysed, so autovacuum does not pick the 100,000 fresh rows up during
  // the measurements (it did, and took CPU from the runs that followed).
  await pool.query('vacuum analyze registry.provider');
  // And written out: otherwise the next checkpoint writes the fresh pages back while the searches are
  // timed. CHECKPOINT needs a superuser or pg_checkpoint; without either the run goes on as before.
  await pool.query('checkpoint').catch(() => undefined);
  return performance.now() - started;
}

interface Observed {
  jobByBooking: Map<string, { jobId: string; code: string }>;
  offersByJob: Map<string, EventData<typeof dispatch.OfferSent>[]>;
  assignedByJob: Map<string, number>;
  assignedAt: Map<string, number>;
  /** When the first offer.sent event of each job reached the bench (epoch ms). */
  firstOfferEventAt: Map<string, number>;
  lastEventAt: number;
}

/** Watches dispatch's events as a plain subscriber (no consumer, nothing acked or taken from anyone). */
function observeDispatch(nc: NatsConnection): Observed {
  const seen: Observed = {
    jobByBooking: new Map(),
    offersByJob: new Map(),
    assignedByJob: new Map(),
    assignedAt: new Map(),
    firstOfferEventAt: new Map(),
    lastEventAt: 0,
  };
  nc.subscribe('evt.dispatch.>', {
    callback: (error, msg) => {
      if (error) return;
      seen.lastEventAt = Date.now();
      let envelope: unknown;
      try {
        envelope = msg.json();
      } catch {
        return;
      }
      const data =
        typeof envelope === 'object' && envelope !== null && 'data' in envelope ? envelope.data : undefined;
      if (msg.subject === dispatch.JobCreated.subject && dispatch.JobCreated.validate.check(data)) {
        seen.jobByBooking.set(data.bookingId, { jobId: data.jobId, code: data.jobCode });
      } else if (msg.subject === dispatch.OfferSent.subject && dispatch.OfferSent.validate.check(data)) {
        if (!seen.firstOfferEventAt.has(data.jobId))
          seen.firstOfferEventAt.set(data.jobId, performance.timeOrigin + performance.now());
        const list = seen.offersByJob.get(data.jobId) ?? [];
        list.push(data);
        seen.offersByJob.set(data.jobId, list);
      } else if (msg.subject === dispatch.JobAssigned.subject && dispatch.JobAssigned.validate.check(data)) {
        seen.assignedByJob.set(data.jobId, (seen.assignedByJob.get(data.jobId) ?? 0) + 1);
        if (!seen.assignedAt.has(data.jobId))
          seen.assignedAt.set(data.jobId, performance.timeOrigin + performance.now());
      }
    },
  });
  return seen;
}

const RUN_TAG = Date.now().toString(36);

function bookingReady(index: number, point: { lat: number; lng: number }, metro: Metro) {
  const data: EventData<typeof intake.BookingReady> = {
    bookingId: `bench_${RUN_TAG}_${String(index).padStart(6, '0')}`,
    trackingToken: `track_${RUN_TAG}_${String(index).padStart(6, '0')}`,
    serviceCode: 'home_lockout',
    serviceName: 'Home lockout',
    customer: { name: `Bench Customer ${index}`, phone: '+14155550123' },
    address: {
      formatted: `${index} Bench St, ${metro.name}`,
      lat: point.lat,
      lng: point.lng,
      zip: metro.zip,
    },
    notes: null,
    depositCents: 4900,
    paymentIntentId: `pi_bench_${RUN_TAG}_${index}`,
    completedAt: new Date().toISOString(),
  };
  if (!intake.BookingReady.validate.check(data)) {
    throw new Error(
      `bench booking breaks the contract: ${intake.BookingReady.validate.errors(data).join('; ')}`,
    );
  }
  return data;
}

/** Waits until nothing new has happened (events, SMS) for `quietMs`, or `maxMs` passed. */
async function settle(
  observed: Observed,
  queued: Map<string, number>,
  quietMs: number,
  maxMs: number,
): Promise<void> {
  const deadline = Date.now() + maxMs;
  let lastSize = -1;
  let lastChange = Date.now();
  while (Date.now() < deadline) {
    if (queued.size !== lastSize) {
      lastSize = queued.size;
      lastChange = Date.now();
    }
    if (Date.now() - Math.max(lastChange, observed.lastEventAt) >= quietMs) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until candidates.nearest answers promptly again (an overloaded run leaves a backlog behind). */
async function registryIdle(nc: NatsConnection): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const started = performance.now();
    try {
      await call(nc, registry.CandidatesNearest, {
        serviceCode: 'home_lockout',
        lat: METROS[0].lat,
        lng: METROS[0].lng,
        radiusKm: 1,
        limit: 1,
        excludeProviderIds: [],
      });
      if (performance.now() - started < 100) return;
    } catch {
      // still busy
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Where the database spends a candidate search at a metro centre, for the report. */
async function explainNearest(pool: pg.Pool, nearestSql: string): Promise<string> {
  const { lat, lng } = METROS[0];
  const { rows } = await pool.query<{ 'QUERY PLAN': unknown }>(
    `explain (analyze, format json) ${nearestSql}`,
    nearestParams({ serviceCode: 'home_lockout', lat, lng, radiusKm: 5, limit: 3, excludeProviderIds: [] }),
  );
  const text = JSON.stringify(rows[0]?.['QUERY PLAN'] ?? null);
  const execution = /"Execution Time":([\d.]+)/.exec(text)?.[1];
  const scanned = [...text.matchAll(/"Actual Rows":(\d+)/g)].map((m) => Number(m[1]));
  return (
    `EXPLAIN ANALYZE of candidates.nearest at ${METROS[0].name}'s centre (5 km, limit 3): ` +
    `${execution ?? '?'} ms in the database, largest row count in the plan ${Math.max(0, ...scanned)} ` +
    '(rows the GiST box returns are re-checked with cube_distance and ordered by the index)'
  );
}

/** When messaging wrote each sent SMS's row (epoch ms), by MessageSid: the queue between consumer and sender. */
async function messageRowsCreatedAt(pool: pg.Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ sid: string; created_ms: number }>(
    `select sid, extract(epoch from created_at) * 1000 as created_ms
     from messaging.message where direction = 'outbound' and sid is not null`,
  );
  return new Map(rows.map((row) => [row.sid, Number(row.created_ms)]));
}

/** Rows that split a measured latency into its parts (no targets of their own). */
function splitRows(rate: number, parts: [name: string, samples: number[]][]): LatencyRow[] {
  return parts.map(([name, samples]) => ({
    name,
    rate,
    sent: samples.length,
    errors: 0,
    throughput: null,
    latency: summarize(samples),
    lagP99: null,
    fromSend: null,
    checks: [],
  }));
}

async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const scaled = (rate: number): number => Math.max(1, Math.round(rate * ctx.rateScale));
  const SEARCH_RATE = scaled(NOMINAL_SEARCH_RATE);
  const BOOKING_RATE = scaled(NOMINAL_BOOKING_RATE);
  const YES_RATE = scaled(NOMINAL_YES_RATE);
  const startedAt = new Date().toISOString();
  const stack = await startStack(ctx);
  const twilio = stack.processes.get('twilio-emulator');
  if (!twilio) throw new Error('no Twilio emulator in the stack');
  const queued = watchQueued(twilio);
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 4 });
  const nc = await connect({ servers: ctx.nats.url, name: 'bench-dispatch' });
  const js = jetstream(nc);
  const observed = observeDispatch(nc);
  const rows: LatencyRow[] = [];
  const checks: Check[] = [];
  const notes: string[] = [];
  const errorSamples: string[] = [];
  let processes: ProcessUsage[];
  let cpuPerUnit: ScenarioReport['cpuPerUnit'];
  const sampler = new UsageSampler([
    { name: 'bench (load generator)', pid: process.pid },
    ...(ctx.nats.process ? [{ name: 'nats-server', pid: ctx.nats.process.pid }] : []),
    ...[...stack.processes.values()].map((p) => ({ name: p.name, pid: p.pid })),
  ]);
  try {
    const insertMs = await insertProviders(pool);
    notes.push(
      `${PROVIDERS} providers inserted around ${METROS.length} metros in ${(insertMs / 1000).toFixed(1)} s`,
    );
    sampler.start();

    // 1. Candidate search, in the database and over NATS, on a registry with no pending offers yet.
    // The registry's own statement, unnamed: parsed and planned on every search, the database's share alone.
    const nearestSql = NEAREST_STATEMENT.text;
    const query = () => {
      const metro = metroOf(Math.floor(Math.random() * METROS.length));
      const point = near(metro, 0.1);
      return {
        serviceCode: 'home_lockout',
        ...point,
        radiusKm: 5,
        limit: 3,
        excludeProviderIds: [] as string[],
      };
    };
    const sqlFire = async (): Promise<void> => {
      const q = query();
      await pool.query(nearestSql, nearestParams(q));
    };
    const natsFire = async (): Promise<void> => {
      const reply = await call(nc, registry.CandidatesNearest, query());
      if (reply.items.length === 0) throw new Error('candidates.nearest found nobody');
    };
    for (const [name, fire, p99] of [
      ['candidate search, SQL (pg)', sqlFire, 5],
      ['candidate search, NATS candidates.nearest', natsFire, 10],
    ] as const) {
      const limits = { ratePerSecond: SEARCH_RATE, maxInFlight: MAX_IN_FLIGHT, fire };
      await openLoop({ ...limits, durationMs: WARMUP_MS * ctx.timeScale });
      await registryIdle(nc);
      const result = await openLoop({ ...limits, durationMs: SEARCH_MS * ctx.timeScale });
      rows.push(rowFromRun(name, SEARCH_RATE, result, { p99, errors: 0 }));
      errorSamples.push(...result.errorSamples.map((e) => `${name}: ${e}`));
      await registryIdle(nc);
    }
    notes.push(await explainNearest(pool, nearestSql));

    // 2. Booking event → first offer SMS accepted by the Twilio emulator.
    const publishBooking = async (index: number, dueAt: number, due: Map<string, number> | undefined) => {
      const metro = metroOf(index);
      const data = bookingReady(index, near(metro, 0.15), metro);
      due?.set(data.bookingId, performance.timeOrigin + dueAt);
      const id = randomUUID();
      const envelope = { id, occurredAt: new Date().toISOString(), data };
      await js.publish(intake.BookingReady.subject, JSON.stringify(envelope), { msgID: id });
    };
    let bookingIndex = 0;
    await openLoop({
      ratePerSecond: BOOKING_RATE,
      durationMs: WARMUP_MS * ctx.timeScale,
      fire: (_i, dueAt) => publishBooking(bookingIndex++, dueAt, undefined),
    });
    const bookingDue = new Map<string, number>();
    sampler.markWindow();
    const published = await openLoop({
      ratePerSecond: BOOKING_RATE,
      maxInFlight: MAX_IN_FLIGHT,
      durationMs: BOOKING_MS * ctx.timeScale,
      fire: (_i, dueAt) => publishBooking(bookingIndex++, dueAt, bookingDue),
    });
    rows.push(rowFromRun('booking.ready publish (JetStream ack)', BOOKING_RATE, published, { errors: 0 }));
    await settle(observed, queued, 2_000, 30_000);
    sampler.endWindow(bookingDue.size);
    let messages = await listMessages(stack.twilioUrl, queued);
    const firstOffer: number[] = [];
    const toOfferEvent: number[] = [];
    const offerEventToSms: number[] = [];
    const offerEventToRow: number[] = [];
    const rowToSms: number[] = [];
    const rowCreatedAt = await messageRowsCreatedAt(pool);
    let noOffer = 0;
    const offered: { jobId: string; code: string; phone: string }[] = [];
    for (const [bookingId, dueEpoch] of bookingDue) {
      const job = observed.jobByBooking.get(bookingId);
      const offers = job ? (observed.offersByJob.get(job.jobId) ?? []) : [];
      const phones = new Set(offers.map((o) => o.providerPhone));
      const sent = job
        ? messages.filter(
            (m) => phones.has(m.to) && m.body.startsWith(`Job ${job.code}:`) && m.queuedAt !== undefined,
          )
        : [];
      const firstSent = sent.reduce<SentSms | undefined>(
        (first, m) => (first && (first.queuedAt ?? 0) <= (m.queuedAt ?? 0) ? first : m),
        undefined,
      );
      if (!job || !firstSent?.queuedAt) {
        noOffer++;
        if (errorSamples.length < 10)
          errorSamples.push(`booking ${bookingId}: ${job ? 'no offer SMS' : 'no job created'}`);
        continue;
      }
      const firstSms = firstSent.queuedAt;
      firstOffer.push(firstSms - dueEpoch);
      const offerEventAt = observed.firstOfferEventAt.get(job.jobId);
      if (offerEventAt !== undefined) {
        toOfferEvent.push(offerEventAt - dueEpoch);
        offerEventToSms.push(firstSms - offerEventAt);
        const rowAt = rowCreatedAt.get(firstSent.sid);
        if (rowAt !== undefined) {
          offerEventToRow.push(rowAt - offerEventAt);
          rowToSms.push(firstSms - rowAt);
        }
      }
      const first = offers[0];
      if (first) offered.push({ jobId: job.jobId, code: job.code, phone: first.providerPhone });
    }
    const dispatchLatency = summarize(firstOffer);
    rows.push({
      name: 'booking event → first offer SMS at Twilio',
      rate: BOOKING_RATE,
      sent: bookingDue.size,
      errors: noOffer,
      throughput: null,
      latency: dispatchLatency,
      lagP99: published.lag.p99,
      fromSend: null,
      checks: [
        atMost('dispatch latency p50', dispatchLatency.p50, 30),
        atMost('dispatch latency p99', dispatchLatency.p99, 100),
        exactly('bookings without an offer SMS', noOffer, 0),
      ],
    });

    // Where the time goes: dispatch (event → job, search, offers committed and published) and messaging
    // (offer.sent event → SMS queued, claimed and handed to Twilio).
    rows.push(
      ...splitRows(BOOKING_RATE, [
        ['  of which: booking event → first offer.sent event (dispatch)', toOfferEvent],
        ['  of which: offer.sent event → SMS at Twilio (messaging)', offerEventToSms],
        ['    of which: offer.sent event → SMS row (messaging consumer)', offerEventToRow],
        ['    of which: SMS row → SMS at Twilio (messaging sender)', rowToSms],
      ]),
    );

    // 3. YES to an offer → "You got job" SMS accepted by the Twilio emulator.
    const yesTargets = offered.slice(0, Math.max(1, Math.round((YES_RATE * YES_MS * ctx.timeScale) / 1000)));
    const yesDue = new Map<string, number>();
    const yes = await openLoop({
      ratePerSecond: YES_RATE,
      durationMs: (yesTargets.length * 1000) / YES_RATE,
      fire: async (i, dueAt) => {
        const target = yesTargets[i];
        if (!target) return;
        yesDue.set(target.jobId, performance.timeOrigin + dueAt);
        await inbound(stack.twilioUrl, target.phone, `YES ${target.code}`);
      },
    });
    rows.push(rowFromRun('YES inbound webhook (emulator → gateway)', YES_RATE, yes, { errors: 0 }));
    await settle(observed, queued, 2_000, 30_000);
    messages = await listMessages(stack.twilioUrl, queued);
    const gotJob: number[] = [];
    const toAssignedEvent: number[] = [];
    const assignedEventToSms: number[] = [];
    const assignedEventToRow: number[] = [];
    const confirmationRowToSms: number[] = [];
    const confirmationRowAt = await messageRowsCreatedAt(pool);
    let noConfirmation = 0;
    for (const target of yesTargets) {
      const dueEpoch = yesDue.get(target.jobId);
      const sms = messages.find(
        (m) =>
          m.to === target.phone &&
          m.body.startsWith(`You got job ${target.code}`) &&
          m.queuedAt !== undefined,
      );
      if (dueEpoch === undefined || !sms?.queuedAt) {
        noConfirmation++;
        continue;
      }
      gotJob.push(sms.queuedAt - dueEpoch);
      const assignedAt = observed.assignedAt.get(target.jobId);
      if (assignedAt !== undefined) {
        toAssignedEvent.push(assignedAt - dueEpoch);
        assignedEventToSms.push(sms.queuedAt - assignedAt);
        const rowAt = confirmationRowAt.get(sms.sid);
        if (rowAt !== undefined) {
          assignedEventToRow.push(rowAt - assignedAt);
          confirmationRowToSms.push(sms.queuedAt - rowAt);
        }
      }
    }
    const yesLatency = summarize(gotJob);
    rows.push({
      name: 'YES → "You got job" SMS at Twilio',
      rate: YES_RATE,
      sent: yesTargets.length,
      errors: noConfirmation,
      throughput: null,
      latency: yesLatency,
      lagP99: yes.lag.p99,
      fromSend: null,
      checks: [
        atMost('YES → confirmation p99', yesLatency.p99, 100),
        exactly('YES without confirmation', noConfirmation, 0),
      ],
    });
    // Where the time goes: the reply (gateway, messaging's webhook, dispatch's decision) and messaging
    // (job.assigned event → SMS queued, claimed and handed to Twilio).
    rows.push(
      ...splitRows(YES_RATE, [
        ['  of which: YES → job.assigned event (gateway, messaging, dispatch)', toAssignedEvent],
        ['  of which: job.assigned event → SMS at Twilio (messaging)', assignedEventToSms],
        ['    of which: job.assigned event → SMS row (messaging consumer)', assignedEventToRow],
        ['    of which: SMS row → SMS at Twilio (messaging sender)', confirmationRowToSms],
      ]),
    );

    // 4. The 20-way YES race.
    const dispatchProcess = await stack.restart('dispatch', { DISPATCH_WAVE_SIZE: String(RACE_WAVE) });
    sampler.add('dispatch (wave size 20)', dispatchProcess.pid);
    const races = Math.max(1, Math.round(RACES * ctx.timeScale));
    const raceJobs: { jobId: string; code: string }[] = [];
    const settleTimes: number[] = [];
    let shortWaves = 0;
    let unassigned = 0;
    const racesStarted = performance.now();
    for (let r = 0; r < races; r++) {
      const wait = racesStarted + r * RACE_SPACING_MS - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const metro = metroOf(r);
      const data = bookingReady(bookingIndex++, near(metro, 0.02), metro);
      const id = randomUUID();
      await js.publish(
        intake.BookingReady.subject,
        JSON.stringify({ id, occurredAt: new Date().toISOString(), data }),
        {
          msgID: id,
        },
      );
      const created = await waitUntil(() => observed.jobByBooking.has(data.bookingId), 10_000);
      const job = observed.jobByBooking.get(data.bookingId);
      if (!created || !job) {
        unassigned++;
        errorSamples.push(`race ${r}: no job for ${data.bookingId}`);
        continue;
      }
      raceJobs.push(job);
      await waitUntil(() => (observed.offersByJob.get(job.jobId)?.length ?? 0) >= RACE_WAVE, 5_000);
      const offers = observed.offersByJob.get(job.jobId) ?? [];
      if (offers.length < RACE_WAVE) shortWaves++;
      const burstAt = performance.timeOrigin + performance.now();
      const replies = await Promise.allSettled(
        offers.map((o) => inbound(stack.twilioUrl, o.providerPhone, `YES ${job.code}`)),
      );
      for (const reply of replies) {
        if (reply.status === 'rejected' && errorSamples.length < 15)
          errorSamples.push(`race ${r}: ${String(reply.reason)}`);
      }
      if (await waitUntil(() => observed.assignedAt.has(job.jobId), 10_000)) {
        settleTimes.push((observed.assignedAt.get(job.jobId) ?? burstAt) - burstAt);
      } else {
        unassigned++;
      }
    }
    await settle(observed, queued, 2_000, 30_000);
    messages = await listMessages(stack.twilioUrl, queued);
    const jobIds = raceJobs.map((j) => j.jobId);
    const doubleByEvents = raceJobs.filter((j) => (observed.assignedByJob.get(j.jobId) ?? 0) > 1).length;
    const { rows: doubles } = await pool.query<{ job_id: string }>(
      `select job_id from dispatch.offer where status = 'ACCEPTED' and job_id = any($1::uuid[])
       group by job_id having count(*) > 1`,
      [jobIds],
    );
    const { rows: assignedRows } = await pool.query<{ n: number }>(
      `select count(*)::int as n from dispatch.job where id = any($1::uuid[]) and locksmith_id is not null`,
      [jobIds],
    );
    const doubleBySms = raceJobs.filter(
      (j) => messages.filter((m: SentSms) => m.body.startsWith(`You got job ${j.code}:`)).length > 1,
    ).length;
    const raceSettle = summarize(settleTimes);
    rows.push({
      name: `20-way YES race → assignment event (${races} races)`,
      rate: null,
      sent: races,
      errors: unassigned,
      throughput: null,
      latency: raceSettle,
      lagP99: null,
      fromSend: null,
      checks: [exactly('races without an assignment', unassigned, 0)],
    });
    checks.push(
      exactly('double assignments (events)', doubleByEvents, 0),
      exactly('double assignments (accepted offers in dispatch DB)', doubles.length, 0),
      exactly('double "You got job" SMS', doubleBySms, 0),
      exactly('race jobs with a locksmith in dispatch DB', assignedRows[0]?.n ?? 0, raceJobs.length),
    );
    if (shortWaves > 0) notes.push(`${shortWaves} race(s) had fewer than ${RACE_WAVE} offers in their wave`);
    notes.push(
      'booking events are published straight to JetStream (no intake/payments): payments finds no deposit to ' +
        'capture when a bench job is assigned, and intake no booking to update; both only log it',
      "SMS instants are the emulator's log timestamps (1 ms resolution); latency runs from each booking's or " +
        "YES's due time at a fixed rate (open loop)",
    );
  } finally {
    const postgresMs = sampler.postgresMsPerUnit();
    processes = sampler.stop();
    if (postgresMs !== undefined) {
      cpuPerUnit = {
        unit: 'job',
        postgresMs,
        totalMs: processes.reduce((sum, p) => sum + (p.cpuMsPerUnit ?? 0), postgresMs),
      };
      notes.push(
        'CPU ms / job: CPU time (user + system, from /proc) each process used from the first booking event ' +
          'of the latency run until its offers settled, divided by its bookings (offers, SMS and status callbacks included)',
      );
    }
    await nc.close();
    await pool.end();
    await stack.stop();
  }
  return {
    scenario: 'dispatch',
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: {
      nats: ctx.nats.source,
      providers: String(PROVIDERS),
      waveSize: `3 (latency runs), ${RACE_WAVE} (race)`,
    },
    rows,
    checks,
    processes,
    ...(cpuPerUnit ? { cpuPerUnit } : {}),
    notes,
    errorSamples,
  };
}

export const dispatchScenario: Scenario = {
  name: 'dispatch',
  description:
    'candidate search on 100k locksmiths, booking → offer SMS, YES → confirmation SMS, 20-way YES race',
  run,
};
