// In-memory messages, and their rendering in Twilio's Message resource shape.
import { randomBytes } from 'node:crypto';

export const API_VERSION = '2010-04-01';

export type MessageDirection = 'inbound' | 'outbound-api' | 'outbound-reply';
export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'received';

export interface StoredMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  body: string;
  status: MessageStatus;
  direction: MessageDirection;
  numSegments: number;
  messagingServiceSid: string | null;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date | null;
  errorCode: number | null;
  errorMessage: string | null;
  price: string | null;
}

export interface TwilioMessageResource {
  account_sid: string;
  api_version: string;
  body: string;
  date_created: string;
  date_sent: string | null;
  date_updated: string;
  direction: MessageDirection;
  error_code: number | null;
  error_message: string | null;
  from: string;
  messaging_service_sid: string | null;
  num_media: string;
  num_segments: string;
  price: string | null;
  price_unit: string;
  sid: string;
  status: MessageStatus;
  subresource_uris: { media: string; feedback: string };
  to: string;
  uri: string;
}

export function newMessageSid(): string {
  return `SM${randomBytes(16).toString('hex')}`;
}

/** RFC 2822, as Twilio writes it: `Thu, 24 Aug 2023 05:01:45 +0000`. */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

export function messagesUri(accountSid: string): string {
  return `/${API_VERSION}/Accounts/${accountSid}/Messages.json`;
}

export function toResource(message: StoredMessage): TwilioMessageResource {
  const base = `/${API_VERSION}/Accounts/${message.accountSid}/Messages/${message.sid}`;
  return {
    account_sid: message.accountSid,
    api_version: API_VERSION,
    body: message.body,
    date_created: rfc2822(message.dateCreated),
    date_sent: message.dateSent ? rfc2822(message.dateSent) : null,
    date_updated: rfc2822(message.dateUpdated),
    direction: message.direction,
    error_code: message.errorCode,
    error_message: message.errorMessage,
    from: message.from,
    messaging_service_sid: message.messagingServiceSid,
    num_media: '0',
    num_segments: String(message.numSegments),
    price: message.price,
    price_unit: 'USD',
    sid: message.sid,
    status: message.status,
    subresource_uris: { media: `${base}/Media.json`, feedback: `${base}/Feedback.json` },
    to: message.to,
    uri: `${base}.json`,
  };
}

/** Inclusive bounds on date_sent; messages not yet sent never match a date filter. */
export interface MessageFilter {
  to?: string;
  from?: string;
  sentFrom?: Date;
  sentUntil?: Date;
}

export class MessageStore {
  // Kept oldest first; listing reverses it.
  readonly #messages: StoredMessage[] = [];

  add(message: StoredMessage): void {
    this.#messages.push(message);
  }

  get(accountSid: string, sid: string): StoredMessage | undefined {
    return this.#messages.find((m) => m.sid === sid && m.accountSid === accountSid);
  }

  remove(accountSid: string, sid: string): boolean {
    const index = this.#messages.findIndex((m) => m.sid === sid && m.accountSid === accountSid);
    if (index === -1) return false;
    this.#messages.splice(index, 1);
    return true;
  }

  update(message: StoredMessage, change: Partial<Omit<StoredMessage, 'sid' | 'accountSid'>>): void {
    Object.assign(message, change, { dateUpdated: new Date() });
  }

  /** Newest first, the order Twilio lists messages in. */
  list(accountSid: string, filter: MessageFilter): StoredMessage[] {
    const matches: StoredMessage[] = [];
    for (let i = this.#messages.length - 1; i >= 0; i--) {
      const message = this.#messages[i];
      if (message && message.accountSid === accountSid && matchesFilter(message, filter)) {
        matches.push(message);
      }
    }
    return matches;
  }

  get size(): number {
    return this.#messages.length;
  }

  clear(): void {
    this.#messages.length = 0;
  }
}

function matchesFilter(message: StoredMessage, filter: MessageFilter): boolean {
  if (filter.to !== undefined && message.to !== filter.to) return false;
  if (filter.from !== undefined && message.from !== filter.from) return false;
  if (filter.sentFrom !== undefined || filter.sentUntil !== undefined) {
    if (!message.dateSent) return false;
    const sent = message.dateSent.getTime();
    if (filter.sentFrom !== undefined && sent < filter.sentFrom.getTime()) return false;
    if (filter.sentUntil !== undefined && sent > filter.sentUntil.getTime()) return false;
  }
  return true;
}
