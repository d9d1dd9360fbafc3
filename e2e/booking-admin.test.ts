import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@trades/runtime';
import { startStack, type Stack } from '@trades/testkit/stack';
import {
  BookingClient,
  connectTestNats,
  field,
  registerSanFranciscoLocksmith,
  text,
} from '../services/intake/test/booking-client.ts';

jest.setTimeout(60_000);

describe('booking sessions and the funnel in the operations console', () => {
  let stack: Stack;
  let client: BookingClient;
  let nc: NatsConnection;
  let cookie: string;
  const started: string[] = [];
  // The run's database is shared by every suite: this one counts only what it created, from here on.
  let since: string;

  beforeAll(async () => {
    stack = await startStack({ without: ['dispatch'] });
    client = new BookingClient(stack.gatewayUrl);
    ({ nc } = await connectTestNats());
    await registerSanFranciscoLocksmith(nc);
    const login = await fetch(`${stack.gatewayUrl}/api/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: stack.env['ADMIN_EMAIL'], password: stack.env['ADMIN_PASSWORD'] }),
    });
    expect(login.status).toBe(204);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

    since = new Date().toISOString();
    // Three sessions that stop at different steps, one of them a complete booking.
    started.push(await client.start({ utm: { source: 'newsletter' } }));
    const located = await client.start({ referrer: 'https://example.org/' });
    await client.post(`/api/request/${located}/location`, {
      address: '500 Howard St, San Francisco, CA 94105',
    });
    started.push(located);
    started.push((await client.completed()).id);
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  }, 60_000);

  const admin = (path: string) => client.request('GET', path, undefined, { cookie });

  it('needs an operator', async () => {
    expect((await client.get('/api/admin/sessions')).status).toBe(401);
    expect((await client.get('/api/admin/analytics/funnel')).status).toBe(401);
  });

  it('lists sessions newest first, a page at a time, with where each stopped and where it came from', async () => {
    const first = await admin('/api/admin/sessions?limit=2');
    expect(first.status).toBe(200);
    const items = field(first.body, 'items');
    expect(Array.isArray(items) && items.map((item) => text(item, 'id'))).toEqual([started[2], started[1]]);
    expect(Array.isArray(items) && items[0]).toMatchObject({
      step: 'complete',
      furthestStep: 'complete',
      completed: true,
      serviceCode: 'home_lockout',
      served: true,
    });
    expect(Array.isArray(items) && items[1]).toMatchObject({
      step: 'service',
      furthestStep: 'location',
      completed: false,
      referrer: 'https://example.org/',
    });

    const second = await admin(
      `/api/admin/sessions?limit=2&cursor=${encodeURIComponent(text(first.body, 'nextCursor'))}`,
    );
    const secondItems = field(second.body, 'items');
    expect(Array.isArray(secondItems) && secondItems[0]).toMatchObject({
      id: started[0],
      step: 'location',
      furthestStep: 'start',
      utm: { source: 'newsletter' },
    });

    const onLocation = await admin('/api/admin/sessions?step=location');
    const located = field(onLocation.body, 'items');
    expect(Array.isArray(located) && located.every((item) => field(item, 'step') === 'location')).toBe(true);
    expect(Array.isArray(located) && located[0]).toMatchObject({ id: started[0] });
  });

  it('answers a forged cursor or an unknown step with a 400', async () => {
    expect(await admin('/api/admin/sessions?cursor=bm90LWEtY3Vyc29y')).toMatchObject({
      status: 400,
      body: { code: 'INVALID_CURSOR' },
    });
    expect(await admin('/api/admin/sessions?step=teleport')).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED' },
    });
  });

  it('counts how many sessions reached each step in a period', async () => {
    const from = since;
    const funnel = await admin(`/api/admin/analytics/funnel?from=${encodeURIComponent(from)}`);
    expect(funnel).toEqual({
      status: 200,
      body: {
        steps: [
          { step: 'start', sessions: 3 },
          { step: 'location', sessions: 2 },
          { step: 'service', sessions: 1 },
          { step: 'payment', sessions: 1 },
          { step: 'complete', sessions: 1 },
        ],
      },
    });
    const future = new Date(Date.now() + 60 * 60 * 1000).toISOString();
    expect(await admin(`/api/admin/analytics/funnel?from=${encodeURIComponent(future)}`)).toMatchObject({
      status: 400,
      body: { code: 'INVALID_PERIOD' },
    });
  });
});
