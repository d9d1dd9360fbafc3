import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DEVELOPMENT_DEFAULTS } from '@trades/runtime';
import { resetJetStream } from '@trades/testkit';
import { replicas, type Gateway } from './support.ts';

jest.setTimeout(60_000);

const EMAIL = DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '';
const PASSWORD = DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] ?? '';
const SECRET = DEVELOPMENT_DEFAULTS['ADMIN_SESSION_SECRET'] ?? '';
// Counters outlive a run by their window: each run uses addresses of its own.
const RUN = Math.floor(Math.random() * 250);

let gateways: Gateway[] = [];
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  await resetJetStream();
  ({ gateways, close } = await replicas(2, {
    ADMIN_EMAIL: EMAIL,
    ADMIN_PASSWORD: PASSWORD,
    ADMIN_SESSION_SECRET: SECRET,
  }));
});

afterAll(async () => close());

/** The replica a load balancer would pick for the i-th request: each in turn. */
const replica = (i: number): Gateway => {
  const chosen = gateways[i % gateways.length];
  if (!chosen) throw new Error('no gateway');
  return chosen;
};

describe('rate limits with two gateway replicas', () => {
  it('let an address try the operator password 5 times a minute in all: the 6th, on either replica, is 429 with Retry-After', async () => {
    const address = `192.0.2.${RUN}`;
    const attempt = (i: number) =>
      replica(i).inject({
        method: 'POST',
        url: '/api/admin/login',
        remoteAddress: address,
        payload: { email: EMAIL, password: `wrong-password-${i}` },
      });
    for (let i = 0; i < 5; i++) {
      const response = await attempt(i);
      expect({ attempt: i + 1, status: response.statusCode }).toEqual({ attempt: i + 1, status: 401 });
    }
    for (const i of [5, 6]) {
      const limited = await attempt(i);
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    // Even the right password waits out the minute: the limit is on attempts, not on failures.
    const right = await replica(7).inject({
      method: 'POST',
      url: '/api/admin/login',
      remoteAddress: address,
      payload: { email: EMAIL, password: PASSWORD },
    });
    expect(right.statusCode).toBe(429);
  });

  it("give a customer's address one budget per route, whichever replica answers", async () => {
    const address = `198.51.100.${RUN}`;
    // A malformed body keeps the request away from any service; the limit is counted first.
    const attempt = (i: number) =>
      replica(i).inject({
        method: 'POST',
        url: '/api/request/start',
        remoteAddress: address,
        headers: { 'content-type': 'application/json' },
        payload: '{',
      });
    const first = await attempt(0);
    const limit = Number(first.headers['x-ratelimit-limit']);
    expect(limit).toBeGreaterThan(1);
    let allowed = 1;
    for (let i = 1; i < limit * 2; i++) {
      const response = await attempt(i);
      if (response.statusCode === 429) break;
      allowed++;
    }
    expect(allowed).toBe(limit);
    // Another address has a budget of its own.
    const other = await replica(1).inject({
      method: 'POST',
      url: '/api/request/start',
      remoteAddress: `198.51.100.${(RUN + 1) % 250}`,
      headers: { 'content-type': 'application/json' },
      payload: '{',
    });
    expect(other.statusCode).toBe(400);
  });

  it('count a burst from both replicas at once without losing a request to a race', async () => {
    const address = `203.0.113.${RUN}`;
    const attempts = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        replica(i).inject({
          method: 'POST',
          url: '/api/admin/login',
          remoteAddress: address,
          payload: { email: EMAIL, password: `wrong-password-${i}` },
        }),
      ),
    );
    const statuses = attempts.map((a) => a.statusCode).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });
});
