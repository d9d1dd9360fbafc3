import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';

import { callApi } from './call';
import {
  asArray,
  asObject,
  type JsonObject,
  JsonShapeError,
  optionalString,
  readBoolean,
  readNumber,
  readString,
} from './json';
import { LEAD_URGENCIES, type LeadUrgency } from './leads-api';

/** The reasons a buyer may give, in the order the page offers them (the contracts' CREDIT_REASONS). */
export const CREDIT_REASONS = [
  'wrong_number',
  'duplicate',
  'outside_area',
  'not_my_service',
  'not_real',
  'could_not_reach',
  'other',
] as const;
export type CreditReason = (typeof CREDIT_REASONS)[number];

/** How each reason reads to a person: the same words as the contracts' CREDIT_REASON_LABELS. */
export const CREDIT_REASON_LABELS: Record<CreditReason, string> = {
  wrong_number: 'Wrong or disconnected number',
  duplicate: 'Duplicate of a lead I bought',
  outside_area: 'Outside my area',
  not_my_service: 'Not a service I buy',
  not_real: 'Not a real request',
  could_not_reach: 'Could not reach after trying',
  other: 'Other',
};

export const CREDIT_STATUSES = ['review', 'approved', 'credited', 'denied', 'failed'] as const;
export type CreditStatus = (typeof CREDIT_STATUSES)[number];

/** One of the buyer's credit requests, as the credit page shows it. */
export interface CreditRequest {
  readonly id: string;
  readonly reason: CreditReason | undefined;
  readonly note: string | undefined;
  /** A status this app does not know yet is kept as `undefined`. */
  readonly status: CreditStatus | undefined;
  readonly amountCents: number;
  readonly automatic: boolean;
  readonly decisionNote: string | undefined;
  readonly requestedAt: string;
}

/** A sold lead behind a credit link (`GET /api/lead-credits/:token`). */
export interface CreditLinkView {
  readonly leadCode: string;
  readonly serviceName: string;
  readonly urgency: LeadUrgency;
  readonly zipCode: string;
  readonly priceCents: number;
  readonly creditedCents: number;
  readonly soldAt: string;
  readonly deadline: string;
  /** Whether a request can be sent now (inside the window, not fully credited, none waiting). */
  readonly open: boolean;
  readonly plumberFirstName: string;
  readonly credits: readonly CreditRequest[];
}

const isUrgency = (value: unknown): value is LeadUrgency => LEAD_URGENCIES.some((u) => u === value);
const isReason = (value: unknown): value is CreditReason => CREDIT_REASONS.some((r) => r === value);
const isStatus = (value: unknown): value is CreditStatus => CREDIT_STATUSES.some((s) => s === value);

export function parseCredit(value: unknown): CreditRequest {
  const what = 'credit';
  const o: JsonObject = asObject(value, what);
  return {
    id: readString(o, 'id', what),
    reason: isReason(o['reason']) ? o['reason'] : undefined,
    note: optionalString(o, 'note', what),
    status: isStatus(o['status']) ? o['status'] : undefined,
    amountCents: readNumber(o, 'amountCents', what),
    automatic: readBoolean(o, 'automatic', what),
    decisionNote: optionalString(o, 'decisionNote', what),
    requestedAt: readString(o, 'requestedAt', what),
  };
}

export function parseCreditLink(value: unknown): CreditLinkView {
  const what = 'creditLink';
  const o = asObject(value, what);
  const urgency = o['urgency'];
  if (!isUrgency(urgency)) throw new JsonShapeError(`${what}.urgency is not day, week or month`);
  return {
    leadCode: readString(o, 'leadCode', what),
    serviceName: readString(o, 'serviceName', what),
    urgency,
    zipCode: readString(o, 'zipCode', what),
    priceCents: readNumber(o, 'priceCents', what),
    creditedCents: readNumber(o, 'creditedCents', what),
    soldAt: readString(o, 'soldAt', what),
    deadline: readString(o, 'deadline', what),
    open: readBoolean(o, 'open', what),
    plumberFirstName: readString(asObject(o['plumber'], `${what}.plumber`), 'firstName', `${what}.plumber`),
    credits: asArray(o['credits'], `${what}.credits`).map(parseCredit),
  };
}

/** The buyer's side of a sale's credit link (from the sale email), same origin. */
@Injectable({ providedIn: 'root' })
export class LeadCreditsApi {
  private readonly http = inject(HttpClient);

  /** Reads the lead and the buyer's requests; never acts (mail scanners open links too). */
  async get(token: string): Promise<CreditLinkView> {
    return callApi(this.http.get<unknown>(this.url(token)), parseCreditLink);
  }

  /** Asks for a credit: checked at once, like `CREDIT <code> <reason>` by SMS. */
  async request(token: string, reason: CreditReason, note: string): Promise<CreditRequest> {
    const body = note.trim() === '' ? { reason } : { reason, note: note.trim() };
    return callApi(this.http.post<unknown>(this.url(token), body), parseCredit);
  }

  private url(token: string): string {
    return `/api/lead-credits/${encodeURIComponent(token)}`;
  }
}
