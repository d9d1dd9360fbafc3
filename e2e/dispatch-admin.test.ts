import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DEVELOPMENT_DEFAULTS, type RunningService } from '@trades/runtime';
import { migrateService, resetJetStream, serviceEnv } from '@trades/testkit';
import { loadGatewayConfig } from '../gateway/src/config.ts';
import { SESSION_COOKIE } from '../gateway/src/plugins/admin-auth.ts';
import { buildServer } from '../gateway/src/server.ts';
import { dispatchService } from '../services/dispatch/src/app.ts';
import {
  east,
  Harness,
  startDispatch,
  startRegistry,
  testRegistry,
} from '../services/dispatch/test/support.ts';

// Real services, databases and timers: give each test and hook room on a slow machine.
jest.setTimeout(30_000);

/**
 * The operations API over a real dispatch and registry, with messaging and payments down: the console
 * still shows jobs (with warnings), and every action answers the updated job or a 4xx with a sentence.
 */
let harness: Harness;
let services: RunningService<unknown>[] = [];
let gateway: ReturnType<typeof buildServer>;
let cookie: string;

beforeAll(async () => {
  await resetJetStream();
  await migrateService(testRegistry);
  await migrateService(dispatchService);
  services = [await startRegistry(), await startDispatch({ DISPATCH_WAVE_SIZE: '2' })];
  harness = await Harness.open();
  gateway = buildServer(
    loadGatewayConfig(
      serviceEnv({
        ADMIN_EMAIL: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '',
        ADMIN_PASSWORD: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] ?? '',
        ADMIN_SESSION_SECRET: DEVELOPMENT_DEFAULTS['ADMIN_SESSION_SECRET'] ?? '',
      }),
    ),
    { natsConnection: harness.nc },
  );
  await gateway.ready();
  const login = await gateway.inject({
    method: 'POST',
    url: '/api/admin/login',
    payload: { email: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'], password: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] },
  });
  expect(login.statusCode).toBe(204);
  const session = login.cookies.find((c) => c.name === SESSION_COOKIE);
  cookie = `${SESSION_COOKIE}=${session?.value ?? ''}`;
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(services.map((s) => s.stop()));
  await harness?.close();
});

const get = (url: string) => gateway.inject({ method: 'GET', url, headers: { cookie } });
const post = (url: string, payload: object) =>
  gateway.inject({ method: 'POST', url, headers: { cookie }, payload });

describe('operations API', () => {
  it('lists and shows a job with its offers, and warns instead of failing when messaging and payments are down', async () => {
    const area = await harness.newArea();
    const first = await harness.locksmith(east(area, 1));
    const job = await harness.book(area);
    await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');

    const list = await get(
      `/api/admin/jobs?state=OFFERED,ASSIGNED&q=${job.code}&sort=createdAt:desc&limit=50`,
    );
    expect(list.statusCode).toBe(200);
    expect(list.json<{ items: { id: string }[] }>().items.map((j) => j.id)).toContain(job.id);

    const detail = await get(`/api/admin/jobs/${job.id}`);
    expect(detail.statusCode).toBe(200);
    const body = detail.json<{
      state: string;
      offers: { locksmithId: string; wave: number; status: string }[];
      messages: unknown[];
      payment: unknown;
      warnings: string[];
    }>();
    expect(body.state).toBe('OFFERED');
    expect(body.offers).toMatchObject([{ locksmithId: first.id, wave: 1, status: 'PENDING' }]);
    expect(body.messages).toEqual([]);
    expect(body.payment).toBeNull();
    expect(body.warnings).toHaveLength(2);
  });

  it('assigns by hand, refuses a second assignment with 409, then cancels', async () => {
    const area = await harness.newArea();
    await harness.locksmith(east(area, 1));
    const chosen = await harness.locksmith(east(area, 40), 'Hand Picked');
    const job = await harness.book(area);
    await harness.jobWhen(job.id, (j) => j.state === 'OFFERED', 'the first wave');

    const assigned = await post(`/api/admin/jobs/${job.id}/assign`, { locksmithId: chosen.id });
    expect(assigned.statusCode).toBe(200);
    expect(assigned.json()).toMatchObject({ state: 'ASSIGNED', locksmithName: 'Hand Picked' });
    expect(assigned.json<{ timeline: { actor: string }[] }>().timeline.at(-1)?.actor).toBe(
      DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'],
    );

    const again = await post(`/api/admin/jobs/${job.id}/assign`, { locksmithId: chosen.id });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'INVALID_TRANSITION' });

    const canceled = await post(`/api/admin/jobs/${job.id}/dispatch`, {
      action: 'cancel',
      reason: 'customer got in',
    });
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json()).toMatchObject({ state: 'CANCELED' });
  });

  it('answers bad input with a 4xx and a sentence', async () => {
    const badState = await get('/api/admin/jobs?state=OFFERED,NOPE');
    expect(badState.statusCode).toBe(400);
    expect(badState.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await get('/api/admin/jobs/not-a-uuid')).statusCode).toBe(400);
    expect((await get('/api/admin/jobs?from=yesterday')).statusCode).toBe(400);
    const missing = await get('/api/admin/jobs/6f1c1f43-5c39-4c41-9b9d-3f0a3c7d1e20');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'JOB_NOT_FOUND' });
    const badAction = await post('/api/admin/jobs/6f1c1f43-5c39-4c41-9b9d-3f0a3c7d1e20/dispatch', {
      action: 'explode',
    });
    expect(badAction.statusCode).toBe(400);
    expect(badAction.json()).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'Check these fields: body/action must be one of: start, pause, resume, cancel, redispatch.',
      details: [
        { field: 'body/action', problem: 'must be one of: start, pause, resume, cancel, redispatch' },
      ],
    });
    const badCursor = await get('/api/admin/jobs?cursor=abc');
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json()).toMatchObject({ code: 'INVALID_CURSOR' });
  });

  it('shows the dashboard with what dispatch and the registry know, warning about messaging', async () => {
    const response = await get('/api/admin/dashboard');
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      openJobs: number;
      jobsByState: Record<string, number>;
      activeLocksmiths: number;
      warnings: string[];
    }>();
    expect(body.openJobs).toBeGreaterThan(0);
    expect(body.jobsByState['CANCELED']).toBeGreaterThan(0);
    expect(body.activeLocksmiths).toBeGreaterThan(0);
    expect(body.warnings).toEqual([expect.stringMatching(/^SMS counts are missing/)]);
  });
});
