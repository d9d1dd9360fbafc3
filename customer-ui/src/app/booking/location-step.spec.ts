import { TestBed } from '@angular/core/testing';
import { beforeEach, describe, expect, it } from '@jest/globals';

import { type BookingTestBed, setUpBooking } from '../../testing/booking';
import { nextRequest, settle } from '../../testing/http';
import { LocationStep } from './location-step';

describe('LocationStep', () => {
  let bed: BookingTestBed;

  beforeEach(() => {
    bed = setUpBooking();
    bed.session.setItem('booking.requestId', 'req-1');
  });

  async function open() {
    const fixture = TestBed.createComponent(LocationStep);
    await fixture.whenStable();
    // Opening the step checks the stored request is still there.
    (await nextRequest(bed.http, 'GET', '/api/request/req-1')).flush({
      id: 'req-1',
      step: 'location',
      state: 'DRAFT',
    });
    await fixture.whenStable();
    const element: HTMLElement = fixture.nativeElement;
    const input = element.querySelector<HTMLInputElement>('input')!;
    const type = async (text: string) => {
      input.value = text;
      input.dispatchEvent(new Event('input'));
      await fixture.whenStable();
    };
    const submit = async () => {
      element.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
      await fixture.whenStable();
    };
    return { fixture, element, input, type, submit };
  }

  it('says what to fix when no address is given, and sends nothing', async () => {
    const { element, input, submit } = await open();
    await submit();

    expect(element.querySelector('mat-error')?.textContent).toContain(
      'Enter the address where you need the locksmith, or use your current location.',
    );
    const errorId = element.querySelector('mat-error')?.id;
    expect(input.getAttribute('aria-describedby')).toContain(errorId);
    expect(document.activeElement).toBe(input);
    bed.http.expectNone({ method: 'POST', url: '/api/request/req-1/location' });
  });

  it('asks for a street number when the address is too vague', async () => {
    const { element, type, submit } = await open();
    await type('Market Street');
    await submit();

    expect(element.querySelector('mat-error')?.textContent).toContain(
      'Enter a full street address with a number',
    );
  });

  it('goes on to the service step when the area is served', async () => {
    const { type, submit } = await open();
    await type('1 Market St, San Francisco');
    await submit();

    const request = await nextRequest(bed.http, 'POST', '/api/request/req-1/location');
    expect(request.request.body).toEqual({ address: '1 Market St, San Francisco' });
    request.flush({
      served: true,
      address: { formatted: '1 Market St, San Francisco, CA 94105', lat: 1, lng: 2, zip: '94105' },
    });
    await settle();
    await settle();

    expect(bed.router.url).toBe('/book/service');
  });

  it('shows a friendly "not covered yet" state instead of an error when the area is not served', async () => {
    const { fixture, element, type, submit } = await open();
    await type('10 Main St, Nowhere, ND');
    await submit();
    (await nextRequest(bed.http, 'POST', '/api/request/req-1/location')).flush({
      served: false,
      address: { formatted: '10 Main St, Nowhere, ND 58000', lat: 1, lng: 2, zip: '58000' },
    });
    await settle();
    await fixture.whenStable();

    expect(element.textContent).toContain("We don't cover this area yet");
    expect(element.textContent).toContain('10 Main St, Nowhere, ND 58000');
    expect(element.querySelector('[role=alert]')).toBeNull();
    expect(bed.router.url).not.toBe('/book/service');
  });

  it('shows the server’s message when it refuses the address', async () => {
    const { fixture, element, type, submit } = await open();
    await type('1 Market St, San Francisco');
    await submit();
    (await nextRequest(bed.http, 'POST', '/api/request/req-1/location')).flush(
      { code: 'GEOCODING_FAILED', message: 'We could not find that address. Check the street and city.' },
      { status: 422, statusText: 'Unprocessable' },
    );
    await settle();
    await fixture.whenStable();

    expect(element.querySelector('[role=alert]')?.textContent).toContain(
      'We could not find that address. Check the street and city.',
    );
  });
});
