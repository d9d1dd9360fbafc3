import type { Address, dispatch, leads } from '@trades/contracts';
import type { Static } from 'typebox';

export type Instant = Date | string;

/** A `job` row as PostgreSQL returns it. */
export interface JobRow {
  id: string;
  code: string;
  booking_id: string;
  state: dispatch.JobState;
  service_code: string;
  service_name: string;
  customer_name: string;
  customer_phone: string;
  address: Address;
  notes: string | null;
  locksmith_id: string | null;
  locksmith_name: string | null;
  locksmith_phone: string | null;
  eta_minutes: number | null;
  wave: number;
  round_start_wave: number;
  excluded_provider_ids: string[];
  paused: boolean;
  next_action_at: Instant | null;
  created_at: Instant;
  updated_at: Instant;
}

/** An offer of a job (job_id set) or of a lead (lead_id set): exactly one of the two. */
export interface OfferRow {
  id: string;
  job_id: string | null;
  lead_id: string | null;
  provider_id: string;
  provider_name: string;
  provider_phone: string;
  provider_email: string | null;
  wave: number;
  distance_km: number;
  status: dispatch.OfferStatus;
  reason: string | null;
  sent_at: Instant;
  expires_at: Instant;
  responded_at: Instant | null;
  closed_at: Instant | null;
  /** A lead offer's YES that came while the lead was being charged to someone else (in line). */
  yes_at: Instant | null;
  /** A lead offer's: the plumber's caps when it was made (registry.PlumberCaps as jsonb; see storedCaps). */
  provider_caps: unknown;
}

/** A `lead` row as PostgreSQL returns it. */
export interface LeadRow {
  id: string;
  code: string;
  state: leads.LeadSaleState;
  service_code: string;
  service_name: string;
  urgency: 'day' | 'week' | 'month';
  zip: string;
  lat: number;
  lng: number;
  price_cents: number;
  homeowner: leads.Homeowner;
  description: string | null;
  source: 'form' | 'partner';
  partner_id: string | null;
  wave: number;
  next_action_at: Instant | null;
  buyer_id: string | null;
  buyer_name: string | null;
  buyer_phone: string | null;
  buyer_email: string | null;
  charge_attempt: number;
  sold_at: Instant | null;
  /** The caps the current buyer's sale was checked against (registry.PlumberCaps as jsonb; see storedCaps). */
  buyer_caps: unknown;
  credited_cents: number;
  buyer_covered_zip: boolean | null;
  buyer_buys_service: boolean | null;
  homeowner_unreachable_code: string | null;
  homeowner_unreachable_at: Instant | null;
  homeowner_denied_at: Instant | null;
  created_at: Instant;
  updated_at: Instant;
}

export interface TimelineRow {
  state: dispatch.JobState;
  at: Instant;
  cause: string;
  actor: string;
}

export const iso = (value: Instant): string =>
  (value instanceof Date ? value : new Date(value)).toISOString();

export function toJob(row: JobRow): dispatch.Job {
  return {
    id: row.id,
    code: row.code,
    bookingId: row.booking_id,
    state: row.state,
    serviceCode: row.service_code,
    serviceName: row.service_name,
    locksmithId: row.locksmith_id,
    locksmithName: row.locksmith_name,
    etaMinutes: row.eta_minutes,
    customerName: row.customer_name,
    customerPhone: row.customer_phone,
    address: row.address,
    notes: row.notes,
    wave: row.wave,
    paused: row.paused,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function toOffer(row: OfferRow): Static<typeof dispatch.Offer> {
  const responded = row.responded_at === null ? null : iso(row.responded_at);
  return {
    id: row.id,
    locksmithId: row.provider_id,
    locksmithName: row.provider_name,
    wave: row.wave,
    status: row.status,
    distanceKm: row.distance_km,
    sentAt: iso(row.sent_at),
    expiresAt: iso(row.expires_at),
    respondedAt: responded,
    responseSeconds: responded === null ? null : secondsBetween(row.sent_at, row.responded_at ?? row.sent_at),
  };
}

export function secondsBetween(from: Instant, to: Instant): number {
  const ms = new Date(to).getTime() - new Date(from).getTime();
  return Math.max(0, Math.round(ms / 100) / 10);
}
