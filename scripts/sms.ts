// Plays a locksmith texting the platform: sends Twilio's signed inbound-SMS webhook to
// the gateway and prints the TwiML reply. With the local Twilio emulator running (npm start),
// the text goes in through it, as through Twilio: the emulator records it, posts the signed
// webhook, and sends and tracks the TwiML's replies, so both show in its Messages list.
//
//   npm run sms -- --from +15551234567 "YES 20"
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { twilioSignature } from '../services/messaging/src/adapters/twilio-client.ts';
import { countSegments } from '../services/twilio-emulator/src/sms-encoding.ts';
import { readTwimlMessages } from '../services/twilio-emulator/src/twiml.ts';

const USAGE = `Usage: npm run sms -- --from <E.164 number> [--to <E.164 number>] [--url <target URL>] <message text>

Sends the text as an inbound SMS from --from, exactly as Twilio would deliver it to
\${BASE_URL}/api/webhooks/twilio/sms (signed with TWILIO_AUTH_TOKEN), and prints the reply.
When the local Twilio emulator answers (npm start runs it), the text goes in through the
emulator, which posts that webhook itself and sends the replies, as Twilio does; the texts the
platform sends back once it has acted are printed too (watched for SMS_WAIT_MS, default 3000).

Options:
  --from   the sender's phone number, e.g. +15551234567 (required)
  --to     the platform's number (default TWILIO_PHONE_NUMBER or +15005550006)
  --url    POST the webhook here, not through the emulator; the signature is still
           computed for the public URL
  --help   show this text

Environment: BASE_URL (http://localhost:8000), TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN,
TWILIO_PHONE_NUMBER, TWILIO_MESSAGING_SERVICE_SID (optional), TWILIO_API_BASE (the
emulator, default http://127.0.0.1:12112; EMULATORS=none skips it).

Example: npm run sms -- --from +15551234567 "YES 20"`;

const E164 = /^\+[1-9]\d{1,14}$/;

/** An empty TwiML: the platform answers YES, NO, OMW, DONE, AVAILABLE… by SMS once it has acted. */
const NO_REPLY_NOW =
  'no reply in the webhook answer; the platform texts back once it has acted (see the Twilio Messages list)';

class UsageError extends Error {}

interface SmsCommand {
  from: string;
  to: string;
  body: string;
  publicUrl: string;
  targetUrl: string;
  /** The Twilio emulator to send through, when the webhook's URL was not given. */
  emulatorUrl: string | null;
}

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        url: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function readCommand(argv: string[], env: NodeJS.ProcessEnv): SmsCommand | 'help' {
  const { values, positionals } = parseCommandLine(argv);
  if (values.help) return 'help';

  const from = values.from;
  if (from === undefined) throw new UsageError('--from is required');
  if (!E164.test(from))
    throw new UsageError(`--from must be an E.164 number such as +15551234567, got "${from}"`);
  const to = values.to ?? env.TWILIO_PHONE_NUMBER ?? '+15005550006';
  if (!E164.test(to)) throw new UsageError(`--to must be an E.164 number, got "${to}"`);
  const body = positionals.join(' ');
  if (body.trim() === '') throw new UsageError('the message text is missing');

  const baseUrl = (env.BASE_URL ?? 'http://localhost:8000').replace(/\/+$/, '');
  const publicUrl = `${baseUrl}/api/webhooks/twilio/sms`;
  if (!URL.canParse(publicUrl)) throw new UsageError(`BASE_URL is not a URL: "${baseUrl}"`);
  const targetUrl = values.url ?? publicUrl;
  if (!URL.canParse(targetUrl)) throw new UsageError(`--url is not a URL: "${targetUrl}"`);
  const emulatorUrl =
    values.url === undefined && env.EMULATORS !== 'none'
      ? (env.TWILIO_API_BASE ?? 'http://127.0.0.1:12112').replace(/\/+$/, '')
      : null;
  return { from, to, body, publicUrl, targetUrl, emulatorUrl };
}

/** What the emulator answers for an inbound SMS (`POST /__emulator/inbound`). */
interface EmulatorInbound {
  webhookStatus: number | null;
  webhookError?: string;
  replies: { body: string }[];
}

function isEmulatorInbound(value: unknown): value is EmulatorInbound {
  return (
    typeof value === 'object' &&
    value !== null &&
    'webhookStatus' in value &&
    'replies' in value &&
    Array.isArray(value.replies)
  );
}

interface ListedMessage {
  sid: string;
  body: string;
  direction: string;
}

/** The newest messages the emulator sent to a number (its Messages list, as Twilio's API serves it). */
async function textsTo(emulatorUrl: string, phone: string, env: NodeJS.ProcessEnv): Promise<ListedMessage[]> {
  const account = env.TWILIO_ACCOUNT_SID ?? 'ACdev00000000000000000000000000000';
  const token = env.TWILIO_AUTH_TOKEN ?? 'dev_twilio_auth_token';
  const response = await fetch(
    `${emulatorUrl}/2010-04-01/Accounts/${account}/Messages.json?To=${encodeURIComponent(phone)}&PageSize=50`,
    {
      headers: { authorization: `Basic ${Buffer.from(`${account}:${token}`).toString('base64')}` },
      signal: AbortSignal.timeout(5_000),
    },
  );
  if (!response.ok) return [];
  const page: unknown = await response.json();
  const messages =
    typeof page === 'object' && page !== null && 'messages' in page && Array.isArray(page.messages)
      ? (page.messages as unknown[])
      : [];
  return messages.filter(
    (m): m is ListedMessage =>
      typeof m === 'object' && m !== null && 'sid' in m && 'body' in m && 'direction' in m,
  );
}

/**
 * The texts the platform sends the number after it acted on the SMS ("You are now available", "You
 * got job …"): watched for `SMS_WAIT_MS` (default 3 s), and printed as they come, oldest first.
 */
async function printLaterTexts(
  emulatorUrl: string,
  phone: string,
  env: NodeJS.ProcessEnv,
  seen: Set<string>,
): Promise<void> {
  const deadline = Date.now() + Number(env.SMS_WAIT_MS ?? 3_000);
  let quietSince = Date.now();
  let printed = 0;
  while (Date.now() < deadline && !(printed > 0 && Date.now() - quietSince > 800)) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const fresh = (await textsTo(emulatorUrl, phone, env).catch(() => []))
      .filter((m) => !seen.has(m.sid) && m.direction !== 'inbound')
      .reverse();
    for (const message of fresh) {
      seen.add(message.sid);
      console.log(`← SMS: ${message.body}`);
      printed++;
      quietSince = Date.now();
    }
  }
  if (printed === 0) console.log("← no SMS back yet (see the emulator's Messages list for later ones)");
}

/**
 * Texts in through the Twilio emulator; undefined when no emulator answers there (then the script
 * posts the webhook itself).
 */
async function viaEmulator(
  command: SmsCommand,
  emulatorUrl: string,
  env: NodeJS.ProcessEnv,
): Promise<number | undefined> {
  let seen: Set<string>;
  try {
    seen = new Set((await textsTo(emulatorUrl, command.from, env)).map((m) => m.sid));
  } catch {
    return undefined;
  }
  let response: Response;
  try {
    response = await fetch(`${emulatorUrl}/__emulator/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: command.from, to: command.to, body: command.body }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch {
    return undefined;
  }
  const answer: unknown = await response.json().catch(() => null);
  if (!response.ok || !isEmulatorInbound(answer)) {
    console.error(`sms: the Twilio emulator at ${emulatorUrl} refused the text: ${JSON.stringify(answer)}`);
    return 1;
  }
  console.log(
    `→ SMS from ***${command.from.slice(-4)} through the Twilio emulator at ${emulatorUrl}: ${JSON.stringify(command.body)}`,
  );
  if (answer.webhookStatus === null) {
    console.error(
      `sms: the emulator could not reach the webhook: ${answer.webhookError ?? 'no webhook set'}`,
    );
    return 1;
  }
  console.log(`← webhook HTTP ${answer.webhookStatus}`);
  const ok = answer.webhookStatus >= 200 && answer.webhookStatus < 300;
  for (const reply of answer.replies) console.log(`← reply: ${reply.body}`);
  if (ok && answer.replies.length === 0) await printLaterTexts(emulatorUrl, command.from, env, seen);
  return ok ? 0 : 1;
}

/** The form Twilio POSTs for an incoming SMS. */
function inboundForm(command: SmsCommand, env: NodeJS.ProcessEnv): Record<string, string> {
  const sid = `SM${randomBytes(16).toString('hex')}`;
  const country = (phone: string): string => (phone.startsWith('+1') ? 'US' : '');
  const form: Record<string, string> = {
    AccountSid: env.TWILIO_ACCOUNT_SID ?? 'ACdev00000000000000000000000000000',
    ApiVersion: '2010-04-01',
    Body: command.body,
    From: command.from,
    FromCity: '',
    FromCountry: country(command.from),
    FromState: '',
    FromZip: '',
    MessageSid: sid,
    NumMedia: '0',
    NumSegments: String(countSegments(command.body)),
    SmsMessageSid: sid,
    SmsSid: sid,
    SmsStatus: 'received',
    To: command.to,
    ToCity: '',
    ToCountry: country(command.to),
    ToState: '',
    ToZip: '',
  };
  if (env.TWILIO_MESSAGING_SERVICE_SID) form.MessagingServiceSid = env.TWILIO_MESSAGING_SERVICE_SID;
  return form;
}

async function main(): Promise<number> {
  let command: SmsCommand | 'help';
  try {
    command = readCommand(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`sms: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (command === 'help') {
    console.log(USAGE);
    return 0;
  }

  if (command.emulatorUrl) {
    const code = await viaEmulator(command, command.emulatorUrl, process.env);
    if (code !== undefined) return code;
  }
  const authToken = process.env.TWILIO_AUTH_TOKEN ?? 'dev_twilio_auth_token';
  const form = inboundForm(command, process.env);
  console.log(
    `→ SMS from ***${command.from.slice(-4)} to ${command.targetUrl}: ${JSON.stringify(command.body)}`,
  );

  let response: Response;
  try {
    response = await fetch(command.targetUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'TwilioProxy/1.1',
        'x-twilio-signature': twilioSignature(authToken, command.publicUrl, form),
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    console.error(`sms: could not reach ${command.targetUrl}: ${String(error)}${cause}`);
    return 1;
  }
  const text = await response.text();
  console.log(`← HTTP ${response.status} ${response.statusText}`);

  const replies = readTwimlMessages(text);
  if (replies.length > 0) {
    for (const reply of replies) console.log(`← reply: ${reply.body}`);
  } else if (text.trim() !== '') {
    console.log(`← body: ${text.trim()}`);
  } else {
    console.log(`← ${NO_REPLY_NOW}`);
  }
  return response.ok ? 0 : 1;
}

process.exitCode = await main();
