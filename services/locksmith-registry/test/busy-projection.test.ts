import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CONSUMERS, dispatch, type EventContract, type EventData } from '@trades/contracts';
import { encodeJson, pgArray, startService, type RunningService } from '@trades/runtime';
import { consumerSettled, migrateService, resetJetStream, serviceEnv, waitFor } from '@trades/testkit';
import { createRegistryService } from '../src/app.ts';
import { dispatchConsumer } from '../src/handlers/consumers.ts';

// The permutation tests feed over a thousand events; the machine may be slow and shared.
jest.setTimeout(180_000);

const definition = createRegistryService();
// No reconciliation here: dispatch is not running, and these tests are about the events alone.
const env = () => serviceEnv({ REGISTRY_RECONCILE_EVERY_SECONDS: '0' });
let service: RunningService<unknown>;
const providerIds: string[] = [];
const runTag = randomBytes(2).readUInt16BE(0) % 1000;
let phoneCounter = 0;

beforeAll(async () => {
  await resetJetStream();
  await migrateService(definition);
  service = await startService(definition, env());
});

afterAll(async () => {
  if (providerIds.length > 0)
    await service?.ctx.orm.em
      .fork()
      .execute('delete from registry.provider where id = any(?::uuid[])', [pgArray(providerIds)]);
  await service?.stop();
});

const sql = <T extends object>(query: string, params: unknown[] = []): Promise<T[]> =>
  service.ctx.orm.em.fork().execute<T[]>(query, params);

/** Locksmiths written straight into the table, in the South Pacific, where no other suite searches. */
async function providers(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  const phones = ids.map(() => {
    phoneCounter += 1;
    return `+1888${String(runTag).padStart(3, '0')}${String(phoneCounter).padStart(5, '0')}`;
  });
  await sql(
    `insert into registry.provider (id, name, phone, services, lat, lng)
     select id, 'Projection ' || phone, phone, '{home_lockout}', -48, -150
     from unnest(?::uuid[], ?::text[]) as t(id, phone)`,
    [pgArray(ids), pgArray(phones)],
  );
  providerIds.push(...ids);
  return ids;
}

interface Flags {
  busy: string | null;
  pending: string | null;
}

async function flagsOf(ids: string[]): Promise<Map<string, Flags>> {
  const rows = await sql<{ id: string; busy_job_id: string | null; pending_offer_id: string | null }>(
    'select id, busy_job_id, pending_offer_id from registry.provider where id = any(?::uuid[])',
    [pgArray(ids)],
  );
  return new Map(rows.map((r) => [r.id, { busy: r.busy_job_id, pending: r.pending_offer_id }]));
}

const binding = dispatchConsumer();

/** Hands one event to the registry's dispatch consumer, as the runtime would (a subject it does not handle is skipped). */
async function feed<E extends EventContract>(contract: E, data: EventData<E>): Promise<void> {
  const handler = binding.handlers.find((h) => h.contract.subject === contract.subject);
  if (!handler) return;
  await service.ctx.transaction((em) =>
    handler.handle(data, {
      em,
      event: {
        id: randomUUID(),
        subject: contract.subject,
        occurredAt: new Date().toISOString(),
        deliveryCount: 1,
      },
      log: service.ctx.log,
    }),
  );
}

async function publish<E extends EventContract>(contract: E, data: EventData<E>, id = randomUUID()) {
  await service.ctx.js.publish(
    contract.subject,
    encodeJson({ id, occurredAt: new Date().toISOString(), data }),
    { msgID: id },
  );
  return id;
}

async function handled(ids: string[]): Promise<boolean> {
  const [row] = await sql<{ n: number }>(
    'select count(*)::int as n from registry.inbox where consumer = ? and event_id = any(?::uuid[])',
    [CONSUMERS.registryDispatch.durable, pgArray(ids)],
  );
  return row?.n === ids.length;
}

function jobEvent(
  jobId: string,
  state: dispatch.JobState,
  locksmithId: string | null,
  at: Date,
): dispatch.JobStateChangedData {
  return {
    jobId,
    jobCode: '4242',
    bookingId: `bk_${jobId}`,
    state,
    previousState: null,
    cause: 'test',
    actor: 'system',
    at: at.toISOString(),
    serviceCode: 'home_lockout',
    serviceName: 'Home lockout',
    customer: { name: 'Ana', phone: '+14155550100' },
    address: { formatted: '1 Test St', lat: -48, lng: -150, zip: '00000' },
    notes: null,
    locksmith: locksmithId ? { id: locksmithId, name: 'x', phone: '+14155550199', etaMinutes: null } : null,
  };
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** Runs `work` over `items`, `width` at a time. */
async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

interface Step {
  state: dispatch.JobState;
  /** Which of the job's two locksmiths the event names (0 or 1), or none. */
  who: 0 | 1 | null;
}

/**
 * One job's life: assigned to the first locksmith, on the way, re-dispatched (the event carries no
 * locksmith), assigned to the second, and then ended. Each event's `at` is its place in that life.
 */
const life = (end: 'COMPLETED' | 'CANCELED'): Step[] => [
  { state: 'ASSIGNED', who: 0 },
  { state: 'EN_ROUTE', who: 0 },
  { state: 'DISPATCHING', who: null },
  { state: 'ASSIGNED', who: 1 },
  { state: end, who: 1 },
];

/** What the flags must say once these steps (by index in the life) have been handled, in any order. */
function expectedBusy(steps: Step[], delivered: number[], jobId: string, who: [string, string]) {
  const newest = Math.max(...delivered);
  const step = steps[newest];
  const busyWho = step && (step.state === 'ASSIGNED' || step.state === 'EN_ROUTE') ? step.who : null;
  return who.map((id, i) => ({ id, busy: busyWho === i ? jobId : null }));
}

describe('the busy flag, whatever order a job’s events arrive in', () => {
  for (const end of ['COMPLETED', 'CANCELED'] as const) {
    it(`ends right, and is right after every event, in all 120 orders of a job re-dispatched and ${end.toLowerCase()}`, async () => {
      const steps = life(end);
      const orders = permutations(steps.map((_, i) => i));
      const locksmiths = await providers(orders.length * 2);
      const base = Date.now();
      const wrong: string[] = [];
      await inBatches(
        orders.map((order, n) => ({ order, n })),
        6,
        async ({ order, n }) => {
          const jobId = randomUUID();
          const who: [string, string] = [locksmiths[2 * n] ?? '', locksmiths[2 * n + 1] ?? ''];
          const delivered: number[] = [];
          for (const index of order) {
            const step = steps[index];
            if (!step) continue;
            const at = new Date(base + (index + 1) * 1000);
            const locksmith = step.who === null ? null : who[step.who];
            await feed(dispatch.JOB_EVENT_BY_STATE[step.state], jobEvent(jobId, step.state, locksmith, at));
            delivered.push(index);
            const flags = await flagsOf(who);
            for (const expected of expectedBusy(steps, delivered, jobId, who)) {
              const actual = flags.get(expected.id)?.busy ?? null;
              if (actual !== expected.busy) {
                wrong.push(
                  `order ${order.join(',')} after ${delivered.join(',')}: locksmith ${who.indexOf(expected.id)} ` +
                    `busy ${actual === null ? 'no' : 'yes'}, expected ${expected.busy === null ? 'no' : 'yes'}`,
                );
              }
            }
          }
        },
      );
      expect(wrong).toEqual([]);
    });
  }

  it('keeps a locksmith searchable when "job assigned" fails once and "job canceled" is handled before its redelivery', async () => {
    const [locksmith = ''] = await providers(1);
    const jobId = randomUUID();
    const assignedId = randomUUID();
    const tag = `t${randomBytes(4).toString('hex')}`;
    // The first delivery of "job assigned" fails (as on a dropped connection); its redelivery succeeds.
    await sql(`create sequence registry.${tag}_tries`);
    await sql(`create function registry.${tag}_fail_once() returns trigger language plpgsql as $$
      begin
        if nextval('registry.${tag}_tries') = 1 then raise exception 'injected: first delivery of job assigned fails'; end if;
        return new;
      end $$`);
    await sql(`create trigger ${tag}_fail_once before insert on registry.inbox for each row
      when (new.event_id = '${assignedId}'::uuid) execute function registry.${tag}_fail_once()`);
    try {
      const assignedAt = new Date();
      await publish(dispatch.JobAssigned, jobEvent(jobId, 'ASSIGNED', locksmith, assignedAt), assignedId);
      const canceledId = await publish(
        dispatch.JobCanceled,
        jobEvent(jobId, 'CANCELED', locksmith, new Date(assignedAt.getTime() + 5)),
      );
      await waitFor(() => handled([assignedId, canceledId]), {
        what: 'both events handled',
        timeoutMs: 60_000,
      });
      const [tries] = await sql<{ n: string }>(`select last_value::text as n from registry.${tag}_tries`);
      expect(Number(tries?.n)).toBeGreaterThanOrEqual(2);
      expect((await flagsOf([locksmith])).get(locksmith)).toEqual({ busy: null, pending: null });
    } finally {
      await sql(`drop trigger ${tag}_fail_once on registry.inbox`);
      await sql(`drop function registry.${tag}_fail_once()`);
      await sql(`drop sequence registry.${tag}_tries`);
    }
  });

  it('ends right when the events come through the stream in reverse, to two replicas at once', async () => {
    const second = await startService(definition, env());
    try {
      const jobs = Array.from({ length: 12 }, () => randomUUID());
      const locksmiths = await providers(jobs.length * 2);
      const steps = life('COMPLETED').slice(0, 4); // still with the second locksmith
      const base = Date.now();
      for (const [n, jobId] of jobs.entries()) {
        const who = [locksmiths[2 * n] ?? '', locksmiths[2 * n + 1] ?? ''];
        const order = n % 2 === 0 ? [3, 2, 1, 0] : [1, 3, 0, 2];
        for (const index of order) {
          const step = steps[index];
          if (!step) continue;
          const locksmith = step.who === null ? null : (who[step.who] ?? null);
          await publish(
            dispatch.JOB_EVENT_BY_STATE[step.state],
            jobEvent(jobId, step.state, locksmith, new Date(base + (index + 1) * 1000)),
          );
        }
      }
      await waitFor(() => consumerSettled(service.ctx.nc, CONSUMERS.registryDispatch), {
        what: 'every event handled',
        timeoutMs: 60_000,
      });
      const flags = await flagsOf(locksmiths);
      jobs.forEach((jobId, n) => {
        expect(flags.get(locksmiths[2 * n] ?? '')?.busy).toBeNull();
        expect(flags.get(locksmiths[2 * n + 1] ?? '')?.busy).toBe(jobId);
      });
    } finally {
      await second.stop();
    }
  });
});

describe('the pending-offer flag, whatever order offer events arrive in', () => {
  type OfferStep = { offer: 'A' | 'B'; kind: 'sent' | 'closed' };
  const cases: { name: string; steps: OfferStep[] }[] = [
    {
      name: 'offer A sent and declined, then offer B sent',
      steps: [
        { offer: 'A', kind: 'sent' },
        { offer: 'A', kind: 'closed' },
        { offer: 'B', kind: 'sent' },
      ],
    },
    {
      name: 'offer A sent and declined, then offer B sent and expired',
      steps: [
        { offer: 'A', kind: 'sent' },
        { offer: 'A', kind: 'closed' },
        { offer: 'B', kind: 'sent' },
        { offer: 'B', kind: 'closed' },
      ],
    },
  ];
  for (const { name, steps } of cases) {
    it(`is right after every event in every order of ${name}`, async () => {
      const orders = permutations(steps);
      const locksmiths = await providers(orders.length);
      const wrong: string[] = [];
      await inBatches(
        orders.map((order, n) => ({ order, n })),
        6,
        async ({ order, n }) => {
          const providerId = locksmiths[n] ?? '';
          const offers = {
            A: { id: randomUUID(), job: randomUUID() },
            B: { id: randomUUID(), job: randomUUID() },
          };
          const delivered: OfferStep[] = [];
          for (const step of order) {
            const offer = offers[step.offer];
            if (step.kind === 'sent') {
              await feed(dispatch.OfferSent, {
                offerId: offer.id,
                jobId: offer.job,
                jobCode: '4242',
                providerId,
                providerPhone: '+14155550199',
                wave: 1,
                serviceName: 'Home lockout',
                area: 'Test',
                distanceKm: 1,
                expiresAt: new Date(Date.now() + 120_000).toISOString(),
              });
            } else {
              await feed(dispatch.OfferClosed, {
                offerId: offer.id,
                jobId: offer.job,
                jobCode: '4242',
                providerId,
                providerPhone: '+14155550199',
                status: step.offer === 'A' ? 'DECLINED' : 'EXPIRED',
                reason: 'test',
                responseSeconds: step.offer === 'A' ? 12 : null,
              });
            }
            delivered.push(step);
            const open = (['A', 'B'] as const)
              .filter(
                (o) =>
                  delivered.some((d) => d.offer === o && d.kind === 'sent') &&
                  !delivered.some((d) => d.offer === o && d.kind === 'closed'),
              )
              .map((o): string => offers[o].id);
            const pending = (await flagsOf([providerId])).get(providerId)?.pending ?? null;
            const right = open.length === 0 ? pending === null : pending !== null && open.includes(pending);
            if (!right) {
              const label = (s: OfferStep) => `${s.offer} ${s.kind}`;
              wrong.push(
                `order ${order.map(label).join(', ')} after ${delivered.map(label).join(', ')}: ` +
                  `pending ${pending === null ? 'none' : pending === offers.A.id ? 'A' : 'B'}, expected ${
                    open.length === 0
                      ? 'none'
                      : open.map((id) => (id === offers.A.id ? 'A' : 'B')).join(' or ')
                  }`,
              );
            }
          }
          const [stats] = await sql<{ declined: number; offers: number }>(
            `select count(*)::int as offers, count(*) filter (where status = 'DECLINED')::int as declined
             from registry.provider_offer where provider_id = ?`,
            [providerId],
          );
          if (stats?.offers !== 2 || stats.declined !== 1)
            wrong.push(`order ${n}: offer log ${JSON.stringify(stats)}`);
        },
      );
      expect(wrong).toEqual([]);
    });
  }
});
