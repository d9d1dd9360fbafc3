// Reading what reached the (emulated) Twilio API: the emulator logs each accepted message with its sid
// and the instant it was queued; Twilio's own Messages list gives each sid's recipient and text.
import { DEVELOPMENT_DEFAULTS } from '@trades/runtime';
import type { Managed } from './processes.ts';

export interface SentSms {
  sid: string;
  to: string;
  body: string;
  direction: string;
  /** When the emulator accepted it (epoch ms, from its log line). */
  queuedAt: number | undefined;
}

/** sid → epoch ms at which the emulator queued it, filled as its log lines arrive. */
export function watchQueued(emulator: Managed): Map<string, number> {
  const queued = new Map<string, number>();
  emulator.onLine((line) => {
    if (!line.includes('outbound message queued')) return;
    try {
      const entry: unknown = JSON.parse(line);
      if (typeof entry !== 'object' || entry === null) return;
      const sid = 'sid' in entry ? entry.sid : undefined;
      const time = 'time' in entry ? entry.time : undefined;
      if (typeof sid === 'string' && typeof time === 'number') queued.set(sid, time);
    } catch {
      // not a JSON log line
    }
  });
  return queued;
}

const text = (value: unknown, name: string): string => {
  const field =
    typeof value === 'object' && value !== null && name in value
      ? (value as Record<string, unknown>)[name]
      : '';
  return typeof field === 'string' ? field : '';
};

/** Every message the emulator holds, through Twilio's paginated Messages list. */
export async function listMessages(twilioUrl: string, queued: Map<string, number>): Promise<SentSms[]> {
  const sid = DEVELOPMENT_DEFAULTS['TWILIO_ACCOUNT_SID'] ?? '';
  const token = DEVELOPMENT_DEFAULTS['TWILIO_AUTH_TOKEN'] ?? '';
  const authorization = `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`;
  const messages: SentSms[] = [];
  const seen = new Set<string>();
  let next: string | null = `/2010-04-01/Accounts/${sid}/Messages.json?PageSize=1000`;
  while (next) {
    const response = await fetch(new URL(next, twilioUrl), { headers: { authorization } });
    if (!response.ok) throw new Error(`Twilio emulator list: ${response.status} ${await response.text()}`);
    const page: unknown = await response.json();
    const items = typeof page === 'object' && page !== null && 'messages' in page ? page.messages : [];
    for (const item of Array.isArray(items) ? (items as unknown[]) : []) {
      const messageSid = text(item, 'sid');
      if (seen.has(messageSid)) throw new Error(`Twilio emulator list: ${messageSid} on two pages`);
      seen.add(messageSid);
      messages.push({
        sid: messageSid,
        to: text(item, 'to'),
        body: text(item, 'body'),
        direction: text(item, 'direction'),
        queuedAt: queued.get(messageSid),
      });
    }
    const nextUri = text(page, 'next_page_uri');
    next = nextUri === '' ? null : nextUri;
  }
  return messages;
}

/** A text from `from` to the platform's number through the emulator's inbound API (a signed webhook). */
export async function inbound(twilioUrl: string, from: string, body: string): Promise<void> {
  const response = await fetch(`${twilioUrl}/__emulator/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, body }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`inbound SMS: ${response.status} ${text.slice(0, 200)}`);
  if (!text.includes('"webhookStatus":200')) throw new Error(`inbound SMS webhook: ${text.slice(0, 200)}`);
}

/** Makes later messages to `phone` end `undelivered` with Twilio's 30003 (unreachable handset). */
export async function undeliverable(twilioUrl: string, phone: string): Promise<void> {
  const response = await fetch(`${twilioUrl}/__emulator/undeliverable`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone }),
  });
  if (!response.ok) throw new Error(`undeliverable: ${response.status} ${await response.text()}`);
}
