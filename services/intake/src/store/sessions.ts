import { notFound } from '@trades/contracts';
import type { intake } from '@trades/contracts';
import type { EntityManager } from '@trades/runtime';
import type { BookingState, FunnelStep, UserAgentClass } from '../domain/session.ts';
import { iso, type Timestamp } from './time.ts';

/** Raw queries return timestamps as text; both forms are accepted where they are read. */

/** A booking_session row as PostgreSQL returns it. */
export interface SessionRow {
  id: string;
  state: BookingState;
  step: FunnelStep;
  furthest_step: FunnelStep;
  referrer: string | null;
  utm: intake.BookingUtm | null;
  user_agent_class: UserAgentClass | null;
  address_formatted: string | null;
  lat: number | null;
  lng: number | null;
  zip: string | null;
  served: boolean | null;
  service_code: string | null;
  customer_name: string | null;
  customer_phone: string | null;
  notes: string | null;
  deposit_cents: number | null;
  payment_intent_id: string | null;
  deposit_status: string | null;
  tracking_token: string | null;
  completed_at: Timestamp | null;
  job_id: string | null;
  job_state: string | null;
  job_state_at: Timestamp | null;
  locksmith_name: string | null;
  locksmith_eta_minutes: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export function sessionNotFound(): never {
  throw notFound('SESSION_NOT_FOUND', 'This booking was not found or has expired; start a new one.');
}

/** The live session (not expired), locked for the rest of the transaction when `lock` is set. */
export async function findSession(em: EntityManager, id: string, lock = false): Promise<SessionRow | null> {
  const rows = await em.execute<SessionRow[]>(
    `select * from intake.booking_session where id = ? and state <> 'expired'${lock ? ' for update' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export async function requireSession(em: EntityManager, id: string, lock = false): Promise<SessionRow> {
  return (await findSession(em, id, lock)) ?? sessionNotFound();
}

export async function findByTrackingToken(em: EntityManager, token: string): Promise<SessionRow | null> {
  const rows = await em.execute<SessionRow[]>(
    `select * from intake.booking_session where tracking_token = ?`,
    [token],
  );
  return rows[0] ?? null;
}

/**
 * Records the first time a session reached a step (a later visit to the same step changes nothing).
 * The funnel is this table, read by `GET /api/admin/sessions` and the funnel report; it is not
 * published as an event: no service consumes it, and five per booking would each cost an outbox row,
 * a JetStream write and a relay update.
 */
export async function recordFunnelStep(
  em: EntityManager,
  sessionId: string,
  step: FunnelStep,
): Promise<void> {
  await em.execute(
    `insert into intake.funnel_event (session_id, step) values (?, ?) on conflict do nothing`,
    [sessionId, step],
  );
}

export function toBookingView(row: SessionRow): intake.BookingView {
  const view: intake.BookingView = {
    id: row.id,
    step: row.step,
    state: row.state,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
  if (row.tracking_token) view.trackingToken = row.tracking_token;
  if (row.service_code) view.serviceCode = row.service_code;
  if (row.address_formatted && row.lat !== null && row.lng !== null && row.zip) {
    view.address = { formatted: row.address_formatted, lat: row.lat, lng: row.lng, zip: row.zip };
  }
  if (row.served !== null) view.served = row.served;
  if (row.deposit_cents !== null) view.depositCents = row.deposit_cents;
  if (row.deposit_status) view.depositStatus = row.deposit_status;
  if (row.job_id && row.job_state) {
    view.job = {
      id: row.job_id,
      state: row.job_state,
      ...(row.locksmith_name
        ? { locksmith: { name: row.locksmith_name, etaMinutes: row.locksmith_eta_minutes } }
        : {}),
    };
  }
  return view;
}

export function toSessionSummary(row: SessionRow): intake.SessionSummaryItem {
  const summary: intake.SessionSummaryItem = {
    id: row.id,
    step: row.step,
    furthestStep: row.furthest_step,
    state: row.state,
    completed: row.state === 'completed',
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
  if (row.service_code) summary.serviceCode = row.service_code;
  if (row.address_formatted) summary.address = row.address_formatted;
  if (row.served !== null) summary.served = row.served;
  if (row.referrer) summary.referrer = row.referrer;
  if (row.utm) summary.utm = row.utm;
  if (row.user_agent_class) summary.userAgentClass = row.user_agent_class;
  return summary;
}
