import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { dispatch, intake } from '@trades/contracts';
import { startService, type RunningService } from '@trades/runtime';
import { migrateService, resetJetStream, serviceEnv, waitFor } from '@trades/testkit';
import { dispatchService } from '../src/app.ts';
import type { DispatchConfig } from '../src/config.ts';
import { advanceDueJob } from '../src/handlers/lifecycle.ts';
import type { JobRow } from '../src/store/rows.ts';
import {
  bookingData,
  describeJob,
  east,
  Harness,
  offersOfWave,
  startDispatch,
  startRegistry,
  testRegistry,
  type Locksmith,
} from './support.ts';

// Real services, databases and timers: give each test and hook room on a slow machine.
jest.setTimeout(60_000);

let harness: Harness;
let registryService: RunningService<unknown>;

beforeAll(async () => {
  await resetJetStream();
  await migrateService(testRegistry);
  await migrateService(dispatchService);
  registryService = await startRegistry();
  harness = await Harness.open();
});

afterAll(async () => {
  await harness?.close();
  await registryService?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Open jobs (ASSIGNED or EN_ROUTE) a locksmith holds, straight from dispatch's database. */
async function openJobsOf(locksmith: Locksmith): Promise<string[]> {
  const { rows } = await harness.db.query<{ id: string }>(
    `select id from dispatch.job where locksmith_id = $1 and state in ('ASSIGNED', 'EN_ROUTE')`,
    [locksmith.id],
  );
  return rows.map((r) => r.id);
}

describe('a burst of bookings at one spot (two dispatch replicas, waves of 3)', () => {
  let replicas: RunningService<unknown>[] = [];
  beforeAll(async () => {
    const env = { DISPATCH_WAVE_SIZE: '3', DISPATCH_MAX_WAVES: '4' };
    replicas = [await startDispatch(env), await startDispatch(env)];
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
  });

  it('offers every one of 30 bookings made at once, and fails none, while 60 locksmiths are free', async () => {
    const area = await harness.newArea();
    const locksmiths = new Map<string, Locksmith>();
    for (let i = 0; i < 60; i++) {
      const locksmith = await harness.locksmith(east(area, 0.015 * (i + 1)));
      locksmiths.set(locksmith.id, locksmith);
    }
    const bookingIds = Array.from({ length: 30 }, () => `bk_burst_${randomBytes(8).toString('hex')}`);
    await Promise.all(bookingIds.map((id) => harness.publish(intake.BookingReady, bookingData(area, id))));

    const deadline = Date.now() + 120_000;
    type Row = { id: string; state: string; waiting: boolean };
    /** The burst's jobs; throws as soon as one of them FAILED. */
    const burstJobs = async (): Promise<Row[]> => {
      const { rows } = await harness.db.query<Row>(
        `select id, state, next_action_at is not null and state = 'DISPATCHING' as waiting
         from dispatch.job where booking_id = any($1)`,
        [bookingIds],
      );
      const failed = rows.find((j) => j.state === 'FAILED');
      if (failed) throw new Error(`a job FAILED in the burst\n${describeJob(await harness.job(failed.id))}`);
      if (Date.now() > deadline) {
        const stuck = rows.find((j) => j.state !== 'ASSIGNED');
        throw new Error(
          `the burst did not settle in time\n${describeJob(stuck && (await harness.job(stuck.id)))}`,
        );
      }
      return rows;
    };

    // Nobody answers at first, as nobody can in the first seconds: 30 jobs × 3 offers are more than 60
    // locksmiths can hold, so the last jobs find everyone in range holding an offer, and wait.
    for (;;) {
      const jobs = await burstJobs();
      if (jobs.length === bookingIds.length && jobs.every((j) => j.state === 'OFFERED' || j.waiting)) break;
      await sleep(100);
    }

    // Then every offered job is answered YES by one of its locksmiths: the winner is on the job from then
    // on, the job's other offers are withdrawn, and those locksmiths come back for the jobs waiting.
    const answered = new Set<string>();
    for (;;) {
      const jobs = await burstJobs();
      if (jobs.every((j) => j.state === 'ASSIGNED')) break;
      const { rows: pending } = await harness.db.query<{
        id: string;
        job_id: string;
        provider_id: string;
        code: string;
      }>(
        `select o.id, o.job_id, o.provider_id, j.code from dispatch.offer o join dispatch.job j on j.id = o.job_id
         where j.booking_id = any($1) and o.status = 'PENDING' order by o.sent_at`,
        [bookingIds],
      );
      const answeredJobs = new Set(pending.filter((o) => answered.has(o.id)).map((o) => o.job_id));
      for (const offer of pending) {
        const locksmith = locksmiths.get(offer.provider_id);
        if (answeredJobs.has(offer.job_id) || !locksmith) continue;
        answeredJobs.add(offer.job_id);
        answered.add(offer.id);
        await harness.sms(locksmith, `YES ${offer.code}`, { kind: 'YES', jobCode: offer.code });
      }
      await sleep(100);
    }

    const details = await Promise.all(
      bookingIds.map(async (bookingId) => {
        const { job } = await harness.call(dispatch.JobByBooking, { bookingId });
        if (!job) throw new Error(`no job for ${bookingId}`);
        return harness.job(job.id);
      }),
    );
    expect(details.filter((d) => d.offers.length === 0)).toEqual([]);
    expect(details.flatMap((d) => d.timeline).filter((t) => t.state === 'FAILED')).toEqual([]);
    // Thirty jobs, thirty different locksmiths.
    expect(new Set(details.map((d) => d.locksmithId)).size).toBe(bookingIds.length);
  }, 180_000);
});

describe('a job whose locksmiths are all holding other offers (waves of 1, two waves)', () => {
  let service: RunningService<unknown>;
  beforeAll(async () => {
    service = await startDispatch({ DISPATCH_WAVE_SIZE: '1', DISPATCH_MAX_WAVES: '2' });
  });
  afterAll(async () => service?.stop());

  it('takes a free locksmith farther out before waiting, waits for a held one instead of failing, and gets them when they come free', async () => {
    const area = await harness.newArea();
    const near = await harness.locksmith(east(area, 1));
    const far = await harness.locksmith(east(area, 7));

    const first = await harness.book(area);
    await harness.jobWhen(first.id, (j) => offersOfWave(j, 1).length === 1, 'the first job offered nearby');
    // The near locksmith is considering the first job: the second goes to the free one in wave 2's radius.
    const second = await harness.book(area);
    const farther = await harness.jobWhen(second.id, (j) => j.state === 'OFFERED', 'the second job offered');
    expect(farther.offers).toMatchObject([{ locksmithId: far.id, wave: 2, status: 'PENDING' }]);

    // Both are holding offers now: the third job waits for one of them, with no wave spent.
    const third = await harness.book(area);
    const waiting = await harness.jobWhen(
      third.id,
      (j) => j.timeline.some((t) => /waiting for one to come free/.test(t.cause)),
      'the third job waiting',
    );
    expect(waiting).toMatchObject({ state: 'DISPATCHING', wave: 0, offers: [] });

    await harness.sms(near, `NO ${first.code}`, { kind: 'NO', jobCode: first.code });
    const offered = await harness.jobWhen(third.id, (j) => j.state === 'OFFERED', 'the third job offered');
    expect(offered.offers).toMatchObject([{ locksmithId: near.id, wave: 1, status: 'PENDING' }]);
    // The first job's second wave finds its only other locksmith holding the second job's offer: it waits.
    const firstNow = await harness.job(first.id);
    expect(firstNow.state).toBe('DISPATCHING');
    expect(harness.events(dispatch.JobFailed).map((e) => e.jobId)).not.toEqual(
      expect.arrayContaining([first.id]),
    );
  });
});

describe('one open job per locksmith (jobs wait for an operator)', () => {
  let service: RunningService<unknown>;
  beforeAll(async () => {
    service = await startDispatch({
      DISPATCH_WAVE_SIZE: '1',
      DISPATCH_MAX_WAVES: '1',
      DISPATCH_AUTO_START: 'false',
    });
  });
  afterAll(async () => service?.stop());

  const assign = (jobId: string, locksmith: Locksmith) =>
    harness.call(dispatch.JobAssign, { id: jobId, locksmithId: locksmith.id, actor: 'ops@example.com' });

  /** Holds the jobs' rows in a transaction of the test's own until `release` is called. */
  async function holdJobs(ids: string[]): Promise<{ pid: number; release: () => Promise<void> }> {
    const client = await harness.db.connect();
    await client.query('begin');
    await client.query('select id from dispatch.job where id = any($1) order by id for update', [ids]);
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    return {
      pid: rows[0]?.pid ?? 0,
      release: async () => {
        await client.query('commit');
        client.release();
      },
    };
  }

  it('gives a locksmith to one of two jobs that two operators assign them to at the same moment', async () => {
    const area = await harness.newArea();
    for (let round = 0; round < 4; round++) {
      const locksmith = await harness.locksmith(east(area, 1));
      const [a, b] = [await harness.book(area), await harness.book(area)];
      if (!a || !b) throw new Error('no jobs');
      const held = await holdJobs([a.id, b.id]);
      const racing = Promise.allSettled([assign(a.id, locksmith), assign(b.id, locksmith)]);
      try {
        await harness.waitForWaiters(held.pid, 2, 'both assigns lined up');
      } finally {
        await held.release();
      }
      const [first, second] = await racing;
      const outcomes = [first, second].map((r) => r?.status);
      expect(outcomes.sort()).toEqual(['fulfilled', 'rejected']);
      const refused = [first, second].find((r) => r?.status === 'rejected');
      expect(refused?.status === 'rejected' && refused.reason).toMatchObject({
        status: 409,
        code: 'LOCKSMITH_BUSY',
      });
      expect(await openJobsOf(locksmith)).toHaveLength(1);
    }
  });

  for (const firstIn of ['YES', 'assign'] as const) {
    it(`keeps a locksmith on one job when their YES for one job races an assign to another (${firstIn} first)`, async () => {
      const area = await harness.newArea();
      const locksmith = await harness.locksmith(east(area, 1));
      const [a, b] = [await harness.book(area), await harness.book(area)];
      if (!a || !b) throw new Error('no jobs');
      await harness.call(dispatch.JobControl, { id: b.id, action: 'start', actor: 'ops@example.com' });
      await harness.jobWhen(
        b.id,
        (j) => j.offers.some((o) => o.locksmithId === locksmith.id && o.status === 'PENDING'),
        'the locksmith offered job B',
      );

      const held = await holdJobs([a.id, b.id]);
      let assigned: Promise<PromiseSettledResult<unknown>> | undefined;
      try {
        const yes = () => harness.sms(locksmith, `YES ${b.code}`, { kind: 'YES', jobCode: b.code });
        const assignA = () => {
          assigned = assign(a.id, locksmith).then(
            (value) => ({ status: 'fulfilled', value }) as const,
            (reason: unknown) => ({ status: 'rejected', reason }) as const,
          );
        };
        if (firstIn === 'YES') await yes();
        else assignA();
        await harness.waitForWaiters(held.pid, 1, `the ${firstIn} waiting`);
        if (firstIn === 'YES') assignA();
        else await yes();
        await harness.waitForWaiters(held.pid, 2, 'both waiting');
      } finally {
        await held.release();
      }
      const assignment = await assigned;
      // The YES is settled when job B is assigned or the locksmith is told why not.
      await waitFor(
        async () =>
          (await harness.job(b.id)).state === 'ASSIGNED' ||
          harness.events(dispatch.ReplyRejected).some((e) => e.providerId === locksmith.id),
        { what: 'the YES settled' },
      );
      const open = await openJobsOf(locksmith);
      expect(open).toHaveLength(1);
      if (open[0] === a.id) {
        expect(assignment?.status).toBe('fulfilled');
        expect(harness.events(dispatch.ReplyRejected)).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ providerId: locksmith.id, reason: 'on_another_job', jobCode: b.code }),
          ]),
        );
        // Their offer for job B was withdrawn in the assignment's own transaction.
        const jobB = await harness.job(b.id);
        expect(jobB.offers).toMatchObject([{ locksmithId: locksmith.id, status: 'CANCELED' }]);
      } else {
        expect(open[0]).toBe(b.id);
        expect(assignment).toMatchObject({
          status: 'rejected',
          reason: { status: 409, code: 'LOCKSMITH_BUSY' },
        });
      }
    });
  }

  it('refuses, with LOCKSMITH_BUSY, to assign a locksmith who is on another job', async () => {
    const area = await harness.newArea();
    const locksmith = await harness.locksmith(east(area, 1));
    const [a, b] = [await harness.book(area), await harness.book(area)];
    if (!a || !b) throw new Error('no jobs');
    await assign(a.id, locksmith);
    await expect(assign(b.id, locksmith)).rejects.toMatchObject({
      status: 409,
      code: 'LOCKSMITH_BUSY',
      message: expect.stringContaining(a.code),
    });
  });
});

describe('a YES that waits while its wave expires (waves of 1, offers live 2 minutes)', () => {
  let dispatcher: RunningService<DispatchConfig> | undefined;
  beforeAll(async () => {
    // Started here rather than through startDispatch: the test runs the timer's work with its context.
    dispatcher = await startService(
      dispatchService,
      serviceEnv({ DISPATCH_TICK_MS: '50', DISPATCH_WAVE_SIZE: '1', DISPATCH_MAX_WAVES: '2' }),
    );
  });
  afterAll(async () => dispatcher?.stop());

  it('is rejected as late when the timer expired its offer and sent the next wave first', async () => {
    if (!dispatcher) throw new Error('dispatch did not start');
    const { ctx } = dispatcher;
    const area = await harness.newArea();
    const near = await harness.locksmith(east(area, 1));
    const far = await harness.locksmith(east(area, 7));
    const job = await harness.book(area);
    await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');

    // The timer's transaction holds the job row while it expires wave 1 and sends wave 2; the YES for
    // wave 1 arrives in the middle and waits for the row.
    await ctx.orm.em.fork().transactional(async (em) => {
      const [row] = await em.execute<JobRow[]>('select * from dispatch.job where id = ? for update', [
        job.id,
      ]);
      if (!row) throw new Error('no job row');
      await em.execute(
        `update dispatch.offer set expires_at = now() - interval '1 second' where job_id = ?`,
        [job.id],
      );
      const [me] = await em.execute<{ pid: number }[]>('select pg_backend_pid() as pid');
      await harness.sms(near, `YES ${job.code}`, { kind: 'YES', jobCode: job.code });
      await harness.waitForWaiters(me?.pid ?? 0, 1, 'the YES waiting for the job row');
      await advanceDueJob(ctx, em, row);
    });

    await waitFor(
      async () =>
        (await harness.job(job.id)).state === 'ASSIGNED' ||
        harness.events(dispatch.ReplyRejected).some((e) => e.providerId === near.id),
      { what: 'the YES settled' },
    );
    const after = await harness.job(job.id);
    expect(after).toMatchObject({ state: 'OFFERED', wave: 2, locksmithId: null });
    expect(offersOfWave(after, 1)).toMatchObject([{ locksmithId: near.id, status: 'EXPIRED' }]);
    expect(offersOfWave(after, 2)).toMatchObject([{ locksmithId: far.id, status: 'PENDING' }]);
    expect(await harness.outboxCount(dispatch.JobAssigned.subject, job.id)).toBe(0);
    expect(harness.events(dispatch.ReplyRejected)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ providerId: near.id, reason: 'offer_expired', jobCode: job.code }),
      ]),
    );
  });
});
