// Helpers for the booking integration tests (e2e/booking*.test.ts and this package's tests): an HTTP
// client for the gateway's booking routes, a NATS client for the services, and readers of the streams.
import { expect } from '@jest/globals';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { dispatch, EventEnvelope, registry } from '@trades/contracts';
import { call, encodeJson, type NatsConnection } from '@trades/runtime';
import { natsUrl } from '@trades/testkit';
import { randomUUID } from 'node:crypto';
import { Compile } from 'typebox/compile';

const envelopeCheck = Compile(EventEnvelope);

export interface HttpReply {
  status: number;
  body: unknown;
}

export function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, found] of Object.entries(value)) if (key === name) return found;
  return undefined;
}

export function text(value: unknown, name: string): string {
  const found = field(value, name);
  if (typeof found !== 'string')
    throw new Error(`expected ${name} to be a string in ${JSON.stringify(value)}`);
  return found;
}

export class BookingClient {
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  async request(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpReply> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const raw = await response.text();
    let parsed: unknown = raw;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // Not JSON: kept as text for the assertion message.
    }
    return { status: response.status, body: parsed };
  }

  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpReply> {
    return this.request('POST', path, body, headers);
  }

  get(path: string): Promise<HttpReply> {
    return this.request('GET', path);
  }

  async start(body: unknown = {}): Promise<string> {
    const reply = await this.post('/api/request/start', body, {
      'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148',
    });
    expect(reply.status).toBe(201);
    return text(reply.body, 'id');
  }

  /** start → location → service → payment intent: a booking waiting for its card. */
  async readyToPay(
    address = SERVED_ADDRESS,
  ): Promise<{ id: string; paymentIntentId: string; clientSecret: string }> {
    const id = await this.start({
      referrer: 'https://www.google.com/',
      utm: { source: 'google', campaign: 'lockout' },
    });
    const location = await this.post(`/api/request/${id}/location`, { address });
    expect(location).toMatchObject({ status: 200, body: { served: true } });
    const service = await this.post(`/api/request/${id}/service`, {
      serviceCode: 'home_lockout',
      name: 'Ada Customer',
      phone: '(415) 555-0123',
      notes: 'Blue door',
    });
    expect(service).toEqual({ status: 200, body: { depositCents: 4900 } });
    const intent = await this.post(`/api/request/${id}/payment-intent`);
    expect(intent.status).toBe(200);
    return {
      id,
      paymentIntentId: text(intent.body, 'paymentIntentId'),
      clientSecret: text(intent.body, 'clientSecret'),
    };
  }

  /** A completed booking paid with the test Visa card. */
  async completed(): Promise<{ id: string; paymentIntentId: string; trackingToken: string }> {
    const booking = await this.readyToPay();
    expect(
      await this.post(`/api/request/${booking.id}/test-confirm`, { paymentMethod: 'pm_card_visa' }),
    ).toEqual({
      status: 200,
      body: { status: 'requires_capture' },
    });
    const complete = await this.post(`/api/request/${booking.id}/complete`);
    expect(complete.status).toBe(200);
    return { ...booking, trackingToken: text(complete.body, 'trackingToken') };
  }
}

export const SERVED_ADDRESS = '500 Howard St, San Francisco, CA 94105';
export const UNSERVED_ADDRESS = '100 Main St, Boston, MA 02108';

export async function connectTestNats(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
  const nc = await connect({ servers: natsUrl() });
  return { nc, js: jetstream(nc) };
}

/** A locksmith covering downtown San Francisco, so the booking's area is served. */
export async function registerSanFranciscoLocksmith(nc: NatsConnection): Promise<registry.Provider> {
  const suffix = String(Math.floor(Math.random() * 9000) + 1000);
  return call(nc, registry.ProviderCreate, {
    name: `Sam Locksmith ${suffix}`,
    phone: `+1415555${suffix}`,
    services: ['home_lockout', 'car_lockout'],
    address: '1 Market St, San Francisco, CA 94105',
    radiusKm: 25,
    actor: 'test',
  });
}

/** Every event of one subject in a stream, oldest first. */
export async function streamEvents(
  nc: NatsConnection,
  stream: string,
  subject: string,
): Promise<EventEnvelope[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream, { subjects_filter: subject });
  const found: EventEnvelope[] = [];
  const last = info.state.last_seq;
  for (let seq = info.state.first_seq; seq <= last && last > 0; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!message || message.subject !== subject) continue;
    const envelope: unknown = message.json();
    if (envelopeCheck.Check(envelope)) found.push(envelope);
  }
  return found;
}

/** Publishes a dispatch job event as dispatch would (for tests that stand in for dispatch). */
export async function publishJobEvent(
  js: JetStreamClient,
  state: dispatch.JobState,
  job: {
    jobId: string;
    bookingId: string;
    at?: string;
    locksmith?: { name: string; etaMinutes: number | null } | null;
  },
): Promise<void> {
  const data: dispatch.JobStateChangedData = {
    jobId: job.jobId,
    jobCode: '4821',
    bookingId: job.bookingId,
    state,
    previousState: null,
    cause: 'test',
    actor: 'test',
    at: job.at ?? new Date().toISOString(),
    serviceCode: 'home_lockout',
    serviceName: 'Home lockout',
    customer: { name: 'Ada Customer', phone: '+14155550123' },
    address: { formatted: SERVED_ADDRESS, lat: 37.7864, lng: -122.3892, zip: '94105' },
    notes: null,
    locksmith: job.locksmith
      ? {
          id: randomUUID(),
          name: job.locksmith.name,
          phone: '+14155550999',
          etaMinutes: job.locksmith.etaMinutes,
        }
      : null,
  };
  const id = randomUUID();
  const envelope: EventEnvelope = { id, occurredAt: new Date().toISOString(), data };
  await js.publish(dispatch.JOB_EVENT_BY_STATE[state].subject, encodeJson(envelope), { msgID: id });
}
