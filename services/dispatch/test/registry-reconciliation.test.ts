import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { dispatch, registry as registryContract } from '@trades/contracts';
import { claimWhenDue, reconcileWithDispatch, type FlagRepair } from '@trades/locksmith-registry';
import { createLogger, startService, type RunningService } from '@trades/runtime';
import { migrateService, resetJetStream, serviceEnv, waitFor } from '@trades/testkit';
import { dispatchService } from '../src/app.ts';
import { east, Harness, startDispatch, testRegistry, type Locksmith, type Point } from './support.ts';

// Real services and databases on a slow, shared machine.
jest.setTimeout(60_000);

let harness: Harness;
let registry: RunningService<unknown>;
let dispatcher: RunningService<unknown>;

beforeAll(async () => {
  await resetJetStream();
  await migrateService(testRegistry);
  await migrateService(dispatchService);
  // Reconciliation runs only when a test says so (the timer's own test starts replicas that run it).
  registry = await startService(testRegistry, serviceEnv({ REGISTRY_RECONCILE_EVERY_SECONDS: '0' }));
  dispatcher = await startDispatch({ DISPATCH_WAVE_SIZE: '1', DISPATCH_MAX_WAVES: '1' });
  harness = await Harness.open();
});

afterAll(async () => {
  await harness?.close();
  await dispatcher?.stop();
  await registry?.stop();
});

interface Flags {
  busy: string | null;
  pending: string | null;
}

async function flags(locksmith: Locksmith): Promise<Flags> {
  const { rows } = await harness.db.query<{ busy_job_id: string | null; pending_offer_id: string | null }>(
    'select busy_job_id, pending_offer_id from registry.provider where id = $1',
    [locksmith.id],
  );
  return { busy: rows[0]?.busy_job_id ?? null, pending: rows[0]?.pending_offer_id ?? null };
}

const flagsBecome = (locksmith: Locksmith, expected: Flags, what: string) =>
  waitFor(
    async () => {
      const now = await flags(locksmith);
      return now.busy === expected.busy && now.pending === expected.pending;
    },
    { what },
  );

/** A job with one locksmith nearby, offered to them (waves of one). */
async function offeredJob(): Promise<{ area: Point; locksmith: Locksmith; job: dispatch.JobDetail }> {
  const area = await harness.newArea();
  const locksmith = await harness.locksmith(east(area, 1));
  const booked = await harness.book(area);
  const job = await harness.jobWhen(booked.id, (j) => j.state === 'OFFERED', 'the offer');
  const offer = job.offers[0];
  if (!offer) throw new Error('no offer');
  await flagsBecome(locksmith, { busy: null, pending: offer.id }, 'the registry to see the offer');
  return { area, locksmith, job };
}

/** A job its locksmith said YES to, as the registry sees it too. */
async function assignedJob(): Promise<{ locksmith: Locksmith; job: dispatch.JobDetail }> {
  const { locksmith, job: offered } = await offeredJob();
  await harness.sms(locksmith, `YES ${offered.code}`, { kind: 'YES', jobCode: offered.code });
  const job = await harness.jobWhen(offered.id, (j) => j.state === 'ASSIGNED', 'the assignment');
  await flagsBecome(locksmith, { busy: job.id, pending: null }, 'the registry to see the assignment');
  return { locksmith, job };
}

/** Runs one reconciliation in this process with a logger whose lines the test reads. */
async function reconcile(graceMs: number) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('registry', 'info', {
    write: (line: string) => {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null) lines.push({ ...parsed });
    },
  });
  const repairs = await reconcileWithDispatch(registry.ctx, { graceMs, log });
  return { repairs, lines };
}

const about = (repairs: FlagRepair[], locksmith: Locksmith) =>
  repairs.filter((r) => r.providerId === locksmith.id).map((r) => ({ flag: r.flag, from: r.from, to: r.to }));

describe('svc.dispatch.providers.engaged', () => {
  it('names the engaged locksmiths a page at a time, and says where named jobs and offers stand', async () => {
    const pending = await offeredJob();
    const busy = await assignedJob();
    const offerId = pending.job.offers[0]?.id ?? '';

    const seen: string[] = [];
    const jobs: dispatch.JobEngagement[] = [];
    const offers: dispatch.OfferEngagement[] = [];
    let after: string | null = null;
    do {
      const page: dispatch.ProvidersEngagedReply = await harness.call(dispatch.ProvidersEngaged, {
        engaged: { after, limit: 1 },
      });
      const ids = [
        ...new Set([...page.jobs.map((j) => j.locksmithId), ...page.offers.map((o) => o.providerId)]),
      ];
      // One provider a page; the page after a full last one is empty.
      expect(ids.length === 1 || (ids.length === 0 && page.next === null)).toBe(true);
      seen.push(...ids.filter((id): id is string => id !== null));
      jobs.push(...page.jobs);
      offers.push(...page.offers);
      after = page.next;
    } while (after !== null);
    expect([...seen].sort()).toEqual(seen);
    expect(new Set(seen).size).toBe(seen.length);
    expect(jobs).toContainEqual({
      jobId: busy.job.id,
      state: 'ASSIGNED',
      locksmithId: busy.locksmith.id,
      at: expect.any(String),
    });
    expect(offers).toContainEqual(
      expect.objectContaining({
        offerId,
        providerId: pending.locksmith.id,
        status: 'PENDING',
        closedAt: null,
      }),
    );

    const named = await harness.call(dispatch.ProvidersEngaged, {
      jobIds: [pending.job.id, busy.job.id, randomUUID()],
      offerIds: [offerId, busy.job.offers[0]?.id ?? ''],
    });
    expect(named.jobs.map((j) => [j.jobId, j.state]).sort()).toEqual(
      [
        [pending.job.id, 'OFFERED'],
        [busy.job.id, 'ASSIGNED'],
      ].sort(),
    );
    expect(named.offers.map((o) => o.status).sort()).toEqual(['ACCEPTED', 'PENDING']);
    expect(named.next).toBeNull();
    expect(new Date(named.asOf).getTime()).toBeGreaterThanOrEqual(
      new Date(named.jobs[0]?.at ?? named.asOf).getTime(),
    );
  });
});

describe("the registry's reconciliation with dispatch", () => {
  it('repairs flags left set or never set by lost events, and logs each repair', async () => {
    // Busy for ever: the job completed, but the registry kept what an "assigned" redelivered after
    // "completed" left before versioned projections.
    const done = await assignedJob();
    await harness.sms(done.locksmith, 'OMW', { kind: 'OMW' });
    await harness.jobWhen(done.job.id, (j) => j.state === 'EN_ROUTE', 'en route');
    await harness.sms(done.locksmith, 'DONE', { kind: 'DONE' });
    await harness.jobWhen(done.job.id, (j) => j.state === 'COMPLETED', 'completed');
    await flagsBecome(done.locksmith, { busy: null, pending: null }, 'the registry to free the locksmith');
    const assignedAt = done.job.timeline.find((t) => t.state === 'ASSIGNED')?.at;
    await harness.db.query(
      `update registry.job_projection set state = 'ASSIGNED', provider_id = $2, at = $3, rank = 3 where job_id = $1`,
      [done.job.id, done.locksmith.id, assignedAt],
    );
    await harness.db.query('update registry.provider set busy_job_id = $2 where id = $1', [
      done.locksmith.id,
      done.job.id,
    ]);

    // Never busy: "assigned" dead-lettered.
    const onJob = await assignedJob();
    await harness.db.query('delete from registry.job_projection where job_id = $1', [onJob.job.id]);
    await harness.db.query('update registry.provider set busy_job_id = null where id = $1', [
      onJob.locksmith.id,
    ]);

    // Pending for ever: the NO was lost. The job fails (one wave of one), the offer stays DECLINED.
    const declined = await offeredJob();
    const declinedOffer = declined.job.offers[0]?.id ?? '';
    await harness.sms(declined.locksmith, 'NO', { kind: 'NO' });
    await harness.jobWhen(declined.job.id, (j) => j.state === 'FAILED', 'the job to fail');
    await flagsBecome(declined.locksmith, { busy: null, pending: null }, 'the registry to see the NO');
    await harness.db.query(
      `update registry.provider_offer set status = 'PENDING', response_seconds = null, closed_at = null where offer_id = $1`,
      [declinedOffer],
    );
    await harness.db.query('update registry.provider set pending_offer_id = $2 where id = $1', [
      declined.locksmith.id,
      declinedOffer,
    ]);

    // Never pending: "offer sent" lost.
    const waiting = await offeredJob();
    const waitingOffer = waiting.job.offers[0]?.id ?? '';
    await harness.db.query('delete from registry.provider_offer where offer_id = $1', [waitingOffer]);
    await harness.db.query('update registry.provider set pending_offer_id = null where id = $1', [
      waiting.locksmith.id,
    ]);

    const { repairs, lines } = await reconcile(0);

    expect(await flags(done.locksmith)).toEqual({ busy: null, pending: null });
    expect(await flags(onJob.locksmith)).toEqual({ busy: onJob.job.id, pending: null });
    expect(await flags(declined.locksmith)).toEqual({ busy: null, pending: null });
    expect(await flags(waiting.locksmith)).toEqual({ busy: null, pending: waitingOffer });
    expect(about(repairs, done.locksmith)).toEqual([{ flag: 'busy', from: done.job.id, to: null }]);
    expect(about(repairs, onJob.locksmith)).toEqual([{ flag: 'busy', from: null, to: onJob.job.id }]);
    expect(about(repairs, declined.locksmith)).toEqual([
      { flag: 'pendingOffer', from: declinedOffer, to: null },
    ]);
    expect(about(repairs, waiting.locksmith)).toEqual([
      { flag: 'pendingOffer', from: null, to: waitingOffer },
    ]);
    for (const locksmith of [done.locksmith, onJob.locksmith, declined.locksmith, waiting.locksmith]) {
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          msg: 'registry flag repaired from dispatch',
          providerId: locksmith.id,
          cause: expect.any(String),
        }),
      );
    }
    const doneLine = lines.find((l) => l['providerId'] === done.locksmith.id);
    expect(doneLine?.['cause']).toContain('COMPLETED');
    // The lost NO is on the record again, so the acceptance rate counts it.
    const provider = await harness.call(registryContract.ProviderGet, { id: declined.locksmith.id });
    expect(provider.stats).toMatchObject({ offers: 1, declined: 1 });

    // Nothing left to repair for these locksmiths.
    const again = await reconcile(0);
    for (const locksmith of [done.locksmith, onJob.locksmith, declined.locksmith, waiting.locksmith])
      expect(about(again.repairs, locksmith)).toEqual([]);
  });

  it('leaves alone changes younger than its grace period, and changes newer than what dispatch read', async () => {
    // The event may still be on its way: not drift yet.
    const recent = await assignedJob();
    await harness.db.query('delete from registry.job_projection where job_id = $1', [recent.job.id]);
    await harness.db.query('update registry.provider set busy_job_id = null where id = $1', [
      recent.locksmith.id,
    ]);
    const patient = await reconcile(3_600_000);
    expect(about(patient.repairs, recent.locksmith)).toEqual([]);
    expect(await flags(recent.locksmith)).toEqual({ busy: null, pending: null });

    // The registry has handled a change dispatch made after its read (a re-dispatch, say): it stands.
    const moved = await assignedJob();
    await harness.db.query(
      `update registry.job_projection set state = 'DISPATCHING', provider_id = null, at = now() + interval '1 day', rank = 1
       where job_id = $1`,
      [moved.job.id],
    );
    await harness.db.query('update registry.provider set busy_job_id = null where id = $1', [
      moved.locksmith.id,
    ]);

    const eager = await reconcile(0);
    expect(about(eager.repairs, moved.locksmith)).toEqual([]);
    expect(await flags(moved.locksmith)).toEqual({ busy: null, pending: null });
    expect(about(eager.repairs, recent.locksmith)).toEqual([{ flag: 'busy', from: null, to: recent.job.id }]);
  });

  it('runs on every replica’s timer, one replica a period, and counts its repairs', async () => {
    const task = `test-${randomUUID()}`;
    const claims = await Promise.all(
      Array.from({ length: 4 }, () => claimWhenDue(registry.ctx.orm.em.fork(), task, 60)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await claimWhenDue(registry.ctx.orm.em.fork(), task, 60)).toBe(false);
    // Shortened since the last claim: the new period is not held back by the old one.
    expect(await claimWhenDue(registry.ctx.orm.em.fork(), task, 1)).toBe(true);
    expect(await claimWhenDue(registry.ctx.orm.em.fork(), task, 1)).toBe(false);

    const drifted = await assignedJob();
    await harness.db.query('delete from registry.job_projection where job_id = $1', [drifted.job.id]);
    await harness.db.query('update registry.provider set busy_job_id = null where id = $1', [
      drifted.locksmith.id,
    ]);
    const env = serviceEnv({ REGISTRY_RECONCILE_EVERY_SECONDS: '1', REGISTRY_RECONCILE_GRACE_SECONDS: '0' });
    const replicas = [await startService(testRegistry, env), await startService(testRegistry, env)];
    try {
      await flagsBecome(
        drifted.locksmith,
        { busy: drifted.job.id, pending: null },
        'a replica to repair the flag',
      );
      const counted = await waitFor(
        async () => {
          let total = 0;
          for (const replica of replicas) {
            const metric = await replica.ctx.metrics.registry
              .getSingleMetric('registry_flag_repairs_total')
              ?.get();
            total += (metric?.values ?? [])
              .filter((v) => v.labels['flag'] === 'busy')
              .reduce((sum, v) => sum + v.value, 0);
          }
          return total > 0 ? total : undefined;
        },
        { what: 'the repair counted' },
      );
      expect(counted).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
  });
});
