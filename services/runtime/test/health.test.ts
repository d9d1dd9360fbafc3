import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { call, defineService, startService, type RunningService } from '@trades/runtime';
import { natsUrl, serviceEnv, waitFor } from '@trades/testkit';
import { handlerCalls, ProbeEcho, ProbeNoted, probeService } from './fixtures/probe.ts';
import { consumerSettled, count, envelopeOf, prepareProbe, publishEnvelope } from './fixtures/support.ts';

jest.setTimeout(60_000);

let nc: NatsConnection;

beforeAll(async () => {
  await prepareProbe();
  nc = await connect({ servers: natsUrl() });
});

afterAll(async () => {
  await nc?.close();
});

const get = async (port: number, path: string): Promise<{ status: number; text: string }> => {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, text: await response.text() };
};

describe('the health server', () => {
  let probe: RunningService<{ PROBE_HANDLER_DELAY_MS: number }>;

  beforeAll(async () => {
    probe = await startService(probeService, serviceEnv());
  });

  afterAll(async () => {
    await probe?.stop();
  });

  it('answers /livez while the process runs', async () => {
    const { status, text } = await get(probe.httpPort, '/livez');
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when PostgreSQL and NATS answer', async () => {
    const { status, text } = await get(probe.httpPort, '/readyz');
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({ status: 'ok', checks: { postgres: 'ok', nats: 'ok' } });
  });

  it('exposes the runtime’s metrics in the Prometheus format on /metrics', async () => {
    await call(nc, ProbeEcho, { word: 'metrics' });
    const noteId = randomUUID();
    await publishEnvelope(nc, ProbeNoted.subject, envelopeOf({ noteId, body: 'counted' }));
    await waitFor(
      async () =>
        (await count('select count(*)::int as n from probe.probe_note where id = $1', [noteId])) === 1,
    );
    await probe.ctx.transaction((em) =>
      probe.ctx.publish(em, ProbeNoted, { noteId: randomUUID(), body: 'out' }),
    );
    await waitFor(async () =>
      (await get(probe.httpPort, '/metrics')).text.includes('outbox_published_total{'),
    );

    const { status, text } = await get(probe.httpPort, '/metrics');
    expect(status).toBe(200);
    expect(text).toMatch(
      /^nats_endpoint_duration_seconds_count\{.*subject="svc\.intake\.probe_echo".*\} \d+/m,
    );
    expect(text).toMatch(
      /^jetstream_messages_consumed_total\{.*consumer="intake-probe".*outcome="handled".*\} \d+/m,
    );
    expect(text).toMatch(/^outbox_published_total\{.*subject="evt\.intake\.probe\.noted\.v1".*\} \d+/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total\{service="intake"\}/m);
  });

  it('names its PostgreSQL connections after the service, for pg_stat_activity and the server log', async () => {
    await probe.ctx.transaction(async (em) => {
      const [row] = await em.execute<{ application_name: string }[]>(
        'select application_name from pg_stat_activity where pid = pg_backend_pid()',
      );
      expect(row?.application_name).toBe(probeService.name);
    });
  });

  it('answers 404 with the error shape for an unknown path', async () => {
    const { status, text } = await get(probe.httpPort, '/nope');
    expect(status).toBe(404);
    expect(JSON.parse(text)).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('readiness at start', () => {
  it('answers requests from another connection as soon as startService returns', async () => {
    // Each round starts the service and asks at once from the test's own connection: without the
    // start's round trip to the server the request can arrive before the subscription (503).
    // The probe without its consumer: creating a consumer is itself a round trip that would hide a miss.
    const endpointsOnly = defineService({
      ...probeService,
      setup: async (ctx) => ({ ...(await probeService.setup(ctx)), consumers: [] }),
    });
    for (let round = 0; round < 10; round += 1) {
      const probe = await startService(endpointsOnly, serviceEnv({ LOG_LEVEL: 'fatal' }));
      try {
        await expect(call(nc, ProbeEcho, { word: `round-${round}` })).resolves.toEqual({
          echo: `round-${round}`,
        });
      } finally {
        await probe.stop();
      }
    }
  });
});

describe('readiness during shutdown', () => {
  it('answers /readyz with 503 while in-flight work finishes, and the work is not lost', async () => {
    const probe = await startService(probeService, serviceEnv({ PROBE_HANDLER_DELAY_MS: '1500' }));
    const noteId = randomUUID();
    await publishEnvelope(nc, ProbeNoted.subject, envelopeOf({ noteId, body: 'in flight' }));
    await waitFor(() => handlerCalls(noteId) === 1, { what: 'the handler to start' });

    const stopped = probe.stop('test');
    const { status, text } = await get(probe.httpPort, '/readyz');
    expect(status).toBe(503);
    expect(JSON.parse(text)).toMatchObject({ status: 'shutting-down' });
    expect((await get(probe.httpPort, '/livez')).status).toBe(200);

    await stopped;
    expect(await count('select count(*)::int as n from probe.probe_note where id = $1', [noteId])).toBe(1);
    await waitFor(() => consumerSettled(nc, ProbeNoted.stream, 'intake-probe'), {
      what: 'the ack to reach JetStream',
    });
  });
});
