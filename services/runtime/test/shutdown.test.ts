import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { natsUrl, serviceEnv, spawnNode, waitFor, type ChildService } from '@trades/testkit';
import { probeConsumer, ProbeNoted } from './fixtures/probe.ts';
import {
  consumerSettled,
  count,
  envelopeOf,
  prepareProbe,
  PROBE_MAIN,
  publishEnvelope,
} from './fixtures/support.ts';

jest.setTimeout(90_000);

let nc: NatsConnection;
const children: ChildService[] = [];

beforeAll(async () => {
  await prepareProbe();
  nc = await connect({ servers: natsUrl() });
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.child.exitCode === null && child.child.signalCode === null) {
      child.kill('SIGKILL');
      await child.exited;
    }
  }
});

afterAll(async () => {
  await nc?.close();
});

function startProbe(): ChildService {
  const child = spawnNode(
    PROBE_MAIN,
    serviceEnv({ LOG_LEVEL: 'info', PROBE_HANDLER_DELAY_MS: '200', SHUTDOWN_TIMEOUT_MS: '10000' }),
  );
  children.push(child);
  return child;
}

describe('graceful shutdown', () => {
  it('drains on SIGTERM without losing or repeating an event, and a restart handles the rest', async () => {
    const noteIds = Array.from({ length: 30 }, () => randomUUID());
    const handled = (): Promise<number> =>
      count('select count(*)::int as n from probe.probe_note where id = any($1::text[])', [noteIds]);

    const first = startProbe();
    await first.waitForOutput(/intake is up/);
    for (const noteId of noteIds) {
      await publishEnvelope(nc, ProbeNoted.subject, envelopeOf({ noteId, body: 'drain me' }));
    }
    await waitFor(async () => (await handled()) >= 2, { what: 'handling to be under way' });

    first.kill('SIGTERM');
    // runMain exits 1 when shutdown overruns SHUTDOWN_TIMEOUT_MS, 0 when everything in flight finished.
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/"msg":"stopped"/);
    const afterFirst = await handled();
    expect(afterFirst).toBeGreaterThanOrEqual(2);

    const second = startProbe();
    await second.waitForOutput(/intake is up/);
    await waitFor(async () => (await handled()) === noteIds.length, {
      timeoutMs: 45_000,
      intervalMs: 200,
      what: 'every note after the restart',
    });
    await waitFor(() => consumerSettled(nc, ProbeNoted.stream, probeConsumer.durable), {
      what: 'nothing pending or unacknowledged',
    });

    expect(await handled()).toBe(noteIds.length);
    expect(
      await count('select count(*)::int as n from probe.inbox where consumer = $1', [probeConsumer.durable]),
    ).toBe(noteIds.length);
    // Nothing handled twice: every event's single inbox row and note row were written in one transaction.
    expect(second.output()).not.toMatch(/event already handled/);

    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
