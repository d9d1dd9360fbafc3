import { TestBed } from '@angular/core/testing';
import { beforeEach, describe, expect, it } from '@jest/globals';

import { type BookingTestBed, setUpBooking } from '../../testing/booking';
import { apiError, nextRequest } from '../../testing/http';
import { BookingFlow, EXPIRED_NOTICE } from './booking-flow';

describe('BookingFlow', () => {
  let bed: BookingTestBed;
  /** The flow as the app creates it on a page load, with whatever the session holds by then. */
  const load = (): BookingFlow => TestBed.inject(BookingFlow);

  beforeEach(() => {
    bed = setUpBooking();
  });

  it('starts a request once and keeps its id in session storage, so a reload resumes it', async () => {
    const flow = load();
    flow.rememberOrigin('?utm_source=google&utm_campaign=night&q=x', 'https://www.google.com/');
    const started = flow.ensureStarted();
    const start = await nextRequest(bed.http, 'POST', '/api/request/start');
    expect(start.request.body).toEqual({
      referrer: 'https://www.google.com/',
      utm: { source: 'google', campaign: 'night' },
    });
    start.flush({ id: 'req-1' }, { status: 201, statusText: 'Created' });
    await expect(started).resolves.toBe('req-1');
    expect(bed.session.getItem('booking.requestId')).toBe('req-1');

    await expect(flow.ensureStarted()).resolves.toBe('req-1');
    bed.http.verify();
  });

  it('sends the customer to the step the server expects when a step comes out of order', async () => {
    bed.session.setItem('booking.requestId', 'req-1');
    const flow = load();
    const submitted = flow.submitService(
      { serviceCode: 'HOME_LOCKOUT', name: 'Ann', phone: '+14155550123' },
      'Home lockout',
    );
    apiError(
      await nextRequest(bed.http, 'POST', '/api/request/req-1/service'),
      409,
      'STEP_OUT_OF_ORDER',
      'Address first.',
      {
        expected: 'location',
      },
    );
    const error = await submitted.catch((e: unknown) => e);

    await expect(flow.redirectFor(error)).resolves.toBe(true);
    expect(bed.router.url).toBe('/book/location');
  });

  it('starts over with a notice when the server no longer knows the request', async () => {
    bed.session.setItem('booking.requestId', 'gone');
    const flow = load();
    const intent = flow.preparePayment();
    apiError(
      await nextRequest(bed.http, 'POST', '/api/request/gone/payment-intent'),
      404,
      'REQUEST_NOT_FOUND',
      'Expired.',
    );
    const error = await intent.catch((e: unknown) => e);

    await expect(flow.redirectFor(error)).resolves.toBe(true);
    expect(bed.router.url).toBe('/book/location');
    expect(flow.notice()).toBe(EXPIRED_NOTICE);
    expect(bed.session.getItem('booking.requestId')).toBeNull();
  });

  it('quietly starts a new request when the stored one expired before the address was sent', async () => {
    bed.session.setItem('booking.requestId', 'old');
    const flow = load();
    const result = flow.submitLocation({ address: '1 Market St' });
    apiError(
      await nextRequest(bed.http, 'POST', '/api/request/old/location'),
      404,
      'REQUEST_NOT_FOUND',
      'Expired.',
    );
    (await nextRequest(bed.http, 'POST', '/api/request/start')).flush(
      { id: 'new' },
      { status: 201, statusText: 'Created' },
    );
    (await nextRequest(bed.http, 'POST', '/api/request/new/location')).flush({
      served: true,
      address: { formatted: '1 Market St, San Francisco', lat: 1, lng: 2, zip: '94105' },
    });

    await expect(result).resolves.toMatchObject({ served: true });
    expect(flow.requestId()).toBe('new');
    expect(flow.draft().formattedAddress).toBe('1 Market St, San Francisco');
  });

  it('ends the booking session on completion and remembers the tracking link', async () => {
    bed.session.setItem('booking.requestId', 'req-1');
    bed.session.setItem('booking.draft', JSON.stringify({ name: 'Ann' }));
    const flow = load();
    const done = flow.complete();
    (await nextRequest(bed.http, 'POST', '/api/request/req-1/complete')).flush({
      state: 'BOOKED',
      trackingToken: 'trk',
    });

    await expect(done).resolves.toBe('trk');
    expect(bed.session.getItem('booking.requestId')).toBeNull();
    expect(bed.session.getItem('booking.draft')).toBeNull();
    expect(flow.lastTrackingToken()).toBe('trk');
  });

  it('takes a customer whose booking is already complete to its status page', async () => {
    bed.session.setItem('booking.requestId', 'req-1');
    const flow = load();
    const intent = flow.preparePayment();
    apiError(
      await nextRequest(bed.http, 'POST', '/api/request/req-1/payment-intent'),
      409,
      'STEP_OUT_OF_ORDER',
      'This booking is already complete.',
      { expected: 'complete' },
    );
    const redirected = flow.redirectFor(await intent.catch((e: unknown) => e));
    (await nextRequest(bed.http, 'POST', '/api/request/req-1/complete')).flush({
      state: 'completed',
      trackingToken: 'trk',
    });

    await expect(redirected).resolves.toBe(true);
    expect(bed.router.url).toBe('/status/trk');
  });

  it('passes the server’s sentence on to the step it sends the customer back to', async () => {
    bed.session.setItem('booking.requestId', 'req-1');
    const flow = load();
    const intent = flow.preparePayment();
    apiError(
      await nextRequest(bed.http, 'POST', '/api/request/req-1/payment-intent'),
      409,
      'STEP_OUT_OF_ORDER',
      'Choose a service and give your name and mobile number first.',
      { expected: 'service' },
    );

    await expect(flow.redirectFor(await intent.catch((e: unknown) => e))).resolves.toBe(true);
    expect(bed.router.url).toBe('/book/service');
    expect(flow.notice()).toBe('Choose a service and give your name and mobile number first.');
  });
});
