import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { natsUrl } from '@trades/testkit';
import { gateway, type Gateway } from './support.ts';

jest.setTimeout(30_000);

let nc: NatsConnection;
let app: Gateway;

beforeAll(async () => {
  nc = await connect({ servers: natsUrl() });
  app = gateway(nc);
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await nc?.close();
});

/** A rate-limited public route; a malformed body keeps the request away from any service. */
const attempt = (remoteAddress: string, forwardedFor?: string) =>
  app.inject({
    method: 'POST',
    url: '/api/request/start',
    remoteAddress,
    headers: {
      'content-type': 'application/json',
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
    payload: '{',
  });

/** Sends until the limit answers 429; returns how many got through first. */
async function allowedBefore429(send: (i: number) => ReturnType<typeof attempt>): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const response = await send(i);
    if (response.statusCode === 429) {
      expect(response.json()).toEqual({ code: 'RATE_LIMITED', message: expect.any(String) });
      return i;
    }
  }
  throw new Error('never rate limited');
}

describe('the client address behind rate limits', () => {
  it('cannot be forged with X-Forwarded-For by a client that connects directly', async () => {
    const first = await attempt('203.0.113.7');
    const limit = Number(first.headers['x-ratelimit-limit']);
    expect(limit).toBeGreaterThan(0);
    const allowed = await allowedBefore429((i) => attempt('203.0.113.7', `198.51.100.${i % 250}`));
    expect(allowed + 1).toBe(limit);
  });

  it('is the forwarded address when the request comes through a proxy on the private network', async () => {
    const viaProxy = (client: string) => attempt('10.20.30.40', `${client}, 10.20.30.41`);
    const first = await viaProxy('192.0.2.10');
    const limit = Number(first.headers['x-ratelimit-limit']);
    const allowed = await allowedBefore429(() => viaProxy('192.0.2.10'));
    expect(allowed + 1).toBe(limit);
    // Another customer behind the same proxy has a budget of their own.
    expect((await viaProxy('192.0.2.11')).statusCode).toBe(400);
  });
});

describe("Twilio's webhooks", () => {
  const statusCallback = (target: Gateway, i: number) =>
    target.inject({
      method: 'POST',
      url: '/api/webhooks/twilio/status',
      remoteAddress: '54.172.60.1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `MessageSid=SM${String(i).padStart(32, '0')}&MessageStatus=delivered`,
    });

  it('take a minute of status callbacks at scale from one Twilio address', async () => {
    // Three callbacks per SMS: 6,000 a minute (the old limit) is 33 SMS a second. Twilio retries none.
    const first = await statusCallback(app, 0);
    expect(Number(first.headers['x-ratelimit-limit'])).toBeGreaterThanOrEqual(60_000);
    expect(first.statusCode).not.toBe(429);
  });

  it('are limited per address by TWILIO_WEBHOOK_RATE_LIMIT_PER_MINUTE', async () => {
    const limited = gateway(nc, { TWILIO_WEBHOOK_RATE_LIMIT_PER_MINUTE: '5' });
    await limited.ready();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await statusCallback(limited, i)).statusCode);
      // The five let through are answered (unsigned: a 403 or 503); the sixth is refused before that.
      expect(statuses.slice(0, 5).every((s) => s !== 429)).toBe(true);
      expect(statuses[5]).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
