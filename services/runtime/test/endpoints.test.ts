import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import {
  ServiceErrorCodeHeader,
  ServiceErrorHeader,
  Svcm,
  type ServiceInfo,
  type ServiceStats,
} from '@nats-io/services';
import { connect } from '@nats-io/transport-node';
import { AppError, defineEndpoint, Empty } from '@trades/contracts';
import { call, pathOfNul, startService, type RunningService } from '@trades/runtime';
import { natsUrl, serviceEnv } from '@trades/testkit';
import Type from 'typebox';
import { ProbeEcho, probeService } from './fixtures/probe.ts';
import { prepareProbe } from './fixtures/support.ts';

jest.setTimeout(60_000);

let nc: NatsConnection;
const instances: RunningService<{ PROBE_HANDLER_DELAY_MS: number }>[] = [];

beforeAll(async () => {
  await prepareProbe();
  nc = await connect({ servers: natsUrl() });
  // The crash case logs an error on purpose; keep the test output for real failures.
  const quiet = serviceEnv({ LOG_LEVEL: 'fatal' });
  instances.push(await startService(probeService, quiet), await startService(probeService, quiet));
});

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()));
  await nc?.close();
});

/** Discovery that stops collecting 300 ms after the last instance answered. */
const discovery = () => new Svcm(nc).client({ strategy: 'stall', stall: 300, maxWait: 3_000 });

async function rejection(work: Promise<unknown>): Promise<AppError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterator) items.push(item);
  return items;
}

/** The same subject with a looser request schema, so a bad request gets past the caller's own check. */
const LooseEcho = defineEndpoint(
  ProbeEcho.subject,
  ProbeEcho.description,
  Type.Object({ word: Type.Unknown() }),
  ProbeEcho.reply,
);

describe('request/reply endpoints', () => {
  it('answer a valid request', async () => {
    await expect(call(nc, ProbeEcho, { word: 'hello' })).resolves.toEqual({ echo: 'hello' });
  });

  it('reject an invalid request with 400 INVALID_REQUEST and the problems', async () => {
    const error = await rejection(call(nc, LooseEcho, { word: 42 }));
    expect(error.status).toBe(400);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain(ProbeEcho.subject);
    expect(error.details).toEqual({ problems: [expect.stringContaining('/word')] });
  });

  it('refuse text with a NUL character (PostgreSQL stores none) with 400 INVALID_TEXT and where it is', async () => {
    const error = await rejection(call(nc, ProbeEcho, { word: 'he\u0000llo' }));
    expect(error.status).toBe(400);
    expect(error.code).toBe('INVALID_TEXT');
    expect(error.details).toEqual({ path: '/word' });
  });

  it('find a NUL anywhere in a request: nested, in an array, in a key', () => {
    expect(pathOfNul({ a: [{ b: 'ok' }, { c: 'x\u0000' }] })).toBe('/a/1/c');
    expect(pathOfNul({ 'k\u0000': 1 })).toBe('/k\\u0000');
    expect(pathOfNul({ a: 'fine', n: 1, t: true, z: null, list: ['x', 'y'] })).toBeUndefined();
    expect(pathOfNul('\u0000')).toBe('/');
  });

  it('answer a body that is not JSON with 400 INVALID_JSON in the NATS service error headers', async () => {
    const reply: Msg = await nc.request(ProbeEcho.subject, new TextEncoder().encode('{ nope'), {
      timeout: 5_000,
    });
    expect(reply.headers?.get(ServiceErrorCodeHeader)).toBe('400');
    expect(reply.headers?.get(ServiceErrorHeader)).toBe('INVALID_JSON');
    expect(reply.json()).toEqual({ code: 'INVALID_JSON', message: 'The request body is not valid JSON.' });
  });

  it('pass an AppError to the caller with its status, code and message', async () => {
    const error = await rejection(call(nc, ProbeEcho, { word: 'teapot' }));
    expect(error.status).toBe(418);
    expect(error.code).toBe('TEAPOT');
    expect(error.message).toBe('I am a teapot.');
  });

  it('turn an unexpected exception into 500 INTERNAL without leaking its detail', async () => {
    const error = await rejection(call(nc, ProbeEcho, { word: 'crash' }));
    expect(error.status).toBe(500);
    expect(error.code).toBe('INTERNAL');
    expect(error.message).not.toMatch(/boom|secret/);
    expect(error.details).toBeUndefined();
  });

  it('answer 504 SERVICE_TIMEOUT when the service does not answer in time', async () => {
    const error = await rejection(call(nc, ProbeEcho, { word: 'slow' }, { timeoutMs: 100 }));
    expect(error.status).toBe(504);
    expect(error.code).toBe('SERVICE_TIMEOUT');
    expect(error.message).toContain('intake');
  });

  it('turn a reply that does not match the caller’s contract into 502 BAD_REPLY', async () => {
    const StricterEcho = defineEndpoint(
      ProbeEcho.subject,
      ProbeEcho.description,
      ProbeEcho.request,
      Type.Object({ echo: Type.Literal('only this') }),
    );
    const error = await rejection(call(nc, StricterEcho, { word: 'hello' }));
    expect(error.status).toBe(502);
    expect(error.code).toBe('BAD_REPLY');
  });

  it('answer 503 SERVICE_UNAVAILABLE when nobody serves the subject', async () => {
    const Nobody = defineEndpoint('svc.payments.nobody_home', 'Nobody serves this.', Empty, Empty);
    const error = await rejection(call(nc, Nobody, {}));
    expect(error.status).toBe(503);
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toContain('payments');
  });
});

describe('service discovery', () => {
  it('answers $SRV.PING and $SRV.INFO with the service name and its endpoint subjects', async () => {
    const client = discovery();
    const pings = await collect(await client.ping('intake'));
    expect(pings).toHaveLength(2);
    expect(pings.every((p) => p.name === 'intake' && p.version === probeService.version)).toBe(true);

    const infos: ServiceInfo[] = await collect(await client.info('intake'));
    expect(infos).toHaveLength(2);
    for (const info of infos) {
      expect(info.description).toBe(probeService.description);
      const subjects = info.endpoints.map((e) => e.subject).sort();
      expect(subjects).toEqual(['svc.intake.probe_echo', 'svc.intake.probe_log']);
      expect(info.endpoints.every((e) => e.queue_group === 'intake')).toBe(true);
    }
  });

  it('lets two instances share the queue group, so requests are split across both', async () => {
    const client = discovery();
    const requestsOf = (stats: ServiceStats[]): Map<string, number> =>
      new Map(
        stats.map((s) => [
          s.id,
          s.endpoints?.find((e) => e.subject === ProbeEcho.subject)?.num_requests ?? 0,
        ]),
      );
    const before = requestsOf(await collect(await client.stats('intake')));

    const total = 40;
    await Promise.all(Array.from({ length: total }, (_, i) => call(nc, ProbeEcho, { word: `w${i}` })));

    const after = requestsOf(await collect(await client.stats('intake')));
    expect(after.size).toBe(2);
    const served = [...after].map(([id, n]) => n - (before.get(id) ?? 0));
    expect(served.reduce((a, b) => a + b, 0)).toBe(total);
    expect(served.every((n) => n > 0)).toBe(true);
  });
});
