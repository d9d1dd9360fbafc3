import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { dispatch, messaging, registry as registryContract } from '@trades/contracts';
import type { RunningService } from '@trades/runtime';
import {
  migrateService,
  resetJetStream,
  serviceEnv,
  spawnNode,
  waitFor,
  type ChildService,
} from '@trades/testkit';
import { dispatchService } from '../src/app.ts';
import { insertPendingOffer } from '../src/store/offers.ts';
import { east, Harness, offersOfWave, startDispatch, startRegistry, testRegistry } from './support.ts';

// Real services, databases and timers: give each test and hook room on a slow machine.
jest.setTimeout(30_000);

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

/** Waits for dispatch to reject a locksmith's reply about a job, for that reason, naming the job. */
async function waitForRejection(
  from: { id: string },
  reason: 'wrong_job_code' | 'job_taken',
  job: { id: string; code: string },
): Promise<void> {
  await waitFor(
    () =>
      harness
        .events(dispatch.ReplyRejected)
        .some(
          (e) =>
            e.providerId === from.id && e.reason === reason && e.jobCode === job.code && e.jobId === job.id,
        ),
    { what: `${reason} for the reply of ${from.id}` },
  );
}

describe('dispatch by SMS replies (offers live 2 minutes)', () => {
  let service: RunningService<unknown>;
  beforeAll(async () => {
    service = await startDispatch({ DISPATCH_WAVE_SIZE: '3', DISPATCH_MAX_WAVES: '3' });
  });
  afterAll(async () => service?.stop());

  it('turns a paid booking into one job with a 4-digit code and offers it to the nearest locksmiths', async () => {
    const area = await harness.newArea();
    const near = [
      await harness.locksmith(east(area, 1)),
      await harness.locksmith(east(area, 2)),
      await harness.locksmith(east(area, 3)),
    ];
    const far = await harness.locksmith(east(area, 8));
    const job = await harness.book(area);
    expect(job.code).toMatch(/^[0-9]{4}$/);

    const offered = await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');
    expect(offered.wave).toBe(1);
    expect(
      offersOfWave(offered, 1)
        .map((o) => o.locksmithId)
        .sort(),
    ).toEqual(near.map((l) => l.id).sort());
    expect(offered.offers.some((o) => o.locksmithId === far.id)).toBe(false);
    expect(offered.timeline.map((t) => t.state)).toEqual(['CREATED', 'DISPATCHING', 'OFFERED']);
    await waitFor(() => harness.events(dispatch.OfferSent).filter((e) => e.jobId === job.id).length === 3, {
      what: 'three offer.sent events',
    });

    // The same booking delivered again (another event id) is still one job.
    await harness.book(area, job.bookingId);
    const list = await harness.call(dispatch.JobList, { q: job.code, limit: 200 });
    expect(list.items.filter((j) => j.bookingId === job.bookingId)).toHaveLength(1);
  });

  it('moves to the next, wider wave at once when everyone in the wave says NO', async () => {
    const area = await harness.newArea();
    const near = [await harness.locksmith(east(area, 1)), await harness.locksmith(east(area, 2))];
    const far = await harness.locksmith(east(area, 8));
    const job = await harness.book(area);
    await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');

    // A NO naming another job (a late answer to an old offer) declines nothing and is told so.
    const [firstNear] = near;
    if (!firstNear) throw new Error('no locksmith');
    await harness.sms(firstNear, 'NO 0000', { kind: 'NO', jobCode: '0000' });
    await waitForRejection(firstNear, 'wrong_job_code', job);
    expect((await harness.job(job.id)).offers.map((o) => o.status)).toEqual(['PENDING', 'PENDING']);

    for (const locksmith of near)
      await harness.sms(locksmith, `NO ${job.code}`, { kind: 'NO', jobCode: job.code });

    const second = await harness.jobWhen(
      job.id,
      (j) => j.wave === 2 && j.state === 'OFFERED',
      'the second wave',
    );
    expect(offersOfWave(second, 1).map((o) => o.status)).toEqual(['DECLINED', 'DECLINED']);
    expect(offersOfWave(second, 1).every((o) => o.responseSeconds !== null)).toBe(true);
    expect(offersOfWave(second, 2).map((o) => o.locksmithId)).toEqual([far.id]);
    expect(second.timeline.map((t) => t.state)).toEqual([
      'CREATED',
      'DISPATCHING',
      'OFFERED',
      'DISPATCHING',
      'OFFERED',
    ]);
  });

  it('widens at once when the first wave finds nobody, and counts that empty wave', async () => {
    const area = await harness.newArea();
    const far = await harness.locksmith(east(area, 8));
    const job = await harness.book(area);

    const offered = await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'a wider wave');
    expect(offered.wave).toBe(2);
    expect(offersOfWave(offered, 1)).toEqual([]);
    expect(offersOfWave(offered, 2).map((o) => o.locksmithId)).toEqual([far.id]);
    expect(offered.timeline.map((t) => t.state)).toEqual(['CREATED', 'DISPATCHING', 'OFFERED']);
    expect(offered.timeline.at(-1)?.cause).toMatch(/^wave 2: offered to 1 locksmith within \d+ km$/);
  });

  it('fails the job when the last locksmith declines and nobody is left within the widest radius', async () => {
    const area = await harness.newArea();
    const only = await harness.locksmith(east(area, 1));
    const job = await harness.book(area);
    await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');
    await harness.sms(only, 'no', { kind: 'NO' });

    const failed = await harness.jobWhen(job.id, (j) => j.state === 'FAILED', 'the job to fail');
    expect(failed.timeline.at(-1)?.cause).toBe('no locksmith accepted after 3 waves');
    // A second NO has nothing left to decline, and is told so.
    await harness.sms(only, 'no', { kind: 'NO' });
    await waitFor(
      () =>
        harness
          .events(dispatch.ReplyRejected)
          .some((e) => e.providerId === only.id && e.reason === 'no_pending_offer' && e.command === 'NO'),
      { what: 'no_pending_offer for the second NO' },
    );
    await waitFor(() => harness.events(dispatch.JobFailed).some((e) => e.jobId === job.id), {
      what: 'job.failed',
    });
  });

  it('fails a job at once when no locksmith is available within the widest radius', async () => {
    const job = await harness.book(await harness.newArea());
    const failed = await harness.jobWhen(job.id, (j) => j.state === 'FAILED', 'the job to fail');
    expect(failed.offers).toEqual([]);
    expect(failed.timeline.at(-1)?.cause).toBe('no available locksmith within 15 km');
  });

  it('gives the job to the first YES, tells the customer who is coming, and runs it to COMPLETED', async () => {
    const area = await harness.newArea();
    const [first, second, third] = [
      await harness.locksmith(east(area, 1), 'Avery Keys'),
      await harness.locksmith(east(area, 2)),
      await harness.locksmith(east(area, 3)),
    ];
    if (!first || !second || !third) throw new Error('locksmiths missing');
    const job = await harness.book(area);
    await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');

    await harness.sms(first, `YES ${job.code} 20`, { kind: 'YES', jobCode: job.code, etaMinutes: 20 });
    const assigned = await harness.jobWhen(job.id, (j) => j.state === 'ASSIGNED', 'the assignment');
    expect(assigned).toMatchObject({ locksmithId: first.id, locksmithName: 'Avery Keys', etaMinutes: 20 });
    expect(assigned.offers.find((o) => o.locksmithId === first.id)?.status).toBe('ACCEPTED');
    expect(assigned.offers.filter((o) => o.locksmithId !== first.id).map((o) => o.status)).toEqual([
      'CANCELED',
      'CANCELED',
    ]);

    const event = await waitFor(() => harness.events(dispatch.JobAssigned).find((e) => e.jobId === job.id), {
      what: 'job.assigned',
    });
    expect(event.locksmith).toEqual({ id: first.id, name: 'Avery Keys', phone: first.phone, etaMinutes: 20 });
    expect(event.customer).toEqual({ name: 'Dana Customer', phone: '+14155550100' });
    expect(event.address.formatted).toBe('1 Test Street, Springfield, IL 62701');
    expect(event.notes).toBe('Side door');

    // A late YES is told the job is taken; OMW from someone else has no job to move.
    await harness.sms(second, 'YES', { kind: 'YES' });
    await harness.sms(third, 'OMW', { kind: 'OMW' });
    await waitForRejection(second, 'job_taken', job);
    // The late YES shows on its offer: canceled, with when they answered.
    const lateOffer = (await harness.job(job.id)).offers.find((o) => o.locksmithId === second.id);
    expect(lateOffer).toMatchObject({ status: 'CANCELED', respondedAt: expect.any(String) });
    await waitFor(
      () =>
        harness
          .events(dispatch.ReplyRejected)
          .some((e) => e.providerId === third.id && e.reason === 'no_active_job'),
      { what: 'no_active_job for OMW from a stranger' },
    );

    await harness.sms(first, 'OMW', { kind: 'OMW' });
    await harness.jobWhen(job.id, (j) => j.state === 'EN_ROUTE', 'en route');
    await harness.sms(first, 'DONE', { kind: 'DONE' });
    const done = await harness.jobWhen(job.id, (j) => j.state === 'COMPLETED', 'completed');
    expect(done.timeline.map((t) => t.state)).toEqual([
      'CREATED',
      'DISPATCHING',
      'OFFERED',
      'ASSIGNED',
      'EN_ROUTE',
      'COMPLETED',
    ]);
    expect(done.timeline.find((t) => t.state === 'ASSIGNED')).toMatchObject({
      actor: first.id,
      cause: 'Avery Keys replied YES',
    });
  });

  it('rejects a YES with the wrong code or with nothing pending', async () => {
    const area = await harness.newArea();
    const offered = await harness.locksmith(east(area, 1));
    const idle = await harness.locksmith(east(area, 30));
    const job = await harness.book(area);
    await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');
    const wrong = job.code === '1234' ? '4321' : '1234';

    await harness.sms(offered, `YES ${wrong}`, { kind: 'YES', jobCode: wrong });
    await harness.sms(idle, 'YES', { kind: 'YES' });
    await waitFor(
      () =>
        harness
          .events(dispatch.ReplyRejected)
          .some(
            (e) => e.providerId === offered.id && e.reason === 'wrong_job_code' && e.jobCode === job.code,
          ),
      { what: 'wrong_job_code' },
    );
    await waitFor(
      () =>
        harness
          .events(dispatch.ReplyRejected)
          .some((e) => e.providerId === idle.id && e.reason === 'no_pending_offer'),
      { what: 'no_pending_offer' },
    );
    expect((await harness.job(job.id)).state).toBe('OFFERED');
  });

  it('counts an offer whose SMS could not be delivered as no reply and moves on', async () => {
    const area = await harness.newArea();
    await harness.locksmith(east(area, 1));
    const backup = await harness.locksmith(east(area, 7));
    const job = await harness.book(area);
    const offered = await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');
    const offer = offered.offers[0];
    if (!offer) throw new Error('no offer');

    await harness.publish(messaging.SmsStatusChanged, {
      messageSid: 'SM00000000000000000000000000000001',
      to: '+14155550999',
      status: 'undelivered',
      errorCode: '30003',
      purpose: 'offer',
      offerId: offer.id,
      jobId: job.id,
    });
    const next = await harness.jobWhen(job.id, (j) => j.wave === 2 && j.state === 'OFFERED', 'the next wave');
    expect(offersOfWave(next, 1)[0]?.status).toBe('FAILED');
    expect(offersOfWave(next, 2)[0]?.locksmithId).toBe(backup.id);
  });
});

describe('one pending offer per locksmith', () => {
  let service: RunningService<unknown>;
  beforeAll(async () => {
    service = await startDispatch({ DISPATCH_WAVE_SIZE: '1', DISPATCH_MAX_WAVES: '1' });
  });
  afterAll(async () => service?.stop());

  it('never offers one locksmith two jobs at once, even when the jobs arrive together: the others wait for them', async () => {
    const area = await harness.newArea();
    const only = await harness.locksmith(east(area, 1));
    const jobs = await Promise.all([harness.book(area), harness.book(area), harness.book(area)]);
    const waits = (j: dispatch.JobDetail) =>
      j.timeline.some((t) => /waiting for one to come free/.test(t.cause));
    const settled = await Promise.all(
      jobs.map((job) =>
        harness.jobWhen(job.id, (j) => j.state === 'OFFERED' || waits(j), 'the wave, or waiting for one'),
      ),
    );
    const offered = settled.filter((j) => j.state === 'OFFERED');
    expect(offered).toHaveLength(1);
    expect(offered[0]?.offers).toMatchObject([{ locksmithId: only.id, status: 'PENDING' }]);
    // The other two are not failed for want of a locksmith who is only busy answering: they wait.
    expect(settled.filter((j) => j.state !== 'OFFERED')).toMatchObject([
      { state: 'DISPATCHING', wave: 0, offers: [] },
      { state: 'DISPATCHING', wave: 0, offers: [] },
    ]);
    const pending = await harness.db.query<{ n: number }>(
      `select count(*)::int as n from dispatch.offer where provider_id = $1 and status = 'PENDING'`,
      [only.id],
    );
    expect(pending.rows[0]?.n).toBe(1);

    // They pass on it: its only wave is over and it fails; the locksmith goes to a job that waited.
    const first = offered[0];
    if (!first) throw new Error('no offered job');
    await harness.sms(only, `NO ${first.code}`, { kind: 'NO', jobCode: first.code });
    await harness.jobWhen(first.id, (j) => j.state === 'FAILED', 'the declined job to fail');
    const next = await waitFor(
      async () => {
        const now = await Promise.all(jobs.filter((j) => j.id !== first.id).map((j) => harness.job(j.id)));
        return now.find((j) => j.state === 'OFFERED');
      },
      { what: 'a waiting job offered to the locksmith' },
    );
    expect(next.offers).toMatchObject([{ locksmithId: only.id, status: 'PENDING', wave: 1 }]);
  });

  it('lets two waves that reach two shared locksmiths in opposite orders both finish, without a deadlock', async () => {
    // Two jobs' waves, each in its own open transaction, have offered one of two locksmiths; each now
    // reaches the locksmith the other holds. Waiting on each other's insert would deadlock; instead each
    // skips the locksmith the other is offering, and both commit.
    const area = await harness.newArea();
    const [first, second] = await Promise.all([harness.book(area), harness.book(area)]);
    if (!first || !second) throw new Error('no jobs');
    const [p1, p2] = [randomUUID(), randomUUID()];
    const offer = (jobId: string, providerId: string) => ({
      of: { kind: 'job' as const, id: jobId },
      providerId,
      providerName: 'Shared Locksmith',
      providerPhone: '+15550000000',
      wave: 1,
      distanceKm: 1,
      ttlSeconds: 120,
    });
    let release!: () => void;
    const bothHoldOne = new Promise<void>((resolve) => {
      let held = 0;
      release = () => {
        held += 1;
        if (held === 2) resolve();
      };
    });
    const wave = (jobId: string, mine: string, theirs: string) =>
      service.ctx.orm.em.fork().transactional(async (em) => {
        const own = await insertPendingOffer(em, offer(jobId, mine));
        release();
        await bothHoldOne;
        const other = await insertPendingOffer(em, offer(jobId, theirs));
        return { own: own.kind === 'offered' ? own.offer.provider_id : own.kind, other: other.kind };
      });
    const results = await Promise.all([wave(first.id, p1, p2), wave(second.id, p2, p1)]);
    expect(results).toEqual([
      { own: p1, other: 'held' },
      { own: p2, other: 'held' },
    ]);
    const pending = await harness.db.query<{ provider_id: string; job_id: string }>(
      `select provider_id, job_id from dispatch.offer where provider_id = any($1::uuid[]) and status = 'PENDING'
       order by provider_id = $2 desc`,
      [[p1, p2], p1],
    );
    expect(pending.rows).toEqual([
      { provider_id: p1, job_id: first.id },
      { provider_id: p2, job_id: second.id },
    ]);
  });
});

describe('when the registry is down', () => {
  let service: RunningService<unknown>;
  beforeAll(async () => {
    service = await startDispatch();
  });
  afterAll(async () => service?.stop());

  it('keeps the job dispatching and sends the wave once the registry answers again', async () => {
    const area = await harness.newArea();
    const locksmith = await harness.locksmith(east(area, 1));
    await registryService.stop('outage in a test');
    let job: dispatch.Job;
    try {
      job = await harness.book(area);
      const waiting = await harness.job(job.id);
      expect(waiting.state).toBe('DISPATCHING');
      expect(waiting.offers).toEqual([]);
    } finally {
      registryService = await startRegistry();
    }
    const offered = await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the wave after the outage');
    expect(offered.offers.map((o) => o.locksmithId)).toEqual([locksmith.id]);
  });
});

describe('dispatch on timers (offers live 1 second)', () => {
  const env = { DISPATCH_WAVE_SIZE: '2', DISPATCH_MAX_WAVES: '2', DISPATCH_OFFER_TTL_SECONDS: '1' };
  let service: RunningService<unknown>;
  beforeAll(async () => {
    service = await startDispatch(env);
  });
  afterAll(async () => service?.stop());

  it('expires a silent wave, sends the next one, and fails the job when the last wave expires too', async () => {
    const area = await harness.newArea();
    await harness.locksmith(east(area, 1));
    await harness.locksmith(east(area, 2));
    const far = await harness.locksmith(east(area, 8));
    const job = await harness.book(area);

    const second = await harness.jobWhen(
      job.id,
      (j) => j.wave === 2 && j.state === 'OFFERED',
      'the second wave',
    );
    expect(offersOfWave(second, 1).map((o) => o.status)).toEqual(['EXPIRED', 'EXPIRED']);
    expect(offersOfWave(second, 2).map((o) => o.locksmithId)).toEqual([far.id]);

    const failed = await harness.jobWhen(job.id, (j) => j.state === 'FAILED', 'the job to fail');
    expect(failed.offers.map((o) => o.status)).toEqual(['EXPIRED', 'EXPIRED', 'EXPIRED']);
    expect(failed.timeline.at(-1)?.cause).toBe('no locksmith accepted after 2 waves');
    await waitFor(
      () =>
        harness.events(dispatch.OfferClosed).filter((e) => e.jobId === job.id && e.status === 'EXPIRED')
          .length === 3,
      { what: 'three offer.closed EXPIRED events' },
    );
  });

  it('still expires offers and advances waves after dispatch restarts mid-wave', async () => {
    const area = await harness.newArea();
    const first = await harness.locksmith(east(area, 1));
    const second = await harness.locksmith(east(area, 7));
    const job = await harness.book(area);
    await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');

    await service.stop('restart in a test');
    // Nothing runs while it is down: the wave's due time passes with the rows still pending.
    await new Promise((r) => setTimeout(r, 1_200));
    const stored = await harness.db.query<{ status: string; overdue: boolean }>(
      'select status, expires_at < now() as overdue from dispatch.offer where job_id = $1',
      [job.id],
    );
    expect(stored.rows).toEqual([{ status: 'PENDING', overdue: true }]);
    service = await startDispatch(env);

    const advanced = await harness.jobWhen(job.id, (j) => j.wave === 2, 'the second wave after the restart');
    expect(offersOfWave(advanced, 1)).toMatchObject([{ locksmithId: first.id, status: 'EXPIRED' }]);
    expect(offersOfWave(advanced, 2)).toMatchObject([{ locksmithId: second.id }]);
  });
});

/** 20 locksmiths offered one job all reply YES at once: one assignment, 19 told it is taken. */
async function twentySimultaneousYes(): Promise<void> {
  const area = await harness.newArea();
  const locksmiths = [];
  for (let i = 0; i < 20; i++) locksmiths.push(await harness.locksmith(east(area, 0.1 * (i + 1))));
  const job = await harness.book(area);
  const offered = await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the wave of 20');
  expect(offered.offers).toHaveLength(20);

  await Promise.all(
    locksmiths.map((l) => harness.sms(l, `YES ${job.code}`, { kind: 'YES', jobCode: job.code })),
  );

  const rejectedCount = async (): Promise<number> => {
    const result = await harness.db.query<{ n: number }>(
      `select count(*)::int as n from dispatch.outbox
       where subject = $1 and payload->'data'->>'jobCode' = $2 and payload->'data'->>'reason' = 'job_taken'`,
      [dispatch.ReplyRejected.subject, job.code],
    );
    return result.rows[0]?.n ?? 0;
  };
  await waitFor(async () => (await rejectedCount()) === 19, {
    what: '19 job_taken rejections',
    timeoutMs: 30_000,
  });

  const assigned = await harness.job(job.id);
  expect(assigned.state).toBe('ASSIGNED');
  expect(assigned.offers.filter((o) => o.status === 'ACCEPTED').map((o) => o.locksmithId)).toEqual([
    assigned.locksmithId,
  ]);
  expect(assigned.offers.filter((o) => o.status === 'CANCELED')).toHaveLength(19);
  expect(assigned.timeline.filter((t) => t.state === 'ASSIGNED')).toHaveLength(1);
  expect(await harness.outboxCount(dispatch.JobAssigned.subject, job.id)).toBe(1);
  expect(await harness.outboxCount(dispatch.OfferClosed.subject, job.id)).toBe(20);
  await waitFor(() => harness.events(dispatch.OfferClosed).filter((e) => e.jobId === job.id).length === 20, {
    what: 'every offer.closed published',
  });
  expect(harness.events(dispatch.JobAssigned).filter((e) => e.jobId === job.id)).toHaveLength(1);
}

describe('first YES wins exactly once, with two dispatch replicas in this process', () => {
  let replicas: RunningService<unknown>[] = [];
  beforeAll(async () => {
    const env = { DISPATCH_WAVE_SIZE: '20', DISPATCH_MAX_WAVES: '1' };
    replicas = [await startDispatch(env), await startDispatch(env)];
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
  });

  it(
    'assigns one of 20 simultaneous YES replies and tells the other 19 the job is taken',
    twentySimultaneousYes,
  );
});

describe('first YES wins exactly once, with two dispatch processes', () => {
  let processes: ChildService[] = [];
  beforeAll(async () => {
    const env = serviceEnv({
      DISPATCH_WAVE_SIZE: '20',
      DISPATCH_MAX_WAVES: '1',
      DISPATCH_TICK_MS: '50',
      LOG_LEVEL: 'info',
    });
    processes = [
      spawnNode('services/dispatch/src/main.ts', env),
      spawnNode('services/dispatch/src/main.ts', env),
    ];
    await Promise.all(processes.map((p) => p.waitForOutput(/dispatch is up/)));
  });
  afterAll(async () => {
    for (const p of processes) p.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.exited));
  });

  it(
    'assigns one of 20 simultaneous YES replies and tells the other 19 the job is taken',
    twentySimultaneousYes,
  );
});

describe('operator control', () => {
  let service: RunningService<unknown>;
  beforeAll(async () => {
    service = await startDispatch({ DISPATCH_WAVE_SIZE: '1', DISPATCH_MAX_WAVES: '3' });
  });
  afterAll(async () => service?.stop());

  const control = (id: string, action: dispatch.DispatchAction) =>
    harness.call(dispatch.JobControl, { id, action, actor: 'ops@example.com' });

  it('pauses new waves while offers out still count, and resumes them', async () => {
    const area = await harness.newArea();
    const first = await harness.locksmith(east(area, 1));
    const second = await harness.locksmith(east(area, 2));
    const job = await harness.book(area);
    await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');

    const paused = await control(job.id, 'pause');
    expect(paused.paused).toBe(true);
    await harness.sms(first, 'NO', { kind: 'NO' });
    const waiting = await harness.jobWhen(job.id, (j) => j.state === 'DISPATCHING', 'the wave to end');
    expect(waiting.offers).toHaveLength(1);

    await control(job.id, 'resume');
    const resumed = await harness.jobWhen(
      job.id,
      (j) => j.state === 'OFFERED' && j.wave === 2,
      'the next wave',
    );
    expect(offersOfWave(resumed, 2).map((o) => o.locksmithId)).toEqual([second.id]);
    expect(resumed.timeline.map((t) => t.cause)).toEqual(
      expect.arrayContaining(['dispatch paused', 'dispatch resumed']),
    );
    expect(resumed.timeline.find((t) => t.cause === 'dispatch paused')?.actor).toBe('ops@example.com');
  });

  it('cancels a job, closes its offers, and refuses to cancel it twice', async () => {
    const area = await harness.newArea();
    await harness.locksmith(east(area, 1));
    const job = await harness.book(area);
    await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');

    const canceled = await control(job.id, 'cancel');
    expect(canceled.state).toBe('CANCELED');
    expect(canceled.offers.map((o) => o.status)).toEqual(['CANCELED']);
    await expect(control(job.id, 'cancel')).rejects.toMatchObject({
      status: 409,
      code: 'INVALID_TRANSITION',
      message: 'The job is already CANCELED and cannot change any more.',
    });
    await expect(control(job.id, 'start')).rejects.toMatchObject({ status: 409, code: 'INVALID_TRANSITION' });
  });

  it('assigns a named locksmith by hand, and re-dispatches without them when they drop out', async () => {
    const area = await harness.newArea();
    const offered = await harness.locksmith(east(area, 1));
    const chosen = await harness.locksmith(east(area, 2), 'Chosen One');
    const backup = await harness.locksmith(east(area, 3));
    const job = await harness.book(area);
    await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');

    const assigned = await harness.call(dispatch.JobAssign, {
      id: job.id,
      locksmithId: chosen.id,
      actor: 'ops@example.com',
    });
    expect(assigned).toMatchObject({
      state: 'ASSIGNED',
      locksmithId: chosen.id,
      locksmithName: 'Chosen One',
    });
    expect(assigned.offers).toMatchObject([{ locksmithId: offered.id, status: 'CANCELED' }]);
    await expect(
      harness.call(dispatch.JobAssign, { id: job.id, locksmithId: backup.id, actor: 'ops@example.com' }),
    ).rejects.toMatchObject({ status: 409 });

    await control(job.id, 'redispatch');
    const again = await harness.jobWhen(job.id, (j) => j.state === 'OFFERED' && j.wave === 2, 'a new wave');
    expect(again.locksmithId).toBeNull();
    expect(offersOfWave(again, 2).map((o) => o.locksmithId)).toEqual([backup.id]);
    expect(again.offers.some((o) => o.locksmithId === chosen.id)).toBe(false);
  });

  it('assigns a paused job with no offers out by hand, through OFFERED, and publishes the assignment', async () => {
    const area = await harness.newArea();
    const first = await harness.locksmith(east(area, 1));
    const chosen = await harness.locksmith(east(area, 2), 'Night Shift');
    const job = await harness.book(area);
    await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');
    await control(job.id, 'pause');
    await harness.sms(first, 'NO', { kind: 'NO' });
    await harness.jobWhen(job.id, (j) => j.state === 'DISPATCHING', 'the wave to end, paused');

    const assigned = await harness.call(dispatch.JobAssign, {
      id: job.id,
      locksmithId: chosen.id,
      actor: 'ops@example.com',
    });
    expect(assigned).toMatchObject({ state: 'ASSIGNED', locksmithId: chosen.id, paused: false });
    expect(assigned.timeline.slice(-2)).toMatchObject([
      { state: 'OFFERED', cause: 'offered to Night Shift by an operator', actor: 'ops@example.com' },
      { state: 'ASSIGNED', cause: 'assigned to Night Shift by an operator', actor: 'ops@example.com' },
    ]);
    // The assignment goes out like any other: payments captures, messaging texts both parties.
    await waitFor(() => harness.outboxCount(dispatch.JobAssigned.subject, job.id).then((n) => n === 1), {
      what: 'job.assigned published',
    });
  });

  it('refuses to assign a locksmith who is already on another job', async () => {
    const area = await harness.newArea();
    const busy = await harness.locksmith(east(area, 1));
    const first = await harness.book(area);
    await harness.jobWhen(first.id, (j) => j.state === 'OFFERED', 'the first job offered');
    await harness.sms(busy, 'YES', { kind: 'YES' });
    await harness.jobWhen(first.id, (j) => j.state === 'ASSIGNED', 'the first job assigned');

    await harness.locksmith(east(area, 2));
    const second = await harness.book(area);
    await harness.jobWhen(second.id, (j) => j.state === 'OFFERED', 'the second job offered');
    await expect(
      harness.call(dispatch.JobAssign, { id: second.id, locksmithId: busy.id, actor: 'ops@example.com' }),
    ).rejects.toMatchObject({ status: 409, code: 'LOCKSMITH_BUSY' });
  });

  it('withdraws the offer a hand-assigned locksmith held for another job, and that job moves on', async () => {
    const area = await harness.newArea();
    const wanted = await harness.locksmith(east(area, 1));
    const backup = await harness.locksmith(east(area, 8));
    const elsewhere = await harness.book(area);
    await harness.jobWhen(elsewhere.id, (j) => j.state === 'OFFERED', 'the job holding their offer');
    // Another job 30 km away, offered to someone local, that an operator gives to `wanted` by hand.
    const away = east(area, 30);
    await harness.locksmith(away);
    const mine = await harness.book(away);
    await harness.jobWhen(mine.id, (j) => j.state === 'OFFERED', 'the job to assign by hand');

    await harness.call(dispatch.JobAssign, { id: mine.id, locksmithId: wanted.id, actor: 'ops@example.com' });
    const moved = await harness.jobWhen(
      elsewhere.id,
      (j) => j.wave === 2 && j.state === 'OFFERED',
      'the other job’s next wave',
    );
    expect(offersOfWave(moved, 1)).toMatchObject([{ locksmithId: wanted.id, status: 'CANCELED' }]);
    expect(offersOfWave(moved, 2)).toMatchObject([{ locksmithId: backup.id, status: 'PENDING' }]);
  });

  it('refuses to assign a locksmith who is not active', async () => {
    const area = await harness.newArea();
    await harness.locksmith(east(area, 1));
    const resting = await harness.locksmith(east(area, 50));
    await harness.call(registryContract.ProviderUpdate, { id: resting.id, status: 'paused', actor: 'test' });
    const job = await harness.book(area);
    await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');
    await expect(
      harness.call(dispatch.JobAssign, { id: job.id, locksmithId: resting.id, actor: 'ops@example.com' }),
    ).rejects.toMatchObject({ status: 409, code: 'LOCKSMITH_NOT_ACTIVE' });
  });

  it('lists jobs by state and text with a keyset cursor in either order', async () => {
    const area = await harness.newArea();
    const jobs = [await harness.book(area), await harness.book(area), await harness.book(area)];
    await Promise.all(
      jobs.map((j) => harness.jobWhen(j.id, (x) => x.state === 'FAILED', 'no locksmith here')),
    );
    const ids = jobs.map((j) => j.id);

    const collect = async (sort: 'createdAt:asc' | 'createdAt:desc'): Promise<string[]> => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await harness.call(dispatch.JobList, {
          state: ['FAILED'],
          sort,
          limit: 2,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...page.items.map((j) => j.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return seen.filter((id) => ids.includes(id));
    };
    expect(await collect('createdAt:asc')).toEqual(ids);
    expect(await collect('createdAt:desc')).toEqual([...ids].reverse());

    const byCode = await harness.call(dispatch.JobList, { q: jobs[0]?.code ?? '', limit: 200 });
    expect(byCode.items.map((j) => j.id)).toContain(jobs[0]?.id);
    const none = await harness.call(dispatch.JobList, { q: 'nobody-has-this-name', limit: 10 });
    expect(none.items).toEqual([]);
    await expect(harness.call(dispatch.JobList, { cursor: 'not-a-cursor' })).rejects.toMatchObject({
      status: 400,
      code: 'INVALID_CURSOR',
    });
  });
});
