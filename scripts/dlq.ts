// The dead-letter stream, for operators: what consumers gave up on, why, and putting it right.
//
//   npm run dlq -- list [--consumer <durable>] [--json]
//   npm run dlq -- show <id> [--json]
//   npm run dlq -- replay <id> | --all [--consumer <durable>]
//   npm run dlq -- discard <id> --reason "…"
import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { AppError } from '@trades/contracts';
import {
  BaseConfig,
  ConfigError,
  connectNats,
  createLogger,
  discardDeadLetter,
  getDeadLetter,
  listDeadLetters,
  loadConfig,
  maskPersonalData,
  replayDeadLetter,
  type DeadLetter,
  type NatsConnection,
  type Operator,
} from '@trades/runtime';

const USAGE = `Usage: npm run dlq -- <command> [options]

Commands:
  list                     every dead letter, oldest first (--consumer <durable> for one consumer's)
  show <id>                one dead letter: where it came from, why it was given up, its event
  replay <id>              publish its event again, unchanged, to its original subject, so the consumer
                           that gave up handles it again (the others skip it: they have its event id);
                           then remove it from the dead-letter stream
  replay --all             replay every dead letter (--consumer <durable> for one consumer's)
  discard <id> --reason "why"
                           remove it without handling it; who and why go to the AUDIT stream

Options:
  --consumer <durable>     only this consumer's dead letters (list, replay --all)
  --by <name>              who is acting, for the audit trail (default DLQ_OPERATOR, else user@host)
  --json                   machine-readable output (list, show)
  --help                   this text

An <id> is the dead letter's sequence in the DEAD_LETTER stream, as \`list\` shows it. Replays and
discards are recorded in the AUDIT stream (GET /api/admin/audit). Environment: NATS_URL.`;

class UsageError extends Error {}

type Command = { operator: Operator } & (
  | { name: 'list'; consumer: string | undefined; json: boolean }
  | { name: 'show'; id: number; json: boolean }
  | { name: 'replay'; id: number }
  | { name: 'replay-all'; consumer: string | undefined }
  | { name: 'discard'; id: number; reason: string }
);

function parseId(value: string | undefined, command: string): number {
  if (value === undefined) throw new UsageError(`${command} needs the id of a dead letter (see \`list\`)`);
  if (!/^[1-9]\d*$/.test(value))
    throw new UsageError(`"${value}" is not a dead letter id (a positive number)`);
  return Number(value);
}

function readCommand(argv: string[], env: NodeJS.ProcessEnv): Command | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        all: { type: 'boolean' },
        consumer: { type: 'string' },
        reason: { type: 'string' },
        by: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return 'help';
  const [name, idText, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  const operator = { name: values.by ?? env['DLQ_OPERATOR'] ?? `${userInfo().username}@${hostname()}` };
  const json = values.json ?? false;
  switch (name) {
    case 'list':
      if (idText !== undefined) throw new UsageError('list takes no id (use `show <id>`)');
      return { name, consumer: values.consumer, json, operator };
    case 'show':
      return { name, id: parseId(idText, name), json, operator };
    case 'replay':
      if (values.all) {
        if (idText !== undefined) throw new UsageError('replay takes an id or --all, not both');
        return { name: 'replay-all', consumer: values.consumer, operator };
      }
      if (values.consumer) throw new UsageError('--consumer goes with replay --all');
      return { name, id: parseId(idText, name), operator };
    case 'discard': {
      const reason = values.reason?.trim();
      if (!reason) throw new UsageError('discard needs --reason "why it is not handled"');
      return { name, id: parseId(idText, name), reason, operator };
    }
    default:
      throw new UsageError(`unknown command "${name ?? ''}"`);
  }
}

const eventIdOf = (letter: DeadLetter): string => letter.envelope?.id ?? '-';

function summary(letter: DeadLetter): Record<string, unknown> {
  return {
    id: letter.id,
    deadLetteredAt: letter.deadLetteredAt,
    consumer: letter.consumer,
    subject: letter.subject,
    stream: letter.stream,
    sequence: letter.sequence ?? null,
    deliveries: letter.deliveries ?? null,
    reason: letter.reason,
    correlationId: letter.correlationId ?? null,
    eventId: letter.envelope?.id ?? null,
    occurredAt: letter.envelope?.occurredAt ?? null,
  };
}

function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  '),
    )
    .join('\n');
}

async function list(nc: NatsConnection, consumer: string | undefined, json: boolean): Promise<void> {
  const letters = await listDeadLetters(nc, consumer ? { consumer } : {});
  if (json) {
    console.log(JSON.stringify(letters.map(summary), null, 2));
    return;
  }
  if (letters.length === 0) {
    console.log(consumer ? `No dead letters from ${consumer}.` : 'No dead letters.');
    return;
  }
  const reasonWidth = 80;
  console.log(
    table([
      ['ID', 'DEAD-LETTERED', 'CONSUMER', 'SUBJECT', 'DELIVERIES', 'EVENT', 'REASON'],
      ...letters.map((letter) => [
        String(letter.id),
        letter.deadLetteredAt.replace(/\.\d+Z$/, 'Z'),
        letter.consumer,
        letter.subject || '-',
        String(letter.deliveries ?? '-'),
        eventIdOf(letter),
        letter.reason.length > reasonWidth ? `${letter.reason.slice(0, reasonWidth - 1)}…` : letter.reason,
      ]),
    ]),
  );
  console.log(
    `\n${letters.length} dead letter(s). \`show <id>\` for one, \`replay <id>\` to handle it again.`,
  );
}

async function show(nc: NatsConnection, id: number, json: boolean): Promise<void> {
  const letter = await getDeadLetter(nc, id);
  const payload = letter.envelope
    ? maskPersonalData(letter.envelope.data)
    : new TextDecoder().decode(letter.data).slice(0, 2_000);
  if (json) {
    console.log(JSON.stringify({ ...summary(letter), data: payload }, null, 2));
    return;
  }
  const origin =
    letter.sequence === undefined ? letter.stream : `stream ${letter.stream}, sequence ${letter.sequence}`;
  console.log(
    table([
      ['dead letter', String(letter.id)],
      ['dead-lettered at', letter.deadLetteredAt],
      ['consumer', letter.consumer],
      ['subject', `${letter.subject || '-'}${origin ? ` (${origin})` : ''}`],
      ['deliveries', String(letter.deliveries ?? '-')],
      ['reason', letter.reason || '-'],
      ['event id', eventIdOf(letter)],
      ['occurred at', letter.envelope?.occurredAt ?? '-'],
      ['correlation id', letter.correlationId ?? '-'],
    ]),
  );
  console.log(letter.envelope ? 'payload (personal data masked):' : 'not an event envelope; its bytes:');
  console.log(typeof payload === 'string' ? payload : JSON.stringify(payload, null, 2));
}

async function replayOne(nc: NatsConnection, id: number, operator: Operator): Promise<void> {
  const { letter } = await replayDeadLetter(nc, id, operator);
  console.log(
    `Replayed dead letter ${letter.id}: event ${eventIdOf(letter)} published again to ${letter.subject}.`,
  );
}

async function replayAll(
  nc: NatsConnection,
  consumer: string | undefined,
  operator: Operator,
): Promise<number> {
  const letters = await listDeadLetters(nc, consumer ? { consumer } : {});
  if (letters.length === 0) {
    console.log('No dead letters to replay.');
    return 0;
  }
  const sent = new Set<string>();
  let failed = 0;
  for (const letter of letters) {
    try {
      const { republished } = await replayDeadLetter(nc, letter.id, operator, sent);
      console.log(
        `Replayed dead letter ${letter.id} (${letter.consumer}, ${letter.subject}, event ${eventIdOf(letter)})` +
          (republished ? '' : ': the event was already published again for another consumer'),
      );
    } catch (error) {
      failed++;
      console.error(`Dead letter ${letter.id} not replayed: ${messageOf(error)}`);
    }
  }
  console.log(`${letters.length - failed} of ${letters.length} dead letter(s) replayed.`);
  return failed === 0 ? 0 : 1;
}

async function discard(nc: NatsConnection, id: number, reason: string, operator: Operator): Promise<void> {
  const letter = await discardDeadLetter(nc, id, operator, reason);
  console.log(
    `Discarded dead letter ${letter.id} (${letter.consumer}, ${letter.subject || '-'}, event ${eventIdOf(letter)}); ` +
      `recorded in AUDIT as done by ${operator.name}.`,
  );
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function run(nc: NatsConnection, command: Command): Promise<number> {
  switch (command.name) {
    case 'list':
      await list(nc, command.consumer, command.json);
      return 0;
    case 'show':
      await show(nc, command.id, command.json);
      return 0;
    case 'replay':
      await replayOne(nc, command.id, command.operator);
      return 0;
    case 'replay-all':
      return replayAll(nc, command.consumer, command.operator);
    case 'discard':
      await discard(nc, command.id, command.reason, command.operator);
      return 0;
  }
}

async function main(): Promise<number> {
  let command: Command | 'help';
  try {
    command = readCommand(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`dlq: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (command === 'help') {
    console.log(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadConfig({ NATS_URL: BaseConfig.NATS_URL, LOG_LEVEL: BaseConfig.LOG_LEVEL });
  } catch (error) {
    console.error(`dlq: ${error instanceof ConfigError ? error.message : messageOf(error)}`);
    return 2;
  }
  // Connection notices only when something is wrong: the output is the command's.
  const log = createLogger('dlq', config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  let nc: NatsConnection;
  try {
    nc = await connectNats(config.NATS_URL, 'dlq', log);
  } catch (error) {
    console.error(`dlq: cannot reach NATS at ${config.NATS_URL}: ${messageOf(error)}`);
    return 1;
  }
  try {
    return await run(nc, command);
  } catch (error) {
    console.error(`dlq: ${error instanceof AppError ? error.message : messageOf(error)}`);
    return 1;
  } finally {
    await nc.drain();
  }
}

process.exitCode = await main();
