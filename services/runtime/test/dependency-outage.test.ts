import { randomUUID } from 'node:crypto';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { DEAD_LETTER_STREAM, deadLetterSubject } from '@trades/contracts';
import { databaseUrl, natsUrl, serviceEnv, spawnNode, waitFor, type ChildService } from '@trades/testkit';
import { probeConsumer, ProbeNoted } from './fixtures/probe.ts';
import {
  consumerSettled,
  count,
  envelopeOf,
  prepareProbe,
  PROBE_MAIN,
  publishEnvelope,
} from './fixtures/support.ts';

// The outage lasts 90 s by design (a PostgreSQL failover takes 30–120 s), and the back-off reaches its
// 60 s cap during it.
jest.setTimeout(300_000);

const OUTAGE_MS = 90_000;

/**
 * A TCP relay in front of PostgreSQL that can go down: closed, it cuts every open connection and
 * refuses new ones (ECONNREFUSED), as a database being failed over does.
 */
class DatabaseGate {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(this.#target.port, this.#target.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.#server = server;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The run's database URL, reached through the gate over TCP. */
function urlThrough(gate: DatabaseGate): string {
  const url = new URL(databaseUrl());
  url.hostname = '127.0.0.1';
  url.port = String(gate.port);
  url.searchParams.delete('host');
  return url.toString();
}

function upstreamOf(): { host: string; port: number } {
  const url = new URL(databaseUrl());
  const socketDir = url.searchParams.get('host');
  // The testkit's default server; a Unix-socket URL names the same server on its TCP port.
  return {
    host: !url.hostname || socketDir ? '127.0.0.1' : url.hostname,
    port: Number(url.port || 5432),
  };
}

/** The value of one sample on /metrics, 0 when it is absent. */
async function metric(port: number, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && wanted.every((pair) => l.includes(pair)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

let nc: NatsConnection;

/** How many of the probe consumer's events the dead-letter stream holds. */
async function deadLettered(): Promise<number> {
  const subject = deadLetterSubject(probeConsumer.durable);
  const info = await (
    await jetstreamManager(nc)
  ).streams.info(DEAD_LETTER_STREAM.name, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

let gate: DatabaseGate;
let probe: ChildService | undefined;
const httpPort = 19_000 + Math.floor(Math.random() * 1_000);

beforeAll(async () => {
  await prepareProbe();
  nc = await connect({ servers: natsUrl() });
  gate = new DatabaseGate(upstreamOf());
  await gate.open();
});

afterAll(async () => {
  if (probe && probe.child.exitCode === null) {
    probe.kill('SIGKILL');
    await probe.exited;
  }
  await gate?.close();
  await nc?.close();
});

describe('a dependency down for 90 seconds', () => {
  it('dead-letters nothing, alerts while it lasts, and every event is handled once it is back', async () => {
    probe = spawnNode(
      PROBE_MAIN,
      serviceEnv({
        DATABASE_URL: urlThrough(gate),
        HTTP_PORT: String(httpPort),
        LOG_LEVEL: 'info',
        // The business allows an hour; past 20 s of retrying an event is worth an operator's look.
        PROBE_RETRY_FOR_MS: String(60 * 60 * 1000),
        PROBE_RETRY_ALERT_AFTER_MS: '20000',
        // Its pool reconnected through the gate during the outage; on a loaded machine a clean drain can
        // take longer than the default 10 s, and this test is not about shutdown's bound.
        SHUTDOWN_TIMEOUT_MS: '30000',
      }),
    );
    await probe.waitForOutput(/intake is up/, 60_000);

    const noteIds: string[] = [];
    const handled = (): Promise<number> =>
      count('select count(*)::int as n from probe.probe_note where id = any($1::text[])', [noteIds]);
    const publishNotes = async (n: number, body: string): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const noteId = randomUUID();
        noteIds.push(noteId);
        await publishEnvelope(nc, ProbeNoted.subject, envelopeOf({ noteId, body }));
      }
    };

    await publishNotes(3, 'before the outage');
    await waitFor(async () => (await handled()) === 3, { what: 'the notes before the outage' });

    await gate.close();
    const outageStarted = Date.now();
    await publishNotes(10, 'at the start of the outage');
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS / 2));
    await publishNotes(10, 'in the middle of the outage');
    await new Promise((resolve) => setTimeout(resolve, outageStarted + OUTAGE_MS - Date.now()));

    // 90 s on, every event is still being retried: none was dead-lettered, none handled.
    expect(await deadLettered()).toBe(0);
    expect(await handled()).toBe(3);
    // The alert: failed deliveries of events retrying past the consumer's threshold are counted.
    expect(
      await metric(httpPort, 'jetstream_event_retries_overdue_total', { consumer: probeConsumer.durable }),
    ).toBeGreaterThan(0);
    await gate.open();

    await waitFor(async () => (await handled()) === noteIds.length, {
      timeoutMs: 150_000,
      intervalMs: 1_000,
      what: 'every note once PostgreSQL is back',
    });
    await waitFor(() => consumerSettled(nc, ProbeNoted.stream, probeConsumer.durable), {
      timeoutMs: 30_000,
      what: 'nothing pending or unacknowledged',
    });

    // Nothing went to the dead-letter stream, and each event was handled exactly once.
    expect(await deadLettered()).toBe(0);
    expect(
      await metric(httpPort, 'jetstream_messages_dead_lettered_total', { consumer: probeConsumer.durable }),
    ).toBe(0);
    expect(
      await count('select count(*)::int as n from probe.inbox where consumer = $1', [probeConsumer.durable]),
    ).toBe(noteIds.length);
    expect(await handled()).toBe(noteIds.length);
    expect(probe.output()).toMatch(/"level":"error".*retrying for longer than/);

    probe.kill('SIGTERM');
    const exitCode = await probe.exited;
    if (exitCode !== 0) {
      throw new Error(`the probe exited with ${exitCode} on SIGTERM:\n${probe.output().slice(-4000)}`);
    }
  });
});
