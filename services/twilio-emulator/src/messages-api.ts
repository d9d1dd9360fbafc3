// Twilio's Programmable Messaging REST API, 2010-04-01: the Messages list and instance
// resources, with Twilio's auth, validation errors and paging.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EmulatorContext } from './context.ts';
import { queueOutbound } from './outbound.ts';
import { isE164, maskPhone } from './phone.ts';
import { MAX_BODY_LENGTH } from './sms-encoding.ts';
import { messagesUri, toResource, type MessageFilter, type StoredMessage } from './store.ts';
import { magicFromNumberError, magicToNumberError, TwilioApiError, twilioError } from './twilio-errors.ts';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;
const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;
const SHORT_CODE = /^\d{5,6}$/;
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Registers the routes under `/2010-04-01`. */
export function messagesApi(ctx: EmulatorContext) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', async (request, reply) => {
      if (!isAuthorized(ctx, request)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Basic realm="Twilio API"')
          .send(twilioError(401, 20003, 'Authenticate'));
      }
    });

    app.post('/Accounts/:AccountSid/Messages.json', async (request, reply) => {
      const message = createMessage(ctx, request.body);
      return reply.code(201).send(toResource(message));
    });

    app.get('/Accounts/:AccountSid/Messages.json', async (request) => listMessages(ctx, request.query));

    app.get('/Accounts/:AccountSid/Messages/:MessageSid.json', async (request) => {
      const message = ctx.store.get(ctx.accountSid, pathParam(request.params, 'MessageSid'));
      if (!message) throw notFound(request);
      return toResource(message);
    });

    app.delete('/Accounts/:AccountSid/Messages/:MessageSid.json', async (request, reply) => {
      if (!ctx.store.remove(ctx.accountSid, pathParam(request.params, 'MessageSid'))) throw notFound(request);
      return reply.code(204).send();
    });
  };
}

function isAuthorized(ctx: EmulatorContext, request: FastifyRequest): boolean {
  const credentials = basicCredentials(request.headers.authorization);
  return (
    credentials !== undefined &&
    credentials.username === ctx.accountSid &&
    sameSecret(credentials.password, ctx.authToken) &&
    pathParam(request.params, 'AccountSid') === ctx.accountSid
  );
}

function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function pathParam(params: unknown, name: string): string {
  const value = isRecord(params) ? params[name] : undefined;
  return typeof value === 'string' ? value : '';
}

/** A form or query field; a repeated field counts by its first value. */
function field(source: unknown, name: string): string | undefined {
  const value = isRecord(source) ? source[name] : undefined;
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

function notFound(request: FastifyRequest): TwilioApiError {
  const path = request.url.split('?')[0] ?? request.url;
  return new TwilioApiError(404, 20404, `The requested resource ${path} was not found`);
}

function createMessage(ctx: EmulatorContext, form: unknown): StoredMessage {
  const to = field(form, 'To')?.trim();
  const from = field(form, 'From')?.trim() || undefined;
  const messagingServiceSid = field(form, 'MessagingServiceSid')?.trim() || undefined;
  const body = field(form, 'Body');
  const statusCallback = field(form, 'StatusCallback')?.trim() || undefined;

  if (!to) throw new TwilioApiError(400, 21604, "A 'To' phone number is required.");
  if (!from && !messagingServiceSid)
    throw new TwilioApiError(400, 21603, "A 'From' phone number is required.");
  if (messagingServiceSid && !MESSAGING_SERVICE_SID.test(messagingServiceSid)) {
    throw new TwilioApiError(400, 21701, `The Messaging Service Sid ${messagingServiceSid} is invalid.`);
  }
  if (body === undefined || body === '') throw new TwilioApiError(400, 21602, 'Message body is required.');
  if (body.length > MAX_BODY_LENGTH) {
    throw new TwilioApiError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
  }
  const toError = magicToNumberError(to);
  if (toError) throw toError;
  if (!isE164(to)) throw new TwilioApiError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
  if (from) {
    const fromError = magicFromNumberError(from);
    if (fromError) throw fromError;
    if (!isE164(from) && !SHORT_CODE.test(from) && !ALPHANUMERIC_SENDER.test(from)) {
      throw new TwilioApiError(
        400,
        21212,
        `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
      );
    }
  }
  if (statusCallback !== undefined && !isHttpUrl(statusCallback)) {
    throw new TwilioApiError(400, 21609, 'The StatusCallback URL is not a valid URL.');
  }
  if (ctx.optedOut.has(to)) throw new TwilioApiError(400, 21610, 'Attempt to send to unsubscribed recipient');

  const message = queueOutbound(
    ctx,
    {
      to,
      from: from ?? ctx.phoneNumber,
      body,
      direction: 'outbound-api',
      messagingServiceSid: messagingServiceSid ?? null,
    },
    { statusCallback, failure: ctx.undeliverable.get(to) },
  );
  ctx.log.info(
    { sid: message.sid, to: maskPhone(to), segments: message.numSegments },
    'outbound message queued',
  );
  return message;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function listMessages(ctx: EmulatorContext, query: unknown) {
  const pageSize = integerParam(query, 'PageSize', DEFAULT_PAGE_SIZE);
  if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new TwilioApiError(400, 20001, `PageSize must be between 1 and ${MAX_PAGE_SIZE}.`);
  }
  const page = integerParam(query, 'Page', 0);
  if (page < 0) throw new TwilioApiError(400, 20001, 'Page must be 0 or greater.');

  // Canonical filter parameters, repeated in every page URI like Twilio does.
  const filterParams = new URLSearchParams();
  const filter: MessageFilter = {};
  const to = field(query, 'To');
  const from = field(query, 'From');
  if (to !== undefined) {
    filter.to = to;
    filterParams.set('To', to);
  }
  if (from !== undefined) {
    filter.from = from;
    filterParams.set('From', from);
  }
  for (const [name, bound] of [
    ['DateSent', 'on'],
    ['DateSent<', 'before'],
    ['DateSent>', 'after'],
  ] as const) {
    const value = field(query, name);
    if (value === undefined) continue;
    applyDateFilter(filter, value, bound, name);
    filterParams.set(name, value);
  }

  const matches = ctx.store.list(ctx.accountSid, filter);
  // Like Twilio, the next and previous pages are found by a PageToken naming the message they follow
  // (`PA<sid>`) or precede (`PB<sid>`), not by an offset: messages that arrive while a client pages
  // through the newest-first list neither repeat an item on the next page nor push one off it.
  const token = field(query, 'PageToken');
  let start = page * pageSize;
  let end = start + pageSize;
  if (token !== undefined) {
    const anchor = /^P[AB](SM[0-9a-f]{32})$/.exec(token)?.[1];
    const at = anchor === undefined ? -1 : matches.findIndex((m) => m.sid === anchor);
    if (at < 0) throw new TwilioApiError(400, 20001, 'PageToken is not valid for this list.');
    if (token.startsWith('PA')) {
      start = at + 1;
      end = start + pageSize;
    } else {
      end = at;
      start = Math.max(0, end - pageSize);
    }
  }
  const messages = matches.slice(start, end);
  const base = messagesUri(ctx.accountSid);
  const pageUri = (n: number, pageToken?: string): string => {
    const params = new URLSearchParams(filterParams);
    params.set('PageSize', String(pageSize));
    params.set('Page', String(n));
    if (pageToken) params.set('PageToken', pageToken);
    return `${base}?${params.toString()}`;
  };
  const first = messages[0];
  const last = messages.at(-1);
  return {
    first_page_uri: pageUri(0),
    end: messages.length > 0 ? start + messages.length - 1 : start,
    previous_page_uri: page > 0 && first ? pageUri(page - 1, `PB${first.sid}`) : null,
    messages: messages.map(toResource),
    uri: token === undefined ? pageUri(page) : pageUri(page, token),
    page_size: pageSize,
    start,
    next_page_uri: end < matches.length && last ? pageUri(page + 1, `PA${last.sid}`) : null,
    page,
  };
}

function integerParam(query: unknown, name: string, fallback: number): number {
  const raw = field(query, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new TwilioApiError(400, 20001, `${name} must be an integer.`);
  return Number(raw);
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

// `YYYY-MM-DD` means the whole UTC day; an ISO date-time (what the SDK sends for a Date)
// means that instant, except for an exact DateSent, which matches its day.
function applyDateFilter(
  filter: MessageFilter,
  value: string,
  bound: 'on' | 'before' | 'after',
  name: string,
): void {
  const dateOnly = DATE_ONLY.test(value);
  const parsed = dateOnly ? new Date(`${value}T00:00:00Z`) : new Date(value);
  if (Number.isNaN(parsed.getTime()) || !(dateOnly || /^\d{4}-\d{2}-\d{2}T/.test(value))) {
    throw new TwilioApiError(400, 20001, `${name} must be a date (YYYY-MM-DD) or an ISO 8601 date-time.`);
  }
  const dayStart = new Date(Date.UTC(parsed.getUTCFullYear(), parsed.getUTCMonth(), parsed.getUTCDate()));
  const dayEnd = new Date(dayStart.getTime() + DAY_MS - 1);
  if (bound === 'on') {
    filter.sentFrom = dayStart;
    filter.sentUntil = dayEnd;
  } else if (bound === 'before') {
    filter.sentUntil = dateOnly ? dayEnd : parsed;
  } else {
    filter.sentFrom = dateOnly ? dayStart : parsed;
  }
}
