// Every SQL statement about the message log (SMS and email, one table) and the opt-out list.
import { randomUUID } from 'node:crypto';
import type { messaging } from '@trades/contracts';
import type { Static } from 'typebox';
import { pgArray, type EntityManager } from '@trades/runtime';
import { encodeCursor, type ListPosition } from '../domain/cursor.ts';
import { statusesBefore, type MessageStatus } from '../domain/status.ts';

export type Channel = Static<typeof messaging.MessageChannel>;

interface MessageRow {
  id: string;
  channel: Channel;
  sid: string | null;
  direction: 'inbound' | 'outbound';
  from_phone: string;
  to_phone: string;
  body: string;
  subject: string | null;
  status: MessageStatus;
  purpose: string | null;
  job_id: string | null;
  lead_id: string | null;
  provider_id: string | null;
  offer_id: string | null;
  error_code: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  created_at_exact: string;
}

const COLUMNS = `id, channel, sid, direction, from_phone, to_phone, body, subject, status, purpose, job_id, lead_id,
  provider_id, offer_id, error_code, created_at, updated_at, to_json(created_at) #>> '{}' as created_at_exact`;

const toMessage = (row: MessageRow): messaging.Message => ({
  channel: row.channel,
  sid: row.sid,
  direction: row.direction,
  from: row.from_phone,
  to: row.to_phone,
  body: row.body,
  subject: row.subject,
  status: row.status,
  purpose: row.purpose,
  jobId: row.job_id,
  leadId: row.lead_id,
  providerId: row.provider_id,
  errorCode: row.error_code,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

export interface Outbound {
  to: string;
  body: string;
  /** Natural key: one message per purpose, however often the triggering event arrives. */
  purpose: string;
  jobId?: string | null;
  leadId?: string | null;
  providerId?: string | null;
  offerId?: string | null;
}

/**
 * Queues an outbound SMS (status `pending`, sent by the sender after commit), or logs it as
 * `suppressed` when the number opted out. Returns null when a message with this purpose exists.
 */
export async function queueOutbound(
  em: EntityManager,
  from: string,
  message: Outbound,
): Promise<{ id: string; status: MessageStatus } | null> {
  const [inserted] = await em.execute<{ id: string; status: MessageStatus }[]>(
    `insert into messaging.message (id, channel, direction, from_phone, to_phone, body, status, purpose, job_id, lead_id, provider_id, offer_id)
     select ?, 'sms', 'outbound', ?, ?, ?,
            case when exists (select 1 from messaging.opt_out where phone = ?) then 'suppressed' else 'pending' end,
            ?, ?, ?, ?, ?
     on conflict (purpose) do nothing
     returning id, status`,
    [
      randomUUID(),
      from,
      message.to,
      message.body,
      message.to,
      message.purpose,
      message.jobId ?? null,
      message.leadId ?? null,
      message.providerId ?? null,
      message.offerId ?? null,
    ],
  );
  return inserted ?? null;
}

export interface OutboundEmailRow {
  to: string;
  subject: string;
  text: string;
  html: string;
  purpose: string;
  leadId?: string | null;
  providerId?: string | null;
}

/**
 * Queues an outbound email (status `pending`, sent by the email sender); null when a message with this
 * purpose exists. Its `from` is left empty until the sender hands it over with the configured address.
 */
export async function queueEmailRow(
  em: EntityManager,
  email: OutboundEmailRow,
): Promise<{ id: string; status: MessageStatus } | null> {
  const [inserted] = await em.execute<{ id: string; status: MessageStatus }[]>(
    `insert into messaging.message
       (id, channel, direction, from_phone, to_phone, body, subject, html_body, status, purpose, lead_id, provider_id)
     values (?, 'email', 'outbound', '', ?, ?, ?, ?, 'pending', ?, ?, ?)
     on conflict (purpose) do nothing
     returning id, status`,
    [
      randomUUID(),
      email.to,
      email.text,
      email.subject,
      email.html,
      email.purpose,
      email.leadId ?? null,
      email.providerId ?? null,
    ],
  );
  return inserted ?? null;
}

/** A reply Twilio sends for us from the webhook's TwiML: logged, never sent by the sender. */
export async function logTwimlReply(
  em: EntityManager,
  reply: {
    from: string;
    to: string;
    body: string;
    purpose: string;
    providerId: string | null;
    leadId?: string | null;
  },
) {
  await em.execute(
    `insert into messaging.message (id, direction, from_phone, to_phone, body, status, purpose, provider_id, lead_id)
     values (?, 'outbound', ?, ?, ?, 'queued', ?, ?, ?)
     on conflict (purpose) do nothing`,
    [randomUUID(), reply.from, reply.to, reply.body, reply.purpose, reply.providerId, reply.leadId ?? null],
  );
}

/** Replies about a job: logged against the job the platform last texted that number about. */
const JOB_REPLIES: readonly messaging.SmsCommand['kind'][] = ['YES', 'NO', 'OMW', 'DONE'];

/**
 * Records an inbound SMS; false when this MessageSid was recorded before (a replayed webhook). A reply
 * about a job (YES, NO, OMW, DONE) is logged with the job of the latest SMS that number got about one
 * in the last day (its offer, "you got the job", "taken"), so it shows on that job's page and under
 * its filter; availability and STOP / START / HELP are about no job.
 */
export async function recordInbound(
  em: EntityManager,
  sms: {
    sid: string;
    from: string;
    to: string;
    body: string;
    providerId: string | null;
    command: messaging.SmsCommand;
    /** The registry could not say who sent it: the webhooks' `handOnAwaitingInbound` hands it on later. */
    awaitingRegistry?: boolean;
    /** The lead it answers (a homeowner's NO to the sale's confirmation). */
    leadId?: string | null;
  },
): Promise<boolean> {
  const inserted = await em.execute<{ id: string }[]>(
    `insert into messaging.message (id, sid, direction, from_phone, to_phone, body, status, provider_id, command, awaiting_registry, lead_id, job_id)
     select ?, ?, 'inbound', ?, ?, ?, 'received', ?, ?::jsonb, ?, ?,
            case when ? then (
              select job_id from messaging.message
              where to_phone = ? and direction = 'outbound' and job_id is not null
                and created_at > now() - interval '1 day'
              order by created_at desc limit 1)
            end
     on conflict (sid) do nothing
     returning id`,
    [
      randomUUID(),
      sms.sid,
      sms.from,
      sms.to,
      sms.body,
      sms.providerId,
      JSON.stringify(sms.command),
      sms.awaitingRegistry ?? false,
      sms.leadId ?? null,
      JOB_REPLIES.includes(sms.command.kind),
      sms.from,
    ],
  );
  return inserted.length === 1;
}

export interface AwaitingInbound {
  id: string;
  sid: string;
  from_phone: string;
  to_phone: string;
  body: string;
  command: messaging.SmsCommand;
  created_at: Date | string;
}

/** Inbound SMS still waiting for the registry, oldest first (no locks: {@link settleAwaitingInbound} claims). */
export async function listAwaitingInbound(em: EntityManager, limit: number): Promise<AwaitingInbound[]> {
  return em.execute<AwaitingInbound[]>(
    `select id, sid, from_phone, to_phone, body, command, created_at from messaging.message
     where awaiting_registry order by created_at limit ?`,
    [limit],
  );
}

/** Stores who sent a waiting inbound SMS; false when another replica settled it first. */
export async function settleAwaitingInbound(
  em: EntityManager,
  id: string,
  sender: { providerId: string | null; leadId?: string | null },
): Promise<boolean> {
  const settled = await em.execute<{ id: string }[]>(
    `update messaging.message set awaiting_registry = false, provider_id = ?, lead_id = coalesce(?, lead_id),
       updated_at = now()
     where id = ? and awaiting_registry returning id`,
    [sender.providerId, sender.leadId ?? null, id],
  );
  return settled.length === 1;
}

export async function optOut(em: EntityManager, phone: string, messageSid: string): Promise<void> {
  await em.execute(
    `insert into messaging.opt_out (phone, message_sid) values (?, ?) on conflict (phone) do nothing`,
    [phone, messageSid],
  );
}

export async function optIn(em: EntityManager, phone: string): Promise<void> {
  await em.execute('delete from messaging.opt_out where phone = ?', [phone]);
}

/**
 * The lead whose sale confirmation (`<purposePrefix><leadId>`, an SMS) this number got last, if it got one
 * in the last `days` days: a reply from the number is about that lead.
 */
export async function latestLeadTextedTo(
  em: EntityManager,
  phone: string,
  purposePrefix: string,
  days: number,
): Promise<string | null> {
  const [row] = await em.execute<{ lead_id: string }[]>(
    `select lead_id from messaging.message
     where to_phone = ? and channel = 'sms' and direction = 'outbound' and lead_id is not null
       and starts_with(purpose, ?) and created_at > now() - make_interval(days => ?)
     order by created_at desc limit 1`,
    [phone, purposePrefix, days],
  );
  return row?.lead_id ?? null;
}

/**
 * Whether a number sent this command about this lead before the SMS `sid` (a second homeowner NO changes
 * nothing).
 */
export async function repliedBefore(
  em: EntityManager,
  reply: { leadId: string; phone: string; kind: messaging.SmsCommandKind; sid: string },
): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    `select id from messaging.message
     where lead_id = ? and from_phone = ? and direction = 'inbound' and command->>'kind' = ? and sid <> ?
     limit 1`,
    [reply.leadId, reply.phone, reply.kind, reply.sid],
  );
  return rows.length > 0;
}

/** The latest availability command (AVAILABLE or UNAVAILABLE, PAUSE / RESUME among them) a number sent. */
export async function latestAvailabilityCommand(
  em: EntityManager,
  phone: string,
  kind: 'AVAILABLE' | 'UNAVAILABLE',
): Promise<messaging.SmsCommand | undefined> {
  const [row] = await em.execute<{ command: messaging.SmsCommand }[]>(
    `select command from messaging.message
     where from_phone = ? and direction = 'inbound' and command->>'kind' = ?
     order by created_at desc limit 1`,
    [phone, kind],
  );
  return row?.command;
}

export interface PendingMessage {
  id: string;
  to_phone: string;
  from_phone: string;
  body: string;
  subject: string | null;
  html_body: string | null;
  purpose: string | null;
  offer_id: string | null;
  job_id: string | null;
  lead_id: string | null;
}

/** How many pending messages of a channel are due to be sent, counting at most `cap` (no locks taken). */
export async function countDue(em: EntityManager, channel: Channel, cap: number): Promise<number> {
  const [row] = await em.execute<{ n: number }[]>(
    `select count(*)::int as n from (
       select 1 from messaging.message
       where status = 'pending' and channel = ? and next_attempt_at <= now()
         and (leased_until is null or leased_until <= now())
       limit ?
     ) due`,
    [channel, cap],
  );
  return row?.n ?? 0;
}

/**
 * Claims up to `limit` due messages of a channel for its sender: leases them for `leaseSeconds` (SKIP LOCKED, so
 * replicas and workers never claim one twice) and returns them. The caller commits at once and sends them
 * outside any transaction; a lease that runs out (the sender died mid-call) makes a message due again.
 */
export async function claimPending(
  em: EntityManager,
  channel: Channel,
  limit: number,
  leaseSeconds: number,
): Promise<PendingMessage[]> {
  return em.execute<PendingMessage[]>(
    `update messaging.message m set leased_until = now() + make_interval(secs => ?)
     from (
       select id from messaging.message
       where status = 'pending' and channel = ? and next_attempt_at <= now()
         and (leased_until is null or leased_until <= now())
       order by next_attempt_at
       limit ? for update skip locked
     ) due
     where m.id = due.id
     returning m.id, m.to_phone, m.from_phone, m.body, m.subject, m.html_body, m.purpose, m.offer_id, m.job_id,
       m.lead_id`,
    [leaseSeconds, channel, limit],
  );
}

/**
 * Twilio's status callbacks can arrive before the transaction that stores the MessageSid commits. Both
 * sides take this lock on the sid: the callback either finds the message or leaves its status in
 * `early_status`, which the sender applies right after storing the sid.
 */
async function lockSid(em: EntityManager, sid: string): Promise<void> {
  await em.execute(`select pg_advisory_xact_lock(hashtext('messaging.sid:' || ?))`, [sid]);
}

/** A message Twilio took: its row, the MessageSid Twilio gave it and the status Twilio answered with. */
export interface Handed {
  id: string;
  sid: string;
  status: MessageStatus;
}

/**
 * Stores the MessageSids of messages Twilio took (one batch, three statements) and applies any status
 * that arrived first; returns the changes applied.
 */
export async function markHandedToTwilio(
  em: EntityManager,
  handed: readonly Handed[],
): Promise<StatusChange[]> {
  if (handed.length === 0) return [];
  // MessageSids are Twilio's `SM` + 32 hex digits and statuses are words: safe in array literals.
  const sids = handed.map((h) => h.sid);
  await em.execute(
    `select pg_advisory_xact_lock(hashtext('messaging.sid:' || sid)) from unnest(?::text[]) as sid`,
    [pgArray([...sids].sort())],
  );
  await em.execute(
    `update messaging.message m
     set sid = h.sid, status = h.status, attempts = m.attempts + 1, leased_until = null, updated_at = now()
     from unnest(?::uuid[], ?::text[], ?::text[]) as h(id, sid, status)
     where m.id = h.id`,
    [pgArray(handed.map((h) => h.id)), pgArray(sids), pgArray(handed.map((h) => h.status))],
  );
  const early = await em.execute<{ sid: string; status: MessageStatus; error_code: string | null }[]>(
    `delete from messaging.early_status where sid = any(?::text[]) returning sid, status, error_code`,
    [pgArray(sids)],
  );
  const applied: StatusChange[] = [];
  for (const callback of early) {
    const change = await applyStatus(em, callback.sid, callback.status, callback.error_code);
    if (change) applied.push(change);
  }
  return applied;
}

/**
 * Withdraws a message that has not left yet (still `pending`: the sender is behind, or backing off after
 * Twilio failed); true when it was. A message a sender holds a lease on is being handed to Twilio right
 * now and is left alone: it goes out. The claim locks the row, so the two cannot cross.
 */
export async function withdrawPending(em: EntityManager, purpose: string): Promise<boolean> {
  const withdrawn = await em.execute<{ id: string }[]>(
    `update messaging.message set status = 'canceled', updated_at = now()
     where purpose = ? and status = 'pending' and (leased_until is null or leased_until <= now())
     returning id`,
    [purpose],
  );
  return withdrawn.length > 0;
}

/** The command of the latest SMS a number sent about a job (YES, OMW, DONE…), if it sent one. */
export async function latestCommandAbout(
  em: EntityManager,
  jobId: string,
  phone: string,
): Promise<messaging.SmsCommand['kind'] | undefined> {
  const [row] = await em.execute<{ kind: messaging.SmsCommand['kind'] }[]>(
    `select command->>'kind' as kind from messaging.message
     where from_phone = ? and direction = 'inbound' and job_id = ?
     order by created_at desc limit 1`,
    [phone, jobId],
  );
  return row?.kind;
}

/** When the message with this purpose was queued, if there is one. */
export async function queuedAt(em: EntityManager, purpose: string): Promise<Date | undefined> {
  const [row] = await em.execute<{ created_at: Date | string }[]>(
    'select created_at from messaging.message where purpose = ?',
    [purpose],
  );
  return row ? new Date(row.created_at) : undefined;
}

/**
 * An email the SMTP server accepted: `sent` (SMTP tells no more), with its Message-ID as the sid and the
 * address it went from.
 */
export async function markEmailSent(
  em: EntityManager,
  sent: { id: string; messageId: string; from: string },
): Promise<void> {
  await em.execute(
    `update messaging.message set status = 'sent', sid = ?, from_phone = ?, attempts = attempts + 1,
       leased_until = null, updated_at = now() where id = ?`,
    [sent.messageId, sent.from, sent.id],
  );
}

export async function markRefused(em: EntityManager, id: string, errorCode: string): Promise<void> {
  await em.execute(
    `update messaging.message set status = 'failed', error_code = ?, attempts = attempts + 1, leased_until = null,
       updated_at = now() where id = ?`,
    [errorCode, id],
  );
}

/** A transient failure (network, Twilio 5xx, SMTP 4xx): try again later, backing off 2, 4, 8… seconds. */
export async function markAttemptFailed(em: EntityManager, id: string): Promise<number> {
  const [row] = await em.execute<{ attempts: number }[]>(
    `update messaging.message
     set attempts = attempts + 1, leased_until = null, updated_at = now(),
         next_attempt_at = now() + make_interval(secs => least(60, power(2, attempts + 1)))
     where id = ? returning attempts`,
    [id],
  );
  return row?.attempts ?? 0;
}

export interface StatusChange {
  sid: string;
  to: string;
  status: MessageStatus;
  errorCode: string | null;
  purpose: string | null;
  offerId: string | null;
  jobId: string | null;
  leadId: string | null;
}

/**
 * A status callback: moves the message forward to `status`; null when it is already past it, or not
 * known yet (then the status waits in `early_status` for the sender to store the sid).
 */
export async function advanceStatus(
  em: EntityManager,
  sid: string,
  status: MessageStatus,
  errorCode: string | null,
): Promise<StatusChange | null> {
  await lockSid(em, sid);
  const change = await applyStatus(em, sid, status, errorCode);
  if (change) return change;
  const known = await em.execute<{ id: string }[]>('select id from messaging.message where sid = ?', [sid]);
  if (known.length === 0) {
    await em.execute(
      `insert into messaging.early_status (sid, status, error_code) values (?, ?, ?) on conflict do nothing`,
      [sid, status, errorCode],
    );
  }
  return null;
}

/**
 * Gives a reply sent in a webhook's TwiML the MessageSid Twilio made for it, from the first status
 * callback that names it (its `action` URL carries the inbound SMS's sid: `?replyTo=SM…`). Only a reply
 * without a sid yet, so a callback cannot move a sid from one message to another.
 */
export async function bindReplySid(em: EntityManager, inboundSid: string, sid: string): Promise<void> {
  await em.execute(
    `update messaging.message set sid = ?, updated_at = now()
     where purpose = ? and direction = 'outbound' and sid is null
       and not exists (select 1 from messaging.message where sid = ?)`,
    [sid, `reply:${inboundSid}`, sid],
  );
}

/**
 * A status callback for a message whose sid is stored: one statement, no lock. Null when it moved
 * nothing (the sid is not stored yet, or the message is already past `status`); then
 * {@link advanceStatus} decides under the sid's lock, which settles the race with the sender.
 */
export async function advanceKnownStatus(
  em: EntityManager,
  sid: string,
  status: MessageStatus,
  errorCode: string | null,
): Promise<StatusChange | null> {
  return applyStatus(em, sid, status, errorCode);
}

async function applyStatus(
  em: EntityManager,
  sid: string,
  status: MessageStatus,
  errorCode: string | null,
): Promise<StatusChange | null> {
  const earlier = statusesBefore(status);
  if (earlier.length === 0) return null;
  const [row] = await em.execute<
    {
      to_phone: string;
      purpose: string | null;
      offer_id: string | null;
      job_id: string | null;
      lead_id: string | null;
    }[]
  >(
    `update messaging.message
     set status = ?, error_code = coalesce(?, error_code), updated_at = now()
     where sid = ? and direction = 'outbound' and status = any(?::text[])
     returning to_phone, purpose, offer_id, job_id, lead_id`,
    [status, errorCode, sid, pgArray(earlier)],
  );
  if (!row) return null;
  return {
    sid,
    to: row.to_phone,
    status,
    errorCode,
    purpose: row.purpose,
    offerId: row.offer_id,
    jobId: row.job_id,
    leadId: row.lead_id,
  };
}

export interface MessageFilter {
  channel?: Channel;
  phone?: string;
  /** An email address, from or to (any case). */
  email?: string;
  leadId?: string;
  direction?: 'inbound' | 'outbound';
  status?: MessageStatus;
  jobId?: string;
  after?: ListPosition;
  limit: number;
}

export async function listMessages(
  em: EntityManager,
  filter: MessageFilter,
): Promise<{ items: messaging.Message[]; nextCursor: string | null }> {
  const conditions: string[] = ['true'];
  const params: unknown[] = [];
  const phone = filter.phone?.trim();
  if (phone) {
    const digits = phone.replace(/[^0-9]/g, '');
    if (/^\+[1-9][0-9]{6,14}$/.test(phone)) {
      conditions.push('(from_phone = ? or to_phone = ?)');
      params.push(phone, phone);
    } else if (digits.length > 0) {
      // A fragment typed by an operator ("5550101", "(415) 555-0101"): match the end of the number.
      conditions.push('(from_phone like ? or to_phone like ?)');
      params.push(`%${digits}`, `%${digits}`);
    } else {
      conditions.push('false');
    }
  }
  if (filter.channel) {
    conditions.push('channel = ?');
    params.push(filter.channel);
  }
  const email = filter.email?.trim().toLowerCase();
  if (email) {
    conditions.push("channel = 'email' and (lower(from_phone) = ? or lower(to_phone) = ?)");
    params.push(email, email);
  }
  if (filter.leadId) {
    conditions.push('lead_id = ?');
    params.push(filter.leadId);
  }
  if (filter.direction) {
    conditions.push('direction = ?');
    params.push(filter.direction);
  }
  if (filter.status) {
    conditions.push('status = ?');
    params.push(filter.status);
  }
  if (filter.jobId) {
    conditions.push('job_id = ?');
    params.push(filter.jobId);
  }
  if (filter.after) {
    conditions.push('(created_at, id) < (?::timestamptz, ?::uuid)');
    params.push(filter.after.createdAt, filter.after.id);
  }
  const rows = await em.execute<MessageRow[]>(
    `select ${COLUMNS} from messaging.message where ${conditions.join(' and ')}
     order by created_at desc, id desc limit ?`,
    [...params, filter.limit + 1],
  );
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    items: page.map(toMessage),
    nextCursor:
      rows.length > filter.limit && last
        ? encodeCursor({ createdAt: last.created_at_exact, id: last.id })
        : null,
  };
}
