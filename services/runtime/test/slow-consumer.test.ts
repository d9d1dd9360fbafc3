import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { startService, type RunningService } from '@trades/runtime';
import { natsUrl, serviceEnv, waitFor } from '@trades/testkit';
import { probeConsumer, ProbeNoted, probeService } from './fixtures/probe.ts';
import {
  consumerInfo,
  consumerSettled,
  count,
  envelopeOf,
  prepareProbe,
  publishEnvelope,
} from './fixtures/support.ts';

jest.setTimeout(60_000);

let nc: NatsConnection;
let probe: RunningService<{ PROBE_HANDLER_DELAY_MS: number }>;

beforeAll(async () => {
  await prepareProbe();
  nc = await connect({ servers: natsUrl() });
  // Each event takes about a tenth of the ack wait: a backlog must not outlive the ack wait in a buffer.
  probe = await startService(
    probeService,
    serviceEnv({ PROBE_HANDLER_DELAY_MS: String(Math.round(probeConsumer.ackWaitMs / 11)) }),
  );
});

afterAll(async () => {
  await probe?.stop();
  await nc?.close();
});

describe('a slow consumer with a backlog', () => {
  it('takes only what it can handle within the ack wait, so nothing is redelivered', async () => {
    const noteIds = Array.from({ length: 14 }, () => randomUUID());
    for (const noteId of noteIds) {
      await publishEnvelope(nc, ProbeNoted.subject, envelopeOf({ noteId, body: 'backlog' }));
    }
    await waitFor(
      async () =>
        (await count('select count(*)::int as n from probe.probe_note where id = any($1::text[])', [
          noteIds,
        ])) === noteIds.length,
      { timeoutMs: 30_000, intervalMs: 200, what: 'the backlog to be handled' },
    );
    await waitFor(() => consumerSettled(nc, ProbeNoted.stream, probeConsumer.durable));

    const info = await consumerInfo(nc, ProbeNoted.stream, probeConsumer.durable);
    expect(info.num_redelivered).toBe(0);
    expect(info.delivered.consumer_seq).toBe(noteIds.length);
  });
});
