import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { apiError } from '../../testing/http';
import { ApiError } from './api-error';
import { BookingApi, parseRequestStatus } from './booking-api';

describe('BookingApi', () => {
  let api: BookingApi;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    api = TestBed.inject(BookingApi);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('reads the service catalog', async () => {
    const services = api.listServices();
    http.expectOne({ method: 'GET', url: '/api/services' }).flush({
      items: [
        {
          code: 'HOME_LOCKOUT',
          name: 'Home lockout',
          depositCents: 4900,
          priceMinCents: 8900,
          priceMaxCents: 14900,
        },
      ],
    });
    await expect(services).resolves.toEqual([
      {
        code: 'HOME_LOCKOUT',
        name: 'Home lockout',
        depositCents: 4900,
        priceMinCents: 8900,
        priceMaxCents: 14900,
      },
    ]);
  });

  it('sends the address and reads whether the area is served', async () => {
    const result = api.setLocation('req 1', { address: '1 Market St', lat: 37.79, lng: -122.39 });
    const request = http.expectOne({ method: 'POST', url: '/api/request/req%201/location' });
    expect(request.request.body).toEqual({ address: '1 Market St', lat: 37.79, lng: -122.39 });
    request.flush({
      served: false,
      address: { formatted: '1 Market St, SF', lat: 37.79, lng: -122.39, zip: '94105' },
    });
    await expect(result).resolves.toEqual({
      served: false,
      address: { formatted: '1 Market St, SF', lat: 37.79, lng: -122.39, zip: '94105' },
    });
  });

  it('rejects with the server’s code, message and details', async () => {
    const result = api.setService('r1', { serviceCode: 'HOME_LOCKOUT', name: 'Ann', phone: '+14155550123' });
    apiError(
      http.expectOne('/api/request/r1/service'),
      409,
      'STEP_OUT_OF_ORDER',
      'Enter your address first.',
      {
        expected: 'location',
      },
    );
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 409,
      code: 'STEP_OUT_OF_ORDER',
      message: 'Enter your address first.',
      details: { expected: 'location' },
    });
  });

  it('does not show a proxy’s error page to the customer', async () => {
    const result = api.start({});
    http
      .expectOne('/api/request/start')
      .flush('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' });
    await expect(result).rejects.toMatchObject({
      status: 502,
      message: 'Something went wrong on our side. Please try again in a moment.',
    });
  });

  it('reports a lost connection as such', async () => {
    const result = api.start({});
    http.expectOne('/api/request/start').error(new ProgressEvent('error'));
    await expect(result).rejects.toMatchObject({ code: 'NETWORK' });
  });

  it('rejects an answer of the wrong shape instead of passing it on', async () => {
    const result = api.createPaymentIntent('r1');
    http
      .expectOne('/api/request/r1/payment-intent')
      .flush({ paymentIntentId: 'pi_1', clientSecret: 's', amountCents: 4900, mode: 'paypal' });
    await expect(result).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('keeps the publishable key only when the server sends one', async () => {
    const result = api.createPaymentIntent('r1');
    http
      .expectOne('/api/request/r1/payment-intent')
      .flush({ paymentIntentId: 'pi_1', clientSecret: 'pi_1_secret', amountCents: 4900, mode: 'emulator' });
    await expect(result).resolves.toEqual({
      paymentIntentId: 'pi_1',
      clientSecret: 'pi_1_secret',
      amountCents: 4900,
      mode: 'emulator',
    });
  });
});

describe('parseRequestStatus', () => {
  it('reads a job with its locksmith and a structured address', () => {
    expect(
      parseRequestStatus({
        id: 'r1',
        step: 'done',
        state: 'BOOKED',
        trackingToken: 't1',
        address: { formatted: '1 Market St, San Francisco', lat: 1, lng: 2, zip: '94105' },
        job: { id: 'j1', state: 'EN_ROUTE', locksmith: { name: 'Maria', etaMinutes: 12 } },
      }),
    ).toEqual({
      id: 'r1',
      step: 'done',
      state: 'BOOKED',
      trackingToken: 't1',
      address: '1 Market St, San Francisco',
      job: { id: 'j1', state: 'EN_ROUTE', locksmith: { name: 'Maria', etaMinutes: 12 } },
    });
  });

  it('keeps a job state it does not know as unknown rather than failing', () => {
    expect(
      parseRequestStatus({ id: 'r1', step: 'done', state: 'BOOKED', job: { id: 'j1', state: 'ON_HOLD' } })
        .job,
    ).toEqual({
      id: 'j1',
      state: undefined,
    });
  });
});
