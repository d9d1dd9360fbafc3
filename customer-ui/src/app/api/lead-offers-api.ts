import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';

import { callApi } from './call';
import { asObject, JsonShapeError, optionalString, readBoolean, readNumber, readString } from './json';
import { LEAD_URGENCIES, type LeadUrgency } from './leads-api';

export const OFFER_STATUSES = ['PENDING', 'ACCEPTED', 'DECLINED', 'EXPIRED', 'CANCELED', 'FAILED'] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];

/** A lead offer as its accept page shows it (`GET /api/lead-offers/:token`): never the homeowner. */
export interface LeadOfferView {
  readonly offerId: string;
  readonly leadCode: string;
  readonly serviceName: string;
  readonly urgency: LeadUrgency;
  readonly zipCode: string;
  readonly priceCents: number;
  readonly expiresAt: string;
  /** A status this app does not know yet is kept as `undefined`. */
  readonly status: OfferStatus | undefined;
  /** Whether accepting now can still buy it. */
  readonly open: boolean;
  readonly plumberFirstName: string;
}

export const ACCEPT_OUTCOMES = ['charging', 'queued', 'rejected'] as const;
export type AcceptOutcome = (typeof ACCEPT_OUTCOMES)[number];

export interface AcceptResult {
  readonly outcome: AcceptOutcome;
  readonly reason?: string;
  readonly leadCode: string;
}

const isUrgency = (value: unknown): value is LeadUrgency => LEAD_URGENCIES.some((u) => u === value);
const isOfferStatus = (value: unknown): value is OfferStatus => OFFER_STATUSES.some((s) => s === value);
const isOutcome = (value: unknown): value is AcceptOutcome => ACCEPT_OUTCOMES.some((o) => o === value);

export function parseLeadOffer(value: unknown): LeadOfferView {
  const what = 'leadOffer';
  const o = asObject(value, what);
  const urgency = o['urgency'];
  if (!isUrgency(urgency)) throw new JsonShapeError(`${what}.urgency is not day, week or month`);
  const status = o['status'];
  return {
    offerId: readString(o, 'offerId', what),
    leadCode: readString(o, 'leadCode', what),
    serviceName: readString(o, 'serviceName', what),
    urgency,
    zipCode: readString(o, 'zipCode', what),
    priceCents: readNumber(o, 'priceCents', what),
    expiresAt: readString(o, 'expiresAt', what),
    status: isOfferStatus(status) ? status : undefined,
    open: readBoolean(o, 'open', what),
    plumberFirstName: readString(asObject(o['plumber'], `${what}.plumber`), 'firstName', `${what}.plumber`),
  };
}

/** The plumber's side of a lead offer's accept link (from the offer email), same origin. */
@Injectable({ providedIn: 'root' })
export class LeadOffersApi {
  private readonly http = inject(HttpClient);

  /** Reads the offer; never acts (mail scanners open links too). */
  async get(token: string): Promise<LeadOfferView> {
    return callApi(this.http.get<unknown>(this.url(token)), parseLeadOffer);
  }

  /** Buys the lead, exactly as replying YES to the offer text does. */
  async accept(token: string): Promise<AcceptResult> {
    return callApi(this.http.post<unknown>(`${this.url(token)}/accept`, {}), (body) => {
      const what = 'accept';
      const o = asObject(body, what);
      const outcome = o['outcome'];
      if (!isOutcome(outcome))
        throw new JsonShapeError(`${what}.outcome is not charging, queued or rejected`);
      const reason = optionalString(o, 'reason', what);
      return { outcome, leadCode: readString(o, 'leadCode', what), ...(reason ? { reason } : {}) };
    });
  }

  private url(token: string): string {
    return `/api/lead-offers/${encodeURIComponent(token)}`;
  }
}
