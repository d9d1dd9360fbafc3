import { inject, Injectable, InjectionToken, signal } from '@angular/core';
import { Router } from '@angular/router';

import { ApiError, toApiError } from '../api/api-error';
import {
  BookingApi,
  type BookingStep,
  isBookingStep,
  type LocationResult,
  type PaymentIntent,
  type ServiceChoice,
  type ServiceOffer,
  type Utm,
} from '../api/booking-api';
import { isJsonObject } from '../api/json';

/** Where the booking survives a reload: this tab's session only, gone when the tab closes. */
export const BOOKING_STORAGE = new InjectionToken<Storage>('BOOKING_STORAGE', {
  providedIn: 'root',
  factory: () => sessionStorage,
});

/** Where the last tracking link is kept, so the landing page can point back to a live job. */
export const TRACKING_STORAGE = new InjectionToken<Storage>('TRACKING_STORAGE', {
  providedIn: 'root',
  factory: () => localStorage,
});

const REQUEST_ID_KEY = 'booking.requestId';
const DRAFT_KEY = 'booking.draft';
const ORIGIN_KEY = 'booking.origin';
const LAST_TRACKING_KEY = 'tracking.lastToken';

/** What the customer entered so far, kept so a reload or "back" shows it again. */
export interface BookingDraft {
  readonly address?: string;
  readonly formattedAddress?: string;
  readonly serviceCode?: string;
  readonly serviceName?: string;
  readonly name?: string;
  readonly phone?: string;
  readonly notes?: string;
  readonly depositCents?: number;
}

const STEP_PATHS: Readonly<Record<Exclude<BookingStep, 'start' | 'complete'>, string>> = {
  location: '/book/location',
  service: '/book/service',
  payment: '/book/payment',
};

export const EXPIRED_NOTICE =
  'Your booking session expired. Please enter your address again to start a new one.';

function readDraft(storage: Storage): BookingDraft {
  let parsed: unknown;
  try {
    parsed = JSON.parse(storage.getItem(DRAFT_KEY) ?? '{}');
  } catch {
    return {};
  }
  if (!isJsonObject(parsed)) return {};
  const draft: Record<string, string | number> = {};
  for (const key of [
    'address',
    'formattedAddress',
    'serviceCode',
    'serviceName',
    'name',
    'phone',
    'notes',
  ] as const) {
    const value = parsed[key];
    if (typeof value === 'string') draft[key] = value;
  }
  if (typeof parsed['depositCents'] === 'number') draft['depositCents'] = parsed['depositCents'];
  return draft;
}

function readOrigin(storage: Storage): { referrer?: string; utm?: Utm } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(storage.getItem(ORIGIN_KEY) ?? '{}');
  } catch {
    return {};
  }
  if (!isJsonObject(parsed)) return {};
  const referrer = typeof parsed['referrer'] === 'string' ? parsed['referrer'] : undefined;
  const utm: Record<string, string> = {};
  if (isJsonObject(parsed['utm'])) {
    for (const [key, value] of Object.entries(parsed['utm'])) {
      if (typeof value === 'string') utm[key] = value;
    }
  }
  return { ...(referrer ? { referrer } : {}), ...(Object.keys(utm).length ? { utm } : {}) };
}

/**
 * The customer's way through the three booking steps: keeps the request id and what was entered
 * in session storage, calls the API, and turns "out of order" and "expired" answers into
 * navigation instead of error pages.
 */
@Injectable({ providedIn: 'root' })
export class BookingFlow {
  private readonly api = inject(BookingApi);
  private readonly router = inject(Router);
  private readonly storage = inject(BOOKING_STORAGE);
  private readonly trackingStorage = inject(TRACKING_STORAGE);

  private readonly requestIdState = signal<string | null>(this.storage.getItem(REQUEST_ID_KEY));
  private readonly draftState = signal<BookingDraft>(readDraft(this.storage));
  private catalog: Promise<readonly ServiceOffer[]> | undefined;
  private resumeCheck: Promise<boolean> | undefined;

  readonly requestId = this.requestIdState.asReadonly();
  readonly draft = this.draftState.asReadonly();
  /** A one-off message for the next step page, e.g. that the session expired. */
  readonly notice = signal<string | null>(null);

  /** Remembers where this visit came from (referrer, utm_* parameters), once per session. */
  rememberOrigin(search: string, referrer: string): void {
    if (this.storage.getItem(ORIGIN_KEY) !== null) return;
    const utm: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(search)) {
      if (key.startsWith('utm_') && value) utm[key.slice(4)] = value;
    }
    this.storage.setItem(
      ORIGIN_KEY,
      JSON.stringify({ ...(referrer ? { referrer } : {}), ...(Object.keys(utm).length ? { utm } : {}) }),
    );
  }

  lastTrackingToken(): string | null {
    return this.trackingStorage.getItem(LAST_TRACKING_KEY);
  }

  /** The service catalog, fetched once; a failed fetch is retried on the next call. */
  services(): Promise<readonly ServiceOffer[]> {
    this.catalog ??= this.api.listServices().catch((error: unknown) => {
      this.catalog = undefined;
      throw error;
    });
    return this.catalog;
  }

  async ensureStarted(): Promise<string> {
    const existing = this.requestIdState();
    if (existing) return existing;
    const id = await this.api.start(readOrigin(this.storage));
    this.storage.setItem(REQUEST_ID_KEY, id);
    this.requestIdState.set(id);
    return id;
  }

  /**
   * Once per page load, checks that a stored request still exists: drops an expired one and
   * sends a finished one to its status page. Resolves false when it navigated away.
   */
  resume(): Promise<boolean> {
    this.resumeCheck ??= this.checkStoredRequest();
    return this.resumeCheck;
  }

  async submitLocation(location: { address: string; lat?: number; lng?: number }): Promise<LocationResult> {
    this.saveDraft({ address: location.address });
    let requestId = await this.ensureStarted();
    let result: LocationResult;
    try {
      result = await this.api.setLocation(requestId, location);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      // The stored request expired: the location is the first step, so start over quietly.
      this.forgetRequest();
      requestId = await this.ensureStarted();
      result = await this.api.setLocation(requestId, location);
    }
    this.saveDraft({ formattedAddress: result.address.formatted });
    return result;
  }

  async submitService(choice: ServiceChoice, serviceName: string): Promise<void> {
    const requestId = this.requireRequestId();
    this.saveDraft({
      serviceCode: choice.serviceCode,
      serviceName,
      name: choice.name,
      phone: choice.phone,
      notes: choice.notes ?? '',
    });
    const { depositCents } = await this.api.setService(requestId, choice);
    this.saveDraft({ depositCents });
  }

  preparePayment(): Promise<PaymentIntent> {
    return this.api.createPaymentIntent(this.requireRequestId());
  }

  confirmWithTestCard(paymentMethod: string): Promise<{ status: string }> {
    return this.api.testConfirm(this.requireRequestId(), paymentMethod);
  }

  /** Submits the booking; on success the booking session ends and the tracking token is kept. */
  async complete(): Promise<string> {
    const { trackingToken } = await this.api.complete(this.requireRequestId());
    this.trackingStorage.setItem(LAST_TRACKING_KEY, trackingToken);
    this.forgetRequest();
    this.storage.removeItem(DRAFT_KEY);
    this.draftState.set({});
    return trackingToken;
  }

  /**
   * Follows an error that means "you are on the wrong page": a step out of order goes to the step
   * the server expects, an expired or missing request starts over. Resolves true when it
   * navigated; other errors are for the page to show.
   */
  async redirectFor(error: unknown): Promise<boolean> {
    const apiError = toApiError(error);
    if (apiError.is('STEP_OUT_OF_ORDER')) {
      const expected = apiError.details?.['expected'];
      if (isBookingStep(expected)) {
        switch (expected) {
          case 'complete':
            return this.showFinishedBooking();
          case 'start':
            return this.startOver(apiError.message);
          default:
            // The server's sentence says what to do first, e.g. "Tell us where you are first."
            this.notice.set(apiError.message);
            return this.router.navigateByUrl(STEP_PATHS[expected]);
        }
      }
    }
    if (apiError.status === 404 || apiError.code === 'MISSING_REQUEST') return this.startOver(EXPIRED_NOTICE);
    return false;
  }

  private startOver(notice: string): Promise<boolean> {
    this.forgetRequest();
    this.notice.set(notice);
    return this.router.navigateByUrl(STEP_PATHS.location);
  }

  /** The server says this booking is already complete: completing again (idempotent) gives its link. */
  private async showFinishedBooking(): Promise<boolean> {
    try {
      const trackingToken = await this.complete();
      return this.router.navigate(['/status', trackingToken], { replaceUrl: true });
    } catch {
      return this.startOver(EXPIRED_NOTICE);
    }
  }

  private async checkStoredRequest(): Promise<boolean> {
    const requestId = this.requestIdState();
    if (!requestId) return true;
    try {
      const status = await this.api.getRequest(requestId);
      if (status.trackingToken) {
        this.trackingStorage.setItem(LAST_TRACKING_KEY, status.trackingToken);
        this.forgetRequest();
        await this.router.navigate(['/status', status.trackingToken]);
        return false;
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.forgetRequest();
        this.notice.set(EXPIRED_NOTICE);
      }
      // Any other failure: carry on; the next step call reports it where the customer can act.
    }
    return true;
  }

  private requireRequestId(): string {
    const requestId = this.requestIdState();
    if (requestId) return requestId;
    // Reached a later step without a booking (deep link, cleared storage): the server would say
    // 404, so answer the same way without asking.
    throw new ApiError(404, 'MISSING_REQUEST', 'Your booking session has ended. Please start again.');
  }

  private forgetRequest(): void {
    this.storage.removeItem(REQUEST_ID_KEY);
    this.requestIdState.set(null);
  }

  private saveDraft(patch: BookingDraft): void {
    const next = { ...this.draftState(), ...patch };
    this.draftState.set(next);
    this.storage.setItem(DRAFT_KEY, JSON.stringify(next));
  }
}
