import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';

import { BOOKING_STORAGE, TRACKING_STORAGE } from '../app/booking/booking-flow';
import { EVENT_SOURCE, type EventSourceFactory, GEOLOCATION } from '../app/shared/browser';
import { MemoryStorage } from './memory-storage';

@Component({ template: '' })
class Blank {}

export interface BookingTestBed {
  readonly http: HttpTestingController;
  readonly router: Router;
  readonly session: MemoryStorage;
  readonly tracking: MemoryStorage;
}

/** The app's providers with a fake backend, empty storage and placeholder pages to navigate to. */
export function setUpBooking(
  options: { geolocation?: Geolocation | null; eventSource?: EventSourceFactory | null } = {},
): BookingTestBed {
  const session = new MemoryStorage();
  const tracking = new MemoryStorage();
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      provideRouter([
        { path: 'book/location', component: Blank },
        { path: 'book/service', component: Blank },
        { path: 'book/payment', component: Blank },
        { path: 'status/:token', component: Blank },
      ]),
      { provide: BOOKING_STORAGE, useValue: session },
      { provide: TRACKING_STORAGE, useValue: tracking },
      { provide: GEOLOCATION, useValue: options.geolocation ?? null },
      { provide: EVENT_SOURCE, useValue: options.eventSource ?? null },
    ],
  });
  return {
    http: TestBed.inject(HttpTestingController),
    router: TestBed.inject(Router),
    session,
    tracking,
  };
}
