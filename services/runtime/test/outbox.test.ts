import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { CORRELATION_HEADER } from '@trades/contracts';
import {
  createLogger,
  encodeJson,
  enqueueEvent,
  ormFor,
  OutboxRelay,
  startService,
  withContext,
  type MikroORM,
  type OutboxRow,
  type RelayOptions,
  type RunningService,
} from '@trades/runtime';
import { databaseUrl, natsUrl, serviceEnv, spawnNode, waitFor } from '@trades/testkit';
import { ProbeRelayed, probeService } from './fixtures/probe.ts';
import { count, prepareProbe, sql, storedMessages } from './fixtures/support.ts';

/**
 * A relay on the probe's outbox that publishes to JetStream with `Nats-Msg-Id` = the row id; `before`
 * runs ahead of each publish (to record the row, or to refuse it by throwing).
 */
function jetStreamRelay(
  nc: NatsConnection,
  orm: MikroORM,
  name: string,
  options: Partial<Pick<RelayOptions, 'batchSize' | 'graceMs' | 'markDelayMs'>> & {
    logLevel?: 'warn' | 'fatal';
    before?: (row: OutboxRow) => void;
  } = {},
): OutboxRelay {
  const js = jetstream(nc);
  const { logLevel = 'fatal', before, ...relayOptions } = options;
  return new OutboxRelay({
    orm,
    schema: probeService.schema,
    log: createLogger(name, logLevel),
    ...relayOptions,
    publish: async (row) => {
      before?.(row);
      await js.publish(row.subject, encodeJson(row.payload), { msgID: row.id });
    },
  });
}

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

  it('keeps a row JetStream refuses, with the reason, without holding back the rows behind it', async () => {
    const orm = await ormFor(probeService, databaseUrl());
    try {
      // First in line: a subject no stream captures, so every publish of it fails.
      const [refused] = await sql<{ id: string }>(
        `insert into probe.outbox (id, subject, payload, headers, created_at)
         values (gen_random_uuid(), 'evt.nowhere.thing.happened.v1', '{}'::jsonb, '{}'::jsonb, now() - interval '1 minute')
         returning id`,
      );
      await orm.em.fork().transactional(async (em) => {
        for (let n = 0; n < 3; n++) await enqueueEvent(em, probeService.schema, ProbeRelayed, { n });
      });
      const relay = jetStreamRelay(nc, orm, 'relay');
      await relay.flush();

      expect(await storedMessages(nc, stream, subject)).toHaveLength(3);
      const [row] = await sql<{ published_at: Date | null; attempts: number; last_error: string | null }>(
        'select published_at, attempts, last_error from probe.outbox where id = $1',
        [refused?.id],
      );
      expect(row?.published_at).toBeNull();
      expect(row?.attempts).toBeGreaterThanOrEqual(1);
      expect(row?.last_error).toEqual(expect.any(String));
      expect(await count('select count(*)::int as n from probe.outbox where published_at is null')).toBe(1);
    } finally {
      await orm.close();
    }
  });

  describe('right after commit', () => {
    let orm: MikroORM;
    const published: string[] = [];
    let relay: OutboxRelay;

    beforeAll(async () => {
      orm = await ormFor(probeService, databaseUrl());
      // Never started: no poll runs, so whatever is published here came from the commit itself.
      relay = jetStreamRelay(nc, orm, 'relay-direct', {
        logLevel: 'warn',
        before: (row) => published.push(row.id),
      });
    });

    afterAll(async () => {
      await relay.stop();
      await orm.close();
    });

    beforeEach(() => {
      published.length = 0;
    });

    it('publishes the rows a transaction enqueued, in order, and marks them published, without a poll', async () => {
      const ids = await relay.transaction(async (em) => [
        await enqueueEvent(em, probeService.schema, ProbeRelayed, { n: 1 }),
        await enqueueEvent(em, probeService.schema, ProbeRelayed, { n: 2 }),
      ]);
      await waitFor(
        async () =>
          (await count('select count(*)::int as n from probe.outbox where published_at is not null')) === 2,
      );
      expect(published).toEqual(ids);
      const stored = await storedMessages(nc, stream, subject);
      expect(stored.map((m) => m.msgId)).toEqual(ids);
      expect(await count('select count(*)::int as n from probe.outbox where attempts <> 1')).toBe(0);
    });

    it('marks the rows of concurrent commits with one UPDATE, and marks what is gathering when stopped', async () => {
      const gathering = jetStreamRelay(nc, orm, 'relay-gathering', { logLevel: 'warn', markDelayMs: 1_000 });
      const ids = await Promise.all(
        [1, 2, 3, 4, 5].map((n) =>
          gathering.transaction((em) => enqueueEvent(em, probeService.schema, ProbeRelayed, { n })),
        ),
      );
      await waitFor(
        async () =>
          (await count(
            'select count(*)::int as n from probe.outbox where id = any($1) and published_at is not null',
            [ids],
          )) === 5,
      );
      // now() is the statement's transaction time: one UPDATE, one instant.
      expect(
        await count('select count(distinct published_at)::int as n from probe.outbox where id = any($1)', [
          ids,
        ]),
      ).toBe(1);

      const last = await gathering.transaction((em) =>
        enqueueEvent(em, probeService.schema, ProbeRelayed, { n: 6 }),
      );
      await gathering.stop();
      expect(
        await count(
          'select count(*)::int as n from probe.outbox where id = $1 and published_at is not null',
          [last],
        ),
      ).toBe(1);
      expect(() => jetStreamRelay(nc, orm, 'relay-late-marks', { graceMs: 100, markDelayMs: 100 })).toThrow(
        'well within graceMs',
      );
    });

    it('publishes nothing for a transaction that rolls back or enqueued nothing', async () => {
      await expect(
        relay.transaction(async (em) => {
          await enqueueEvent(em, probeService.schema, ProbeRelayed, { n: 1 });
          throw new Error('the state change failed');
        }),
      ).rejects.toThrow('the state change failed');
      expect(await relay.transaction(async () => 'no events')).toBe('no events');
      await relay.flush();
      expect(published).toEqual([]);
      expect(await count('select count(*)::int as n from probe.outbox')).toBe(0);
    });

    it('leaves a row whose publish failed to the safety net, which waits out the grace period', async () => {
      let refuse = true;
      const flaky = jetStreamRelay(nc, orm, 'relay-flaky', {
        graceMs: 60_000,
        before: () => {
          if (refuse) throw new Error('NATS is away');
        },
      });
      const id = await flaky.transaction((em) =>
        enqueueEvent(em, probeService.schema, ProbeRelayed, { n: 7 }),
      );
      await flaky.stop();
      expect(await count('select count(*)::int as n from probe.outbox where published_at is null')).toBe(1);

      refuse = false;
      // Younger than the grace period: the poll leaves it to the commit that wrote it.
      expect(await flaky.relayOnce(60_000)).toBe(0);
      expect(await flaky.relayOnce(0)).toBe(1);
      const stored = await storedMessages(nc, stream, subject);
      expect(stored.map((m) => m.msgId)).toEqual([id]);
      expect(await count('select count(*)::int as n from probe.outbox where published_at is null')).toBe(0);
    });
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

      const publishedBy: string[][] = [[], []];
      const relays = [first, second].map((orm, index) =>
        jetStreamRelay(nc, orm, `relay-${index}`, {
          logLevel: 'warn',
          batchSize: 10,
          before: (row) => publishedBy[index]?.push(row.id),
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

  describe('inside a service', () => {
    let probe: RunningService<{ PROBE_HANDLER_DELAY_MS: number }>;

    beforeAll(async () => {
      probe = await startService(probeService, serviceEnv());
    });

    afterAll(async () => {
      await probe?.stop();
    });

    it('publishes an event after its transaction commits, with the row id and the correlation id of the work', async () => {
      const id = await withContext('outbox-corr-0001', () =>
        probe.ctx.transaction((em) => probe.ctx.publish(em, ProbeRelayed, { n: 1 })),
      );
      const [message] = await waitFor(async () => {
        const stored = await storedMessages(nc, stream, subject);
        return stored.length > 0 ? stored : undefined;
      });
      expect(message?.msgId).toBe(id);
      expect(message?.headers[CORRELATION_HEADER]).toBe('outbox-corr-0001');
      expect(JSON.parse(message?.body ?? '{}')).toMatchObject({ id, data: { n: 1 } });
      await waitFor(
        async () =>
          (await count('select count(*)::int as n from probe.outbox where published_at is null')) === 0,
      );
    });

    it('never publishes an event whose transaction rolls back', async () => {
      await expect(
        probe.ctx.transaction(async (em) => {
          await probe.ctx.publish(em, ProbeRelayed, { n: 2 });
          throw new Error('the state change failed');
        }),
      ).rejects.toThrow('the state change failed');
      await probe.ctx.transaction((em) => probe.ctx.publish(em, ProbeRelayed, { n: 3 }));

      const stored = await waitFor(async () => {
        const messages = await storedMessages(nc, stream, subject);
        return messages.length > 0 ? messages : undefined;
      });
      expect(stored.map((m) => JSON.parse(m.body).data)).toEqual([{ n: 3 }]);
      expect(await count('select count(*)::int as n from probe.outbox')).toBe(1);
    });

    it('refuses an event that breaks its contract, failing the transaction', async () => {
      await expect(
        probe.ctx.transaction((em) =>
          // @ts-expect-error -- the contract's type forbids this payload; the runtime must refuse it too
          enqueueEvent(em, probeService.schema, ProbeRelayed, { n: 'three' }),
        ),
      ).rejects.toThrow(/breaks its contract/);
      expect(await count('select count(*)::int as n from probe.outbox')).toBe(0);
    });
  });
});
