import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';

import { callApi } from './call';
import {
  asArray,
  asObject,
  isJsonObject,
  type JsonObject,
  JsonShapeError,
  optionalNumber,
  optionalString,
  readBoolean,
  readNumber,
  readString,
} from './json';

export interface ServiceOffer {
  readonly code: string;
  readonly name: string;
  readonly description?: string;
  readonly depositCents: number;
  readonly priceMinCents: number;
  readonly priceMaxCents: number;
}

export interface ResolvedAddress {
  readonly formatted: string;
  readonly lat: number;
  readonly lng: number;
  readonly zip: string;
}

export interface LocationResult {
  readonly served: boolean;
  readonly address: ResolvedAddress;
}

export interface ServiceChoice {
  readonly serviceCode: string;
  readonly name: string;
  readonly phone: string;
  readonly notes?: string;
}

export interface PaymentIntent {
  readonly paymentIntentId: string;
  readonly clientSecret: string;
  readonly amountCents: number;
  readonly publishableKey?: string;
  readonly mode: 'stripe' | 'emulator';
}

export interface Completion {
  readonly state: string;
  readonly trackingToken: string;
}

/**
 * The steps of a booking, in order; the server names the one it expects next in a 409
 * (`start` when the request must be started again, `complete` when it already is complete).
 */
export const BOOKING_STEPS = ['start', 'location', 'service', 'payment', 'complete'] as const;
export type BookingStep = (typeof BOOKING_STEPS)[number];

export function isBookingStep(value: unknown): value is BookingStep {
  return BOOKING_STEPS.some((step) => step === value);
}

export const JOB_STATES = [
  'CREATED',
  'DISPATCHING',
  'OFFERED',
  'ASSIGNED',
  'EN_ROUTE',
  'COMPLETED',
  'CANCELED',
  'FAILED',
] as const;
export type JobState = (typeof JOB_STATES)[number];

export function isJobState(value: unknown): value is JobState {
  return JOB_STATES.some((state) => state === value);
}

export interface Locksmith {
  readonly name: string;
  readonly etaMinutes?: number;
}

export interface JobStatus {
  readonly id: string;
  /** A state this app does not know yet is kept as `undefined` and shown as "in progress". */
  readonly state: JobState | undefined;
  readonly locksmith?: Locksmith;
}

export interface RequestStatus {
  readonly id: string;
  readonly step: string;
  readonly state: string;
  readonly trackingToken?: string;
  readonly serviceCode?: string;
  /** The address as the customer will recognise it. */
  readonly address?: string;
  readonly job?: JobStatus;
}

/** UTM parameters of the visit that started a booking, e.g. `{ source: 'google' }`. */
export type Utm = Readonly<Record<string, string>>;

function parseService(value: unknown, what: string): ServiceOffer {
  const o = asObject(value, what);
  const description = optionalString(o, 'description', what);
  return {
    code: readString(o, 'code', what),
    name: readString(o, 'name', what),
    ...(description ? { description } : {}),
    depositCents: readNumber(o, 'depositCents', what),
    priceMinCents: readNumber(o, 'priceMinCents', what),
    priceMaxCents: readNumber(o, 'priceMaxCents', what),
  };
}

function parseAddress(value: unknown, what: string): ResolvedAddress {
  const o = asObject(value, what);
  return {
    formatted: readString(o, 'formatted', what),
    lat: readNumber(o, 'lat', what),
    lng: readNumber(o, 'lng', what),
    zip: readString(o, 'zip', what),
  };
}

function parseMode(o: JsonObject, what: string): PaymentIntent['mode'] {
  const mode = o['mode'];
  if (mode === 'stripe' || mode === 'emulator') return mode;
  throw new JsonShapeError(`${what}.mode is neither stripe nor emulator`);
}

function parseJob(value: unknown, what: string): JobStatus {
  const o = asObject(value, what);
  const state = o['state'];
  const locksmith = o['locksmith'];
  let parsedLocksmith: Locksmith | undefined;
  if (isJsonObject(locksmith)) {
    const etaMinutes = optionalNumber(locksmith, 'etaMinutes', `${what}.locksmith`);
    parsedLocksmith = {
      name: readString(locksmith, 'name', `${what}.locksmith`),
      ...(etaMinutes === undefined ? {} : { etaMinutes }),
    };
  }
  return {
    id: readString(o, 'id', what),
    state: isJobState(state) ? state : undefined,
    ...(parsedLocksmith ? { locksmith: parsedLocksmith } : {}),
  };
}

/** Reads the request/tracking JSON that both `GET` endpoints and the SSE `status` event send. */
export function parseRequestStatus(value: unknown): RequestStatus {
  const what = 'status';
  const o = asObject(value, what);
  const rawAddress = o['address'];
  let address: string | undefined;
  if (typeof rawAddress === 'string') address = rawAddress;
  else if (isJsonObject(rawAddress)) address = optionalString(rawAddress, 'formatted', `${what}.address`);
  const trackingToken = optionalString(o, 'trackingToken', what);
  const serviceCode = optionalString(o, 'serviceCode', what);
  return {
    id: readString(o, 'id', what),
    step: readString(o, 'step', what),
    state: readString(o, 'state', what),
    ...(trackingToken === undefined ? {} : { trackingToken }),
    ...(serviceCode === undefined ? {} : { serviceCode }),
    ...(address === undefined ? {} : { address }),
    ...(o['job'] === undefined || o['job'] === null ? {} : { job: parseJob(o['job'], `${what}.job`) }),
  };
}

/**
 * The customer booking API, same origin. Every method resolves to checked, typed data or
 * rejects with an ApiError whose message can be shown to the customer.
 */
@Injectable({ providedIn: 'root' })
export class BookingApi {
  private readonly http = inject(HttpClient);

  async listServices(): Promise<readonly ServiceOffer[]> {
    return callApi(this.http.get<unknown>('/api/services'), (body) => {
      const items = asArray(asObject(body, 'services')['items'], 'services.items');
      return items.map((item, i) => parseService(item, `services.items[${i}]`));
    });
  }

  async start(origin: { referrer?: string; utm?: Utm }): Promise<string> {
    return callApi(this.http.post<unknown>('/api/request/start', origin), (body) =>
      readString(asObject(body, 'start'), 'id', 'start'),
    );
  }

  async setLocation(
    requestId: string,
    location: { address: string; lat?: number; lng?: number },
  ): Promise<LocationResult> {
    return callApi(this.http.post<unknown>(`${this.requestUrl(requestId)}/location`, location), (body) => {
      const o = asObject(body, 'location');
      return {
        served: readBoolean(o, 'served', 'location'),
        address: parseAddress(o['address'], 'location.address'),
      };
    });
  }

  async setService(requestId: string, choice: ServiceChoice): Promise<{ depositCents: number }> {
    return callApi(this.http.post<unknown>(`${this.requestUrl(requestId)}/service`, choice), (body) => ({
      depositCents: readNumber(asObject(body, 'service'), 'depositCents', 'service'),
    }));
  }

  async createPaymentIntent(requestId: string): Promise<PaymentIntent> {
    return callApi(this.http.post<unknown>(`${this.requestUrl(requestId)}/payment-intent`, {}), (body) => {
      const what = 'paymentIntent';
      const o = asObject(body, what);
      const publishableKey = optionalString(o, 'publishableKey', what);
      return {
        paymentIntentId: readString(o, 'paymentIntentId', what),
        clientSecret: readString(o, 'clientSecret', what),
        amountCents: readNumber(o, 'amountCents', what),
        mode: parseMode(o, what),
        ...(publishableKey ? { publishableKey } : {}),
      };
    });
  }

  /** Emulator mode only: the backend confirms the deposit with a Stripe test payment method. */
  async testConfirm(requestId: string, paymentMethod: string): Promise<{ status: string }> {
    return callApi(
      this.http.post<unknown>(`${this.requestUrl(requestId)}/test-confirm`, { paymentMethod }),
      (body) => ({ status: readString(asObject(body, 'testConfirm'), 'status', 'testConfirm') }),
    );
  }

  async complete(requestId: string): Promise<Completion> {
    return callApi(this.http.post<unknown>(`${this.requestUrl(requestId)}/complete`, {}), (body) => {
      const o = asObject(body, 'complete');
      return {
        state: readString(o, 'state', 'complete'),
        trackingToken: readString(o, 'trackingToken', 'complete'),
      };
    });
  }

  async getRequest(requestId: string): Promise<RequestStatus> {
    return callApi(this.http.get<unknown>(this.requestUrl(requestId)), parseRequestStatus);
  }

  async track(trackingToken: string): Promise<RequestStatus> {
    return callApi(this.http.get<unknown>(trackingUrl(trackingToken)), parseRequestStatus);
  }

  private requestUrl(requestId: string): string {
    return `/api/request/${encodeURIComponent(requestId)}`;
  }
}

export function trackingUrl(trackingToken: string): string {
  return `/api/track/${encodeURIComponent(trackingToken)}`;
}

export function trackingEventsUrl(trackingToken: string): string {
  return `${trackingUrl(trackingToken)}/events`;
}
