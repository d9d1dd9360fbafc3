import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createLogger, provisionJetStream, startService, type RunningService } from '@trades/runtime';
import { serviceEnv, waitFor } from '@trades/testkit';
import { reachable } from '../../testkit/src/infra.ts';
import { probeConsumer, ProbeNoted, ProbeRelayed, probeService } from './fixtures/probe.ts';
import { count, envelopeOf, prepareProbe, publishEnvelope, sql } from './fixtures/support.ts';

jest.setTimeout(90_000);

// A NATS server of this test's own, with a store that survives its restart.
const port = 25_000 + Math.floor(Math.random() * 1_000);
const url = `nats://127.0.0.1:${port}`;
const storeDir = mkdtempSync(join(tmpdir(), 'nats-restart-'));
let server: ChildProcess | undefined;
let probe: RunningService<{ PROBE_HANDLER_DELAY_MS: number }> | undefined;

async function startNats(): Promise<void> {
  server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
    stdio: 'ignore',
  });
  await waitFor(() => reachable(url, port, 200), { what: `nats-server on ${port}` });
}

async function stopNats(): Promise<void> {
  const running = server;
  server = undefined;
  if (!running || running.exitCode !== null) return;
  const exited = new Promise((resolve) => running.once('exit', resolve));
  running.kill('SIGTERM');
  await exited;
}

const noteHandled = async (noteId: string): Promise<boolean> =>
  (await count('select count(*)::int as n from probe.probe_note where id = $1', [noteId])) === 1;

async function publishNote(noteId: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    await publishEnvelope(nc, ProbeNoted.subject, envelopeOf({ noteId, body: 'around a restart' }));
  } finally {
    await nc.close();
  }
}

beforeAll(async () => {
  await prepareProbe();
  await startNats();
  const nc = await connect({ servers: url });
  try {
    await provisionJetStream(nc, {
      replicas: 1,
      log: createLogger('test', 'fatal'),
      consumers: [probeConsumer],
    });
  } finally {
    await nc.close();
  }
  probe = await startService(probeService, serviceEnv({ NATS_URL: url, LOG_LEVEL: 'fatal' }));
});

afterAll(async () => {
  if (!server) await startNats();
  await probe?.stop();
  await stopNats();
  rmSync(storeDir, { recursive: true, force: true });
});

describe('a NATS restart', () => {
  it('is ridden out: consumers resume and the outbox delivers what was written during the outage', async () => {
    const before = randomUUID();
    await publishNote(before);
    await waitFor(() => noteHandled(before), { what: 'the event before the restart' });

    await stopNats();
    const running = probe;
    if (!running) throw new Error('the probe did not start');
    const written = await running.ctx.transaction((em) => running.ctx.publish(em, ProbeRelayed, { n: 7 }));
    await startNats();

    const after = randomUUID();
    await publishNote(after);
    await waitFor(() => noteHandled(after), { timeoutMs: 30_000, what: 'the event after the restart' });
    await waitFor(
      async () =>
        (await sql('select 1 from probe.outbox where id = $1 and published_at is not null', [written]))
          .length === 1,
      { timeoutMs: 30_000, what: 'the outbox row written during the outage to be published' },
    );
    const nc = await connect({ servers: url });
    try {
      const info = await (
        await jetstreamManager(nc)
      ).streams.info(ProbeRelayed.stream, {
        subjects_filter: ProbeRelayed.subject,
      });
      expect(info.state.subjects?.[ProbeRelayed.subject]).toBe(1);
    } finally {
      await nc.close();
    }
  });
});
