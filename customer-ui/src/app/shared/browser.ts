import { InjectionToken } from '@angular/core';

/** The browser's geolocation, or null where there is none; tests provide a fake. */
export const GEOLOCATION = new InjectionToken<Geolocation | null>('GEOLOCATION', {
  providedIn: 'root',
  factory: () =>
    typeof navigator !== 'undefined' && 'geolocation' in navigator ? navigator.geolocation : null,
});

/** Opens a Server-Sent Events stream; null where the browser has no EventSource. */
export type EventSourceFactory = (url: string) => EventSource;

export const EVENT_SOURCE = new InjectionToken<EventSourceFactory | null>('EVENT_SOURCE', {
  providedIn: 'root',
  factory: () => (typeof EventSource === 'function' ? (url: string) => new EventSource(url) : null),
});
