import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { createLogger, encodeJson, enqueueEvent, ormFor, OutboxRelay, type MikroORM } from '@trades/runtime';
import { databaseUrl, natsUrl, serviceEnv, spawnNode } from '@trades/testkit';
import { ProbeRelayed, probeService } from './fixtures/probe.ts';
import { count, prepareProbe, sql, storedMessages } from './fixtures/support.ts';

const RELAY_MAIN = 'services/runtime/test/fixtures/outbox-relay-main.ts';
const { stream, subject } = ProbeRelayed;

jest.setTimeout(60_000);

let nc: NatsConnection;

beforeAll(async () => {
  await prepareProbe();
  nc = await connect({ servers: natsUrl() });
});

afterAll(async () => {
  await nc.close();
});

beforeEach(async () => {
  await sql('truncate probe.outbox');
  const jsm = await jetstreamManager(nc);
  await jsm.streams.purge(stream, { filter: subject });
});

async function outboxIds(): Promise<string[]> {
  const rows = await sql<{ id: string }>('select id from probe.outbox order by id');
  return rows.map((r) => r.id);
}

describe('the outbox relay', () => {
  it('publishes exactly once per row even when the relay is killed mid-batch and restarted', async () => {
    const total = 300;
    const killAfter = 150;
    const crashed = spawnNode(RELAY_MAIN, {
      ...serviceEnv(),
      OUTBOX_ROWS: String(total),
      OUTBOX_BATCH: '100',
      OUTBOX_KILL_AFTER: String(killAfter),
    });
    const code = await crashed.exited;
    expect(crashed.child.signalCode).toBe('SIGKILL');
    expect(code).toBeNull();
    expect(crashed.output()).toContain(`enqueued ${total}`);
    expect(crashed.output()).not.toContain('relayed');

    // The first batch was committed; the second was cut off after JetStream had stored part of it.
    expect(await count('select count(*)::int as n from probe.outbox')).toBe(total);
    expect(await count('select count(*)::int as n from probe.outbox where published_at is not null')).toBe(
      100,
    );
    const afterCrash = await storedMessages(nc, stream, subject);
    expect(afterCrash.length).toBeGreaterThanOrEqual(killAfter);
    expect(afterCrash.length).toBeLessThan(total);

    const restarted = spawnNode(RELAY_MAIN, { ...serviceEnv(), OUTBOX_BATCH: '100' });
    expect(await restarted.exited).toBe(0);
    expect(restarted.output()).toContain('relayed');

    const stored = await storedMessages(nc, stream, subject);
    expect(stored).toHaveLength(total);
    const ids = stored.map((m) => m.msgId);
    expect(new Set(ids).size).toBe(total);
    expect([...ids].sort()).toEqual(await outboxIds());
    // The envelope's id is the row id too: consumers deduplicate on it.
    expect(stored.every((m) => m.body.includes(`"id":"${m.msgId ?? 'missing'}"`))).toBe(true);
    expect(await count('select count(*)::int as n from probe.outbox where published_at is null')).toBe(0);
  });

  describe('with two relays on the same table', () => {
    const orms: MikroORM[] = [];

    beforeAll(async () => {
      orms.push(await ormFor(probeService, databaseUrl()), await ormFor(probeService, databaseUrl()));
    });

    afterAll(async () => {
      await Promise.all(orms.map((o) => o.close()));
    });

    it('claims rows with SKIP LOCKED, so each row is published by one relay, once', async () => {
      const total = 200;
      const [first, second] = orms;
      if (!first || !second) throw new Error('two ORMs expected');
      await first.em.fork().transactional(async (em) => {
        for (let n = 0; n < total; n++) await enqueueEvent(em, probeService.schema, ProbeRelayed, { n });
      });

      const js = jetstream(nc);
      const publishedBy: string[][] = [[], []];
      const relays = [first, second].map(
        (orm, index) =>
          new OutboxRelay({
            orm,
            schema: probeService.schema,
            log: createLogger(`relay-${index}`, 'warn'),
            batchSize: 10,
            publish: async (row) => {
              publishedBy[index]?.push(row.id);
              await js.publish(row.subject, encodeJson(row.payload), { msgID: row.id });
            },
          }),
      );
      await Promise.all(relays.map((r) => r.flush()));

      const calls = publishedBy.flat();
      expect(calls).toHaveLength(total);
      expect(new Set(calls).size).toBe(total);
      expect(publishedBy[0]?.length).toBeGreaterThan(0);
      expect(publishedBy[1]?.length).toBeGreaterThan(0);

      const stored = await storedMessages(nc, stream, subject);
      expect(stored).toHaveLength(total);
      expect(new Set(stored.map((m) => m.msgId)).size).toBe(total);
      expect([...calls].sort()).toEqual(await outboxIds());
      expect(await count('select count(*)::int as n from probe.outbox where published_at is null')).toBe(0);
      expect(await count('select count(*)::int as n from probe.outbox where attempts <> 1')).toBe(0);
    });
  });
});
