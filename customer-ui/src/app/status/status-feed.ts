import { DestroyRef, inject, Injectable, signal } from '@angular/core';

import { type ApiError, toApiError } from '../api/api-error';
import {
  BookingApi,
  type JobState,
  parseRequestStatus,
  type RequestStatus,
  trackingEventsUrl,
} from '../api/booking-api';
import { EVENT_SOURCE } from '../shared/browser';

export const POLL_INTERVAL_MS = 5_000;

const FINAL_STATES: ReadonlySet<JobState> = new Set(['COMPLETED', 'CANCELED', 'FAILED']);

export function isFinal(status: RequestStatus | null): boolean {
  const state = status?.job?.state;
  return state !== undefined && FINAL_STATES.has(state);
}

/** How updates arrive: a Server-Sent Events stream, or polling when the stream fails. */
export type FeedMode = 'connecting' | 'live' | 'polling' | 'stopped';

/**
 * The live status of one booking: first a GET, then the SSE stream of `status` events, opened again
 * when the server ends it with a `reconnect` event; if the stream errors (or is refused), a GET every
 * 5 s instead. Everything stops once the job reaches a final state or
 * the page goes away. Provided per status page.
 */
@Injectable()
export class StatusFeed {
  private readonly api = inject(BookingApi);
  private readonly openEventSource = inject(EVENT_SOURCE);

  readonly status = signal<RequestStatus | null>(null);
  readonly error = signal<ApiError | null>(null);
  readonly mode = signal<FeedMode>('connecting');

  private token = '';
  private source: EventSource | null = null;
  private pollTimer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    inject(DestroyRef).onDestroy(() => this.stop());
  }

  async start(trackingToken: string): Promise<void> {
    this.stop();
    this.token = trackingToken;
    this.mode.set('connecting');
    try {
      this.accept(await this.api.track(trackingToken));
    } catch (error) {
      this.fail(toApiError(error));
      if (this.error()?.status === 404) return;
    }
    if (isFinal(this.status())) return;
    this.listen();
  }

  stop(): void {
    this.source?.close();
    this.source = null;
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.mode.set('stopped');
  }

  private listen(): void {
    if (!this.openEventSource) {
      this.poll();
      return;
    }
    const source = this.openEventSource(trackingEventsUrl(this.token));
    this.source = source;
    source.addEventListener('open', () => this.mode.set('live'));
    source.addEventListener('status', (event) => {
      if (!(event instanceof MessageEvent) || typeof event.data !== 'string') return;
      try {
        const status = parseRequestStatus(JSON.parse(event.data));
        this.mode.set('live');
        this.accept(status);
      } catch {
        // One malformed event should not end live updates; the next one replaces it.
      }
    });
    // The server ends a stream after a while (or when a gateway replica stops) and says so first:
    // open it again at once; that is no failure, so no polling.
    source.addEventListener('reconnect', () => {
      source.close();
      if (this.source === source) {
        this.source = null;
        this.listen();
      }
    });
    source.addEventListener('error', () => {
      // EventSource would retry on its own, with no word to us: poll instead, steadily.
      source.close();
      if (this.source === source) {
        this.source = null;
        this.poll();
      }
    });
  }

  private poll(): void {
    if (this.pollTimer !== null) return;
    this.mode.set('polling');
    this.pollTimer = setInterval(() => void this.refresh(), POLL_INTERVAL_MS);
  }

  private async refresh(): Promise<void> {
    try {
      this.accept(await this.api.track(this.token));
    } catch (error) {
      const apiError = toApiError(error);
      // A dropped connection at night on a phone is normal: keep polling, say so quietly.
      this.fail(apiError);
      if (apiError.status === 404) this.stop();
    }
  }

  private accept(status: RequestStatus): void {
    this.status.set(status);
    this.error.set(null);
    if (isFinal(status)) this.stop();
  }

  private fail(error: ApiError): void {
    this.error.set(error);
  }
}
