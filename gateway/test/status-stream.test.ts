import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { intake } from '@trades/contracts';
import { natsUrl, resetJetStream, waitFor } from '@trades/testkit';
import { replicas, type Gateway } from './support.ts';

jest.setTimeout(120_000);

// Each run has tokens and addresses of its own: leases of an earlier run may still be in NATS.
const RUN = Math.floor(Math.random() * 250);
let nc: NatsConnection;
const pairs: { close: () => Promise<void> }[] = [];
const openStreams = new Set<StatusStream>();

const newToken = (): string => `trk_${randomBytes(12).toString('base64url')}`;
const createdAt = new Date().toISOString();

function view(token: string, updatedAt = createdAt, locksmith = 'Maria G.'): intake.BookingView {
  return {
    id: `sess_${token.slice(4)}`,
    step: 'complete',
    state: 'completed',
    trackingToken: token,
    job: { id: randomUUID(), state: 'OFFERED', locksmith: { name: locksmith, etaMinutes: null } },
    createdAt,
    updatedAt,
  };
}

/** A stand-in for intake's `session.get`: every tracking token is a booking, so the gateway alone is tested. */
function answerSessionGet(): void {
  nc.subscribe(intake.SessionGet.subject, {
    callback: (error, msg) => {
      if (error) return;
      const request: unknown = msg.json();
      const token =
        typeof request === 'object' && request !== null && 'trackingToken' in request
          ? String(request.trackingToken)
          : 'unknown';
      msg.respond(JSON.stringify(view(token)));
    },
  });
}

/** Starts two replicas on real ports. */
async function listeningPair(extra: Record<string, string>): Promise<string[]> {
  const pair = await replicas(2, extra);
  pairs.push(pair);
  return Promise.all(pair.gateways.map((g: Gateway) => g.listen({ port: 0, host: '127.0.0.1' })));
}

interface SseEvent {
  event: string;
  data: string;
}

/** A browser's EventSource, reduced to what the test watches: the status, the events, the end. */
interface StatusStream {
  status: number;
  body: string;
  events: SseEvent[];
  ended: Promise<void>;
  response: http.IncomingMessage;
  close(): void;
}

function openStream(base: string, token: string, clientAddress: string): Promise<StatusStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${base}/api/track/${token}/events`,
      { agent: false, headers: { accept: 'text/event-stream', 'x-forwarded-for': clientAddress } },
      (response) => {
        let buffer = '';
        const events: SseEvent[] = [];
        let endedResolve: () => void = () => {};
        const ended = new Promise<void>((r) => (endedResolve = r));
        const stream: StatusStream = {
          status: response.statusCode ?? 0,
          body: '',
          events,
          ended,
          response,
          close: () => {
            request.destroy();
            openStreams.delete(stream);
          },
        };
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffer += chunk;
          stream.body += stream.status === 200 ? '' : chunk;
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const frame = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event = /^event: (.*)$/m.exec(frame)?.[1];
            const data = /^data: (.*)$/m.exec(frame)?.[1];
            if (event && data !== undefined) events.push({ event, data });
            cut = buffer.indexOf('\n\n');
          }
        });
        const finish = (): void => {
          openStreams.delete(stream);
          endedResolve();
        };
        response.on('end', finish);
        response.on('close', finish);
        response.on('error', finish);
        openStreams.add(stream);
        resolve(stream);
      },
    );
    request.on('error', reject);
  });
}

/** Waits for the body of a refused stream (its JSON error). */
async function refusal(stream: StatusStream): Promise<{ code: string; details?: { per?: string } }> {
  await stream.ended;
  return JSON.parse(stream.body);
}

const statusEvents = (stream: StatusStream): intake.BookingView[] =>
  stream.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data));

beforeAll(async () => {
  await resetJetStream();
  nc = await connect({ servers: natsUrl() });
  answerSessionGet();
});

afterAll(async () => {
  for (const stream of openStreams) stream.close();
  for (const pair of pairs) await pair.close();
  await nc?.close();
});

describe('the live status stream, with two gateway replicas', () => {
  let a = '';
  let b = '';
  beforeAll(async () => {
    [a = '', b = ''] = await listeningPair({ STATUS_STREAMS_PER_TOKEN: '2', STATUS_STREAMS_PER_CLIENT: '3' });
  });

  it('allows a tracking link only so many open streams in all, and a slot comes back when one closes', async () => {
    const token = newToken();
    const first = await openStream(a, token, `203.0.113.${RUN}`);
    const second = await openStream(b, token, `203.0.114.${RUN}`);
    expect([first.status, second.status]).toEqual([200, 200]);

    for (const [base, address] of [
      [a, `203.0.115.${RUN}`],
      [b, `203.0.116.${RUN}`],
    ] as const) {
      const third = await openStream(base, token, address);
      expect(third.status).toBe(429);
      expect(await refusal(third)).toMatchObject({
        code: 'TOO_MANY_STREAMS',
        details: { per: 'tracking link' },
      });
    }

    first.close();
    const again = await waitFor(
      async () => {
        const attempt = await openStream(b, token, `203.0.117.${RUN}`);
        return attempt.status === 200 ? attempt : undefined;
      },
      { what: 'the closed stream to give its slot back', intervalMs: 200 },
    );
    expect(statusEvents(again)).toHaveLength(1);
  });

  it('allows a client address only so many open streams in all, whatever the bookings', async () => {
    const address = `198.51.100.${RUN}`;
    const opened = [
      await openStream(a, newToken(), address),
      await openStream(b, newToken(), address),
      await openStream(a, newToken(), address),
    ];
    expect(opened.map((s) => s.status)).toEqual([200, 200, 200]);
    const fourth = await openStream(b, newToken(), address);
    expect(fourth.status).toBe(429);
    expect(await refusal(fourth)).toMatchObject({
      code: 'TOO_MANY_STREAMS',
      details: { per: 'client address' },
    });
    // Another client is not held back by this one.
    expect((await openStream(b, newToken(), `198.51.101.${RUN}`)).status).toBe(200);
  });

  it('keeps only the latest update for a client that does not read, instead of buffering them all', async () => {
    const token = newToken();
    const stalled = await openStream(a, token, `192.0.2.${RUN}`);
    // Reads everything, on the same replica: once it has the last update, so has the stalled stream's writer.
    const reading = await openStream(a, token, `192.0.3.${RUN}`);
    expect([stalled.status, reading.status]).toEqual([200, 200]);
    stalled.response.pause();

    // About 48 MB of updates: more than the kernel buffers between the two ends of a socket hold.
    const updates = 3_000;
    const name = 'x'.repeat(16_000);
    const start = Date.now() + 60_000;
    const updatedAt = (i: number): string => new Date(start + i).toISOString();
    for (let i = 1; i <= updates; i++) {
      const event = {
        id: randomUUID(),
        occurredAt: updatedAt(i),
        data: { booking: view(token, updatedAt(i), name) },
      };
      nc.publish(intake.BookingUpdated.subject, JSON.stringify(event));
      if (i % 200 === 0) await nc.flush();
    }
    await nc.flush();
    const last = updatedAt(updates);
    await waitFor(() => statusEvents(reading).at(-1)?.updatedAt === last, {
      timeoutMs: 60_000,
      what: 'the reading stream to get the last update',
    });

    stalled.response.resume();
    await waitFor(() => statusEvents(stalled).at(-1)?.updatedAt === last, {
      timeoutMs: 60_000,
      what: 'the stalled stream to get the last update once it reads again',
    });
    // What the socket held when it filled, then the newest: the intermediate updates were dropped.
    expect(statusEvents(stalled).length).toBeLessThan(updates / 2);
  });
});

describe('the live status stream, at the end of its lifetime', () => {
  it('is ended by the server with a reconnect event, and its slot is free again on the other replica', async () => {
    const [a = '', b = ''] = await listeningPair({
      STATUS_STREAMS_PER_TOKEN: '1',
      STATUS_STREAM_MAX_LIFETIME_MS: '1500',
    });
    const token = newToken();
    const stream = await openStream(a, token, `192.0.4.${RUN}`);
    expect(stream.status).toBe(200);
    let ended = false;
    void stream.ended.then(() => (ended = true));
    await waitFor(() => ended, { timeoutMs: 30_000, what: 'the server to end the stream' });
    expect(stream.events.at(-1)).toEqual({
      event: 'reconnect',
      data: JSON.stringify({ reason: 'lifetime' }),
    });

    const next = await waitFor(
      async () => {
        const attempt = await openStream(b, token, `192.0.5.${RUN}`);
        return attempt.status === 200 ? attempt : undefined;
      },
      { what: 'the ended stream to give its slot back', intervalMs: 200 },
    );
    expect(statusEvents(next)).toHaveLength(1);
  });
});
