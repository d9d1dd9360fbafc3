import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@trades/runtime';
import { startStack, type Stack } from '@trades/testkit/stack';
import fc from 'fast-check';
import {
  BookingClient,
  connectTestNats,
  field,
  registerSanFranciscoLocksmith,
  type HttpReply,
} from '../services/intake/test/booking-client.ts';
import {
  anyBody,
  expectClientError,
  hostileStrings,
  sendBody,
  unicode,
  wrongType,
} from '../services/intake/test/hostile-input.ts';

jest.setTimeout(120_000);

// Each property runs fewer times than a route's per-minute rate limit, so every answer is the route's own.
const RUNS = 35;

const hostileString = hostileStrings(300);

const send = (client: BookingClient, path: string, body: unknown): Promise<HttpReply> =>
  sendBody(client, path, body);

describe('the public booking routes under random, malformed and hostile input', () => {
  let stack: Stack;
  let client: BookingClient;
  let nc: NatsConnection;

  beforeAll(async () => {
    stack = await startStack({ without: ['dispatch'] });
    client = new BookingClient(stack.gatewayUrl);
    ({ nc } = await connectTestNats());
    await registerSanFranciscoLocksmith(nc);
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  }, 60_000);

  /** A session's view, to show that a rejected request wrote nothing. */
  const snapshot = async (id: string): Promise<unknown> => (await client.get(`/api/request/${id}`)).body;

  it('location: a malformed body is a 4xx with the error shape and leaves the session as it was', async () => {
    const id = await client.start();
    const before = await snapshot(id);
    const malformed = fc.oneof(
      anyBody,
      fc.record({ address: wrongType }),
      fc.record({
        address: hostileString,
        lat: fc.oneof(wrongType, fc.double({ min: 90.0001, noNaN: true })),
        lng: fc.double(),
      }),
      fc.record({ address: unicode.filter((text) => !/\d{5}|,/.test(text)) }),
      fc.record({ lat: fc.double(), lng: fc.double() }),
    );
    await fc.assert(
      fc.asyncProperty(malformed, async (body) => {
        expectClientError(await send(client, `/api/request/${id}/location`, body));
      }),
      { numRuns: RUNS },
    );
    expect(await snapshot(id)).toEqual(before);
  });

  it('service: a malformed body is a 4xx with the error shape and leaves the session as it was', async () => {
    const id = await client.start();
    expect(
      (
        await client.post(`/api/request/${id}/location`, {
          address: '500 Howard St, San Francisco, CA 94105',
        })
      ).status,
    ).toBe(200);
    const before = await snapshot(id);
    const malformed = fc.oneof(
      anyBody,
      fc.record({
        serviceCode: fc.oneof(wrongType, hostileString),
        name: fc.oneof(wrongType, hostileString),
        phone: fc.oneof(wrongType, hostileString),
      }),
      fc.record({
        serviceCode: fc.constant('home_lockout'),
        name: fc.constant('Ada'),
        phone: hostileString.filter((text) => !/\d{7}/.test(text)),
      }),
      fc.record({
        serviceCode: fc.constant('home_lockout'),
        name: fc.constantFrom('   ', ''),
        phone: fc.constant('4155550123'),
      }),
      fc.record({
        serviceCode: fc.constant('home_lockout'),
        name: fc.constant('Ada'),
        phone: fc.constant('4155550123'),
        notes: fc.oneof(wrongType, fc.constant('n'.repeat(1001))),
      }),
    );
    await fc.assert(
      fc.asyncProperty(malformed, async (body) => {
        expectClientError(await send(client, `/api/request/${id}/service`, body));
      }),
      { numRuns: RUNS },
    );
    expect(await snapshot(id)).toEqual(before);
  });

  it('test-confirm: anything but a Stripe test payment method is a 4xx and authorizes nothing', async () => {
    const booking = await client.readyToPay();
    const malformed = fc.oneof(
      anyBody,
      fc.record({ paymentMethod: fc.oneof(wrongType, hostileString) }),
      fc.record({ paymentMethod: fc.stringMatching(/^pm_zz[A-Za-z0-9_]{1,20}$/) }),
    );
    await fc.assert(
      fc.asyncProperty(malformed, async (body) => {
        expectClientError(await send(client, `/api/request/${booking.id}/test-confirm`, body));
      }),
      { numRuns: RUNS },
    );
    expect(await client.post(`/api/request/${booking.id}/complete`)).toMatchObject({
      status: 409,
      body: { code: 'DEPOSIT_NOT_AUTHORIZED' },
    });
  });

  it('start: any body is a 201 or a 4xx with the error shape, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyBody,
          fc.record({
            referrer: fc.oneof(wrongType, hostileString),
            utm: fc.oneof(wrongType, fc.dictionary(fc.string(), hostileString)),
          }),
        ),
        async (body) => {
          const reply = await send(client, '/api/request/start', body);
          if (reply.status === 201)
            expect(field(reply.body, 'id')).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]{32}$/));
          else expectClientError(reply);
        },
      ),
      // Found by a CI run: a NUL reached PostgreSQL, which stores none in text, and came back as a 500.
      { numRuns: RUNS, examples: [[{ referrer: '\u0000', utm: {} }]] },
    );
  });

  it('session and tracking ids: any string is a 4xx with the error shape', async () => {
    // Up to a few kilobytes: a longer URL is refused by Node's HTTP parser (431) before any route runs.
    const anyId = fc
      .oneof(hostileString, fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/))
      .filter((text) => text.length > 0 && encodeURIComponent(text).length < 4_000);
    await fc.assert(
      fc.asyncProperty(anyId, async (id) => {
        const path = encodeURIComponent(id);
        expectClientError(await client.post(`/api/request/${path}/complete`));
        expectClientError(await client.get(`/api/track/${path}`));
      }),
      { numRuns: RUNS },
    );
  });

  it('the Stripe webhook: any unsigned or wrongly signed body is a 400 INVALID_SIGNATURE', async () => {
    await fc.assert(
      // Headers stay under Node's 16 KB limit, past which the HTTP parser answers 431 before any route.
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 3 }),
        hostileString.filter((text) => encodeURIComponent(text).length < 4_000),
        async (body, signature) => {
          const reply = await client.post('/api/webhooks/stripe', JSON.stringify(body), {
            'stripe-signature': `t=1,v1=${encodeURIComponent(signature)}`,
          });
          expect(reply.status).toBe(400);
          expect(reply.body).toMatchObject({ code: 'INVALID_SIGNATURE' });
        },
      ),
      { numRuns: RUNS },
    );
  });
});
