import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { AUDIT_STREAM, auditSubject, DEAD_LETTER_STREAM } from '@trades/contracts';
import {
  createLogger,
  listDeadLetters,
  on,
  provisionJetStream,
  startConsumer,
  startService,
  type DeadLetter,
  type RunningConsumer,
  type RunningService,
} from '@trades/runtime';
import { natsUrl, REPO_ROOT, serviceEnv, waitFor } from '@trades/testkit';
import { handlerCalls, probeConsumer, ProbeNoted, probeService } from './fixtures/probe.ts';
import {
  count,
  envelopeOf,
  prepareProbe,
  publishEnvelope,
  publishRaw,
  storedMessages,
} from './fixtures/support.ts';

jest.setTimeout(90_000);

const { durable } = probeConsumer;
/** A second consumer of the probe's events, which handles them at the first try. */
const otherConsumer = { ...probeConsumer, durable: 'intake-probe-other' };
const otherCalls = new Map<string, number>();

let nc: NatsConnection;
let probe: RunningService<{ PROBE_HANDLER_DELAY_MS: number }>;
let other: RunningConsumer;

beforeAll(async () => {
  await prepareProbe();
  nc = await connect({ servers: natsUrl() });
  await provisionJetStream(nc, {
    replicas: 1,
    log: createLogger('test', 'fatal'),
    streams: [],
    consumers: [otherConsumer],
  });
  // Dead letters log errors on purpose.
  probe = await startService(probeService, serviceEnv({ LOG_LEVEL: 'fatal' }));
  other = await startConsumer(
    {
      definition: otherConsumer,
      handlers: [
        on(ProbeNoted, async ({ noteId }) => {
          otherCalls.set(noteId, (otherCalls.get(noteId) ?? 0) + 1);
        }),
      ],
    },
    {
      js: probe.ctx.js,
      schema: probe.ctx.schema,
      log: createLogger('test', 'fatal'),
      metrics: probe.ctx.metrics,
      transaction: probe.ctx.transaction,
    },
  );
});

afterAll(async () => {
  await other?.stop();
  await probe?.stop();
  await nc?.close();
});

beforeEach(async () => {
  await (await jetstreamManager(nc)).streams.purge(DEAD_LETTER_STREAM.name);
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run dlq -- …` as an operator would (the script itself, on this Node). */
function dlq(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['scripts/dlq.ts', ...args],
      { cwd: REPO_ROOT, env: { ...process.env, NATS_URL: natsUrl(), LOG_LEVEL: 'warn' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Publishes a note for the probe; resolves with its id. */
async function note(data: { body: string; failTimes?: number }): Promise<string> {
  const noteId = randomUUID();
  await publishEnvelope(nc, ProbeNoted.subject, envelopeOf({ noteId, ...data }));
  return noteId;
}

/** The probe consumer's dead letter of a note, once it is there. */
function deadLetterOf(noteId: string): Promise<DeadLetter> {
  return waitFor(
    async () =>
      (await listDeadLetters(nc, { consumer: durable })).find((letter) => {
        const data = letter.envelope?.data;
        return typeof data === 'object' && data !== null && 'noteId' in data && data.noteId === noteId;
      }),
    { timeoutMs: 20_000, intervalMs: 250, what: `the dead letter of note ${noteId}` },
  );
}

const noteStored = async (noteId: string): Promise<boolean> =>
  (await count('select count(*)::int as n from probe.probe_note where id = $1', [noteId])) === 1;

async function duplicatesSkippedByOther(): Promise<number> {
  const metric = await probe.ctx.metrics.consumed.get();
  return metric.values
    .filter((v) => v.labels.consumer === otherConsumer.durable && v.labels.outcome === 'duplicate')
    .reduce((sum, v) => sum + v.value, 0);
}

async function auditEntries(action: string): Promise<Record<string, unknown>[]> {
  const stored = await storedMessages(nc, AUDIT_STREAM.name, auditSubject(action));
  return stored.map((m) => JSON.parse(m.body) as Record<string, unknown>);
}

describe('npm run dlq', () => {
  it('lists the dead letters and shows one: where it came from, why, and its event', async () => {
    const rejected = await note({ body: 'reject' });
    const exhausted = await note({ body: 'keeps failing', failTimes: 100 });
    const first = await deadLetterOf(rejected);
    const second = await deadLetterOf(exhausted);

    const listed = await dlq('list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+DEAD-LETTERED\s+CONSUMER\s+SUBJECT\s+DELIVERIES\s+EVENT\s+REASON/);
    expect(listed.stdout).toMatch(
      new RegExp(
        `^${first.id}\\s+\\S+\\s+${durable}\\s+${ProbeNoted.subject}\\s+1\\s+${first.envelope?.id}\\s+The probe refuses this note\\.$`,
        'm',
      ),
    );
    expect(listed.stdout).toMatch(new RegExp(`^${second.id}\\s.*transient failure 3 \\(still failing`, 'm'));

    const asJson = await dlq('list', '--consumer', durable, '--json');
    expect(asJson.code).toBe(0);
    expect(JSON.parse(asJson.stdout)).toEqual([
      expect.objectContaining({
        id: first.id,
        consumer: durable,
        subject: ProbeNoted.subject,
        deliveries: 1,
      }),
      expect.objectContaining({ id: second.id, deliveries: 3, eventId: second.envelope?.id }),
    ]);
    expect((await dlq('list', '--consumer', 'nobody')).stdout).toContain('No dead letters from nobody.');

    const shown = await dlq('show', String(second.id));
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^reason\s+transient failure 3 \(still failing after 3 deliveries/m);
    expect(shown.stdout).toMatch(new RegExp(`^event id\\s+${second.envelope?.id}$`, 'm'));
    expect(shown.stdout).toMatch(
      new RegExp(`^subject\\s+${ProbeNoted.subject} \\(stream ${ProbeNoted.stream}, sequence \\d+\\)$`, 'm'),
    );
    expect(shown.stdout).toContain(`"noteId": "${exhausted}"`);
    const shownJson = await dlq('show', String(second.id), '--json');
    expect(JSON.parse(shownJson.stdout)).toMatchObject({ id: second.id, data: { noteId: exhausted } });
  });

  it('refuses unknown ids, bad ids and a discard without a reason, saying what is wrong', async () => {
    const unknown = '999999';
    for (const args of [
      ['show', unknown],
      ['replay', unknown],
      ['discard', unknown, '--reason', 'gone'],
    ]) {
      const result = await dlq(...args);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`There is no dead letter ${unknown}`);
    }
    const notANumber = await dlq('show', 'abc');
    expect(notANumber.code).toBe(2);
    expect(notANumber.stderr).toContain('"abc" is not a dead letter id');

    const rejected = await note({ body: 'reject' });
    const letter = await deadLetterOf(rejected);
    const noReason = await dlq('discard', String(letter.id));
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('discard needs --reason');
    expect((await dlq('show', String(letter.id))).code).toBe(0);

    // Bytes that are no event cannot be replayed, only discarded.
    const sequence = await publishRaw(nc, ProbeNoted.subject, new TextEncoder().encode('not json'));
    const garbage = await waitFor(
      async () => (await listDeadLetters(nc, { consumer: durable })).find((l) => l.sequence === sequence),
      { what: 'the dead letter of the garbage' },
    );
    const replayed = await dlq('replay', String(garbage.id));
    expect(replayed.code).toBe(1);
    expect(replayed.stderr).toMatch(/is not an event envelope .* discard it/);
  });

  it('replays an event to the consumer that gave up, the others skip it by its event id, and it leaves the DLQ', async () => {
    // The probe fails three times (its whole retry window) and dead-letters it; the other consumer
    // handled it at once.
    const noteId = await note({ body: 'replay me', failTimes: 3 });
    const letter = await deadLetterOf(noteId);
    await waitFor(() => otherCalls.get(noteId) === 1, { what: 'the other consumer to handle it' });
    expect(await noteStored(noteId)).toBe(false);
    const skippedBefore = await duplicatesSkippedByOther();

    const result = await dlq('replay', String(letter.id), '--by', 'ops@example.com');

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Replayed dead letter ${letter.id}: event ${letter.envelope?.id}`);
    await waitFor(() => noteStored(noteId), { what: 'the replayed note to be handled' });
    expect(handlerCalls(noteId)).toBe(4);
    // The other consumer received the same event again, found its id in its inbox, and skipped it.
    await waitFor(async () => (await duplicatesSkippedByOther()) > skippedBefore, {
      what: 'the other consumer to skip the replayed copy',
    });
    expect(otherCalls.get(noteId)).toBe(1);
    expect(
      await count('select count(*)::int as n from probe.inbox where event_id = $1', [letter.envelope?.id]),
    ).toBe(2);
    // Gone from the dead-letter stream, and on the record.
    expect((await dlq('show', String(letter.id))).code).toBe(1);
    expect(await auditEntries('dlq.replay')).toContainEqual(
      expect.objectContaining({
        operator: 'ops@example.com',
        via: 'cli',
        action: 'dlq.replay',
        target: String(letter.id),
        summary: expect.objectContaining({ consumer: durable, eventId: letter.envelope?.id }),
      }),
    );
  });

  it('replays every dead letter of a consumer with --all', async () => {
    const noteIds = [
      await note({ body: 'all 1', failTimes: 3 }),
      await note({ body: 'all 2', failTimes: 3 }),
    ];
    for (const noteId of noteIds) await deadLetterOf(noteId);

    const result = await dlq('replay', '--all', '--consumer', durable);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('2 of 2 dead letter(s) replayed.');
    for (const noteId of noteIds) await waitFor(() => noteStored(noteId), { what: `note ${noteId}` });
    expect(await listDeadLetters(nc, { consumer: durable })).toEqual([]);
  });

  it('discards a dead letter without handling it, recording who and why', async () => {
    const noteId = await note({ body: 'reject' });
    const letter = await deadLetterOf(noteId);

    const result = await dlq(
      'discard',
      String(letter.id),
      '--reason',
      'customer refunded by hand',
      '--by',
      'ops@example.com',
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Discarded dead letter ${letter.id}`);
    expect((await dlq('show', String(letter.id))).code).toBe(1);
    expect(await auditEntries('dlq.discard')).toContainEqual(
      expect.objectContaining({
        operator: 'ops@example.com',
        via: 'cli',
        action: 'dlq.discard',
        target: String(letter.id),
        summary: expect.objectContaining({
          reason: 'customer refunded by hand',
          eventId: letter.envelope?.id,
        }),
      }),
    );
    expect(handlerCalls(noteId)).toBe(1);
  });
});
