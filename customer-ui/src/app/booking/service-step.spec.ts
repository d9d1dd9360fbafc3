import { TestBed } from '@angular/core/testing';
import { beforeEach, describe, expect, it } from '@jest/globals';

import { type BookingTestBed, setUpBooking } from '../../testing/booking';
import { nextRequest, settle } from '../../testing/http';
import { ServiceStep } from './service-step';

const CATALOG = {
  items: [
    {
      code: 'HOME_LOCKOUT',
      name: 'Home lockout',
      depositCents: 4900,
      priceMinCents: 8900,
      priceMaxCents: 14900,
    },
    {
      code: 'CAR_LOCKOUT',
      name: 'Car lockout',
      depositCents: 4900,
      priceMinCents: 9900,
      priceMaxCents: 17900,
    },
  ],
};

describe('ServiceStep', () => {
  let bed: BookingTestBed;

  beforeEach(() => {
    bed = setUpBooking();
    bed.session.setItem('booking.requestId', 'req-1');
  });

  async function open() {
    const fixture = TestBed.createComponent(ServiceStep);
    (await nextRequest(bed.http, 'GET', '/api/request/req-1')).flush({
      id: 'req-1',
      step: 'service',
      state: 'DRAFT',
    });
    (await nextRequest(bed.http, 'GET', '/api/services')).flush(CATALOG);
    await fixture.whenStable();
    const element: HTMLElement = fixture.nativeElement;
    const field = (label: string): HTMLInputElement | HTMLTextAreaElement => {
      const formField = [...element.querySelectorAll('mat-form-field')].find((f) =>
        f.querySelector('mat-label')?.textContent?.includes(label),
      );
      const control = formField?.querySelector<HTMLInputElement | HTMLTextAreaElement>('input, textarea');
      if (!control) throw new Error(`no field labelled ${label}`);
      return control;
    };
    const type = async (label: string, text: string) => {
      const control = field(label);
      control.value = text;
      control.dispatchEvent(new Event('input'));
      control.dispatchEvent(new Event('blur'));
      await fixture.whenStable();
    };
    const choose = async (serviceName: string) => {
      const card = [...element.querySelectorAll('label.service-card')].find((l) =>
        l.textContent?.includes(serviceName),
      );
      card?.querySelector<HTMLInputElement>('input')?.click();
      await fixture.whenStable();
    };
    const submit = async () => {
      element.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
      await fixture.whenStable();
    };
    const errors = () =>
      [...element.querySelectorAll('mat-error, .services__error')].map((e) => e.textContent?.trim());
    return { fixture, element, field, type, choose, submit, errors };
  }

  it('shows each service with its usual price range and deposit', async () => {
    const { element } = await open();
    const cards = [...element.querySelectorAll('label.service-card')].map((c) =>
      c.textContent?.replace(/\s+/g, ' ').trim(),
    );
    expect(cards).toEqual([
      'Home lockout Usually $89–$149 in total · $49 deposit now',
      'Car lockout Usually $99–$179 in total · $49 deposit now',
    ]);
  });

  it('says what is missing when the form is sent empty', async () => {
    const { submit, errors } = await open();
    await submit();

    expect(errors()).toEqual([
      'Choose the service you need.',
      'Enter your name, so the locksmith knows who to ask for.',
      'Enter your mobile number, so the locksmith can call or text you.',
    ]);
    bed.http.expectNone('/api/request/req-1/service');
  });

  it('explains how to write a phone number it cannot read', async () => {
    const { type, errors } = await open();
    await type('Mobile number', '555-0123');

    expect(errors()).toContain('Enter a mobile number with its area code, e.g. (415) 555-0123.');
  });

  it('sends the choice with the phone number in international form, then asks for the deposit', async () => {
    const { choose, type, submit } = await open();
    await choose('Home lockout');
    await type('Your name', '  Ann Lee ');
    await type('Mobile number', '(415) 555-0123');
    await type('Notes', 'Blue door, code 1234');
    await submit();

    const request = await nextRequest(bed.http, 'POST', '/api/request/req-1/service');
    expect(request.request.body).toEqual({
      serviceCode: 'HOME_LOCKOUT',
      name: 'Ann Lee',
      phone: '+14155550123',
      notes: 'Blue door, code 1234',
    });
    request.flush({ depositCents: 4900 });
    await settle();
    await settle();
    expect(bed.router.url).toBe('/book/payment');
  });

  it('goes back to the step the server expects when this one comes too early', async () => {
    const { choose, type, submit } = await open();
    await choose('Car lockout');
    await type('Your name', 'Ann');
    await type('Mobile number', '+14155550123');
    await submit();
    (await nextRequest(bed.http, 'POST', '/api/request/req-1/service')).flush(
      { code: 'STEP_OUT_OF_ORDER', message: 'Enter your address first.', details: { expected: 'location' } },
      { status: 409, statusText: 'Conflict' },
    );
    await settle();
    await settle();

    expect(bed.router.url).toBe('/book/location');
  });
});
