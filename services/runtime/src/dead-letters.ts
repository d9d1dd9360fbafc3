import { randomUUID } from 'node:crypto';
import {
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  type JsMsg,
  type StoredMsg,
} from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import {
  AppError,
  AuditEntry,
  auditSubject,
  CORRELATION_HEADER,
  DEAD_LETTER_HEADERS,
  DEAD_LETTER_STREAM,
  deadLetterSubject,
  EventEnvelope,
} from '@trades/contracts';
import { Compile } from 'typebox/compile';

/**
 * Operators' work on the DEAD_LETTER stream (`npm run dlq`): list, show, replay, discard. A dead letter
 * is known by its sequence in that stream. Replaying republishes the original event, unchanged (same
 * envelope, same event id), to its original subject: the consumer that gave up handles it again, and
 * every other consumer of that subject finds the event id in its inbox (or its natural key) and skips it.
 * Replays and discards are recorded in the AUDIT stream with who did it and why.
 */

export interface DeadLetter {
  /** Its sequence in the DEAD_LETTER stream: the id operators name it by. */
  id: number;
  deadLetteredAt: string;
  /** The durable consumer that gave up on it. */
  consumer: string;
  /** Where the event was published, and where a replay sends it again. */
  subject: string;
  stream: string;
  sequence: number | undefined;
  deliveries: number | undefined;
  reason: string;
  correlationId: string | undefined;
  /** The event envelope, when the message was one (a dead letter may be any bytes). */
  envelope: EventEnvelope | undefined;
  /** The message as it was received. */
  data: Uint8Array;
  /** The dead letter's own Nats-Msg-Id (original stream, sequence and consumer). */
  msgId: string | undefined;
}

export interface Operator {
  /** Who acts: an email or a user name. */
  name: string;
}

export interface ReplayResult {
  letter: DeadLetter;
  /** False when this run had already republished the same event for another consumer's dead letter. */
  republished: boolean;
}

const envelopeCheck = Compile(EventEnvelope);
const auditEntryCheck = Compile(AuditEntry);

function parseEnvelope(data: Uint8Array): EventEnvelope | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(data));
    return envelopeCheck.Check(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function header(headers: MsgHdrs | undefined, name: string): string | undefined {
  const value = headers?.get(name);
  return value ? value : undefined;
}

function numberOrUndefined(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isSafeInteger(n) ? n : undefined;
}

function toDeadLetter(id: number, at: Date, subject: string, headers: MsgHdrs | undefined, data: Uint8Array) {
  const letter: DeadLetter = {
    id,
    deadLetteredAt: at.toISOString(),
    consumer: header(headers, DEAD_LETTER_HEADERS.consumer) ?? subject.replace(/^dlq\./, ''),
    subject: header(headers, DEAD_LETTER_HEADERS.subject) ?? '',
    stream: header(headers, DEAD_LETTER_HEADERS.stream) ?? '',
    sequence: numberOrUndefined(header(headers, DEAD_LETTER_HEADERS.sequence)),
    deliveries: numberOrUndefined(header(headers, DEAD_LETTER_HEADERS.deliveries)),
    reason: header(headers, DEAD_LETTER_HEADERS.reason) ?? '',
    correlationId: header(headers, CORRELATION_HEADER),
    envelope: parseEnvelope(data),
    data,
    msgId: header(headers, 'Nats-Msg-Id'),
  };
  return letter;
}

const fromStored = (m: StoredMsg): DeadLetter => toDeadLetter(m.seq, m.time, m.subject, m.header, m.data);
const fromConsumed = (m: JsMsg): DeadLetter =>
  toDeadLetter(m.info.streamSequence, m.time, m.subject, m.headers, m.data);

function streamMissing(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

const NO_STREAM = new AppError(
  503,
  'DEAD_LETTER_STREAM_MISSING',
  `The ${DEAD_LETTER_STREAM.name} stream does not exist on this NATS server; run \`npm run provision\` first.`,
);

/** Every dead letter, oldest first; only one consumer's when `consumer` (a durable name) is given. */
export async function listDeadLetters(
  nc: NatsConnection,
  options: { consumer?: string } = {},
): Promise<DeadLetter[]> {
  const jsm = await jetstreamManager(nc);
  const subject = options.consumer ? deadLetterSubject(options.consumer) : undefined;
  let expected: number;
  try {
    const info = await jsm.streams.info(DEAD_LETTER_STREAM.name, subject ? { subjects_filter: subject } : {});
    expected = subject ? (info.state.subjects?.[subject] ?? 0) : info.state.messages;
  } catch (error) {
    if (streamMissing(error)) throw NO_STREAM;
    throw error;
  }
  if (expected === 0) return [];
  const reader = await jetstream(nc).consumers.get(DEAD_LETTER_STREAM.name, {
    deliver_policy: DeliverPolicy.All,
    ...(subject ? { filter_subjects: subject } : {}),
  });
  const found: DeadLetter[] = [];
  try {
    while (found.length < expected) {
      const batch = await reader.fetch({
        max_messages: Math.min(500, expected - found.length),
        expires: 2_000,
      });
      let got = 0;
      for await (const message of batch) {
        got++;
        found.push(fromConsumed(message));
      }
      if (got === 0) break;
    }
  } finally {
    await reader.delete().catch(() => undefined);
  }
  return found;
}

function assertId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 1)
    throw new AppError(
      400,
      'INVALID_DEAD_LETTER_ID',
      `"${String(id)}" is not a dead letter id (a positive number).`,
    );
}

/** One dead letter by id; a 404 AppError when the stream holds none with that id. */
export async function getDeadLetter(nc: NatsConnection, id: number): Promise<DeadLetter> {
  assertId(id);
  const jsm = await jetstreamManager(nc);
  let stored: StoredMsg | null;
  try {
    stored = await jsm.streams.getMessage(DEAD_LETTER_STREAM.name, { seq: id });
  } catch (error) {
    if (streamMissing(error)) throw NO_STREAM;
    throw error;
  }
  if (!stored) {
    throw new AppError(
      404,
      'DEAD_LETTER_NOT_FOUND',
      `There is no dead letter ${id}: it was replayed, discarded or expired, or never existed (see \`npm run dlq -- list\`).`,
    );
  }
  return fromStored(stored);
}

async function audit(
  nc: NatsConnection,
  operator: Operator,
  action: 'dlq.replay' | 'dlq.discard',
  letter: DeadLetter,
  extra: Record<string, unknown>,
): Promise<void> {
  const entry: AuditEntry = {
    id: randomUUID(),
    at: new Date().toISOString(),
    operator: operator.name,
    via: 'cli',
    action,
    method: 'CLI',
    path: `dlq ${action.slice(4)} ${letter.id}`,
    target: String(letter.id),
    status: 200,
    summary: {
      consumer: letter.consumer,
      subject: letter.subject,
      eventId: letter.envelope?.id ?? null,
      deadLetterReason: letter.reason.slice(0, 200),
      ...extra,
    },
    correlationId: letter.correlationId ?? randomUUID(),
  };
  if (!auditEntryCheck.Check(entry)) throw new Error('audit entry does not match its schema');
  await jetstream(nc).publish(auditSubject(action), JSON.stringify(entry), { msgID: entry.id });
}

async function remove(jsm: JetStreamManager, id: number): Promise<void> {
  // Already gone (another operator at the same moment, or expiry): the outcome is the same.
  await jsm.streams.deleteMessage(DEAD_LETTER_STREAM.name, id).catch((error: unknown) => {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound)) throw error;
  });
}

/**
 * Republishes the dead letter's event to its original subject and stream, unchanged, records the replay
 * in AUDIT, then removes the dead letter. `alreadyReplayed` (event ids) lets `replay --all` send an event
 * that several consumers dead-lettered once: every consumer of the subject receives that one copy.
 */
export async function replayDeadLetter(
  nc: NatsConnection,
  id: number,
  operator: Operator,
  alreadyReplayed: Set<string> = new Set(),
): Promise<ReplayResult> {
  const letter = await getDeadLetter(nc, id);
  const { envelope } = letter;
  if (!envelope || !letter.subject || !letter.stream) {
    throw new AppError(
      409,
      'DEAD_LETTER_NOT_REPLAYABLE',
      `Dead letter ${id} is not an event envelope with its original subject (${letter.reason || 'no reason recorded'}); ` +
        'replaying it would only dead-letter it again: discard it.',
    );
  }
  const key = `${letter.subject} ${envelope.id}`;
  const republished = !alreadyReplayed.has(key);
  if (republished) {
    const h = natsHeaders();
    if (letter.correlationId) h.set(CORRELATION_HEADER, letter.correlationId);
    h.set('Dlq-Replayed-From', String(letter.id));
    // A fresh Nats-Msg-Id (the original one may still be in the stream's duplicate window), the same for
    // a second try of this replay, so a replay interrupted before the dead letter was removed is not
    // stored twice.
    await jetstream(nc).publish(letter.subject, letter.data, {
      headers: h,
      msgID: `replay:${letter.msgId ?? `dlq-${letter.id}`}`,
      expect: { streamName: letter.stream },
    });
    alreadyReplayed.add(key);
  }
  await audit(nc, operator, 'dlq.replay', letter, { republished });
  await remove(await jetstreamManager(nc), id);
  return { letter, republished };
}

/** Removes a dead letter without handling it, after recording who and why in AUDIT. */
export async function discardDeadLetter(
  nc: NatsConnection,
  id: number,
  operator: Operator,
  reason: string,
): Promise<DeadLetter> {
  if (reason.trim() === '') {
    throw new AppError(400, 'REASON_REQUIRED', 'Say why the dead letter is discarded (--reason "…").');
  }
  const letter = await getDeadLetter(nc, id);
  await audit(nc, operator, 'dlq.discard', letter, { reason: reason.trim().slice(0, 500) });
  await remove(await jetstreamManager(nc), id);
  return letter;
}
