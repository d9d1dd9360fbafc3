import { TestBed } from '@angular/core/testing';
import { beforeEach, describe, expect, it } from '@jest/globals';

import { type BookingTestBed, setUpBooking } from '../../testing/booking';
import { eventually, nextRequest, settle } from '../../testing/http';
import { PaymentStep } from './payment-step';

describe('PaymentStep', () => {
  let bed: BookingTestBed;

  beforeEach(() => {
    bed = setUpBooking();
    bed.session.setItem('booking.requestId', 'req-1');
    bed.session.setItem(
      'booking.draft',
      JSON.stringify({
        formattedAddress: '1 Market St, San Francisco',
        serviceName: 'Home lockout',
        name: 'Ann',
      }),
    );
  });

  async function open(mode: 'emulator' | 'stripe' = 'emulator') {
    const fixture = TestBed.createComponent(PaymentStep);
    (await nextRequest(bed.http, 'GET', '/api/request/req-1')).flush({
      id: 'req-1',
      step: 'payment',
      state: 'DRAFT',
    });
    (await nextRequest(bed.http, 'POST', '/api/request/req-1/payment-intent')).flush({
      paymentIntentId: 'pi_1',
      clientSecret: 'pi_1_secret',
      amountCents: 4900,
      mode,
    });
    await settle();
    await fixture.whenStable();
    const element: HTMLElement = fixture.nativeElement;
    const chooseCard = async (label: string) => {
      const card = [...element.querySelectorAll('label.service-card')].find((l) =>
        l.textContent?.includes(label),
      );
      card?.querySelector<HTMLInputElement>('input')?.click();
      await fixture.whenStable();
    };
    const pay = async () => {
      element.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
      await fixture.whenStable();
    };
    return { fixture, element, chooseCard, pay };
  }

  it('shows the deposit and a clearly marked test mode with Stripe’s test cards', async () => {
    const { element } = await open();
    const text = element.textContent?.replace(/\s+/g, ' ') ?? '';

    expect(element.querySelector('.deposit__amount')?.textContent).toBe('$49');
    expect(text).toContain('TEST MODE — no real card is charged');
    expect(text).toContain('4242 4242 4242 4242');
    expect(text).toContain('4000 0000 0000 0002');
    expect(text).toContain('1 Market St, San Francisco');
    expect(element.querySelector('button[type=submit]')?.textContent?.trim()).toBe('Hold $49 and book');
  });

  it('holds the deposit with the approved test card, books, and opens the live status', async () => {
    const { pay } = await open();
    await pay();

    const confirm = await nextRequest(bed.http, 'POST', '/api/request/req-1/test-confirm');
    expect(confirm.request.body).toEqual({ paymentMethod: 'pm_card_visa' });
    confirm.flush({ status: 'requires_capture' });
    (await nextRequest(bed.http, 'POST', '/api/request/req-1/complete')).flush({
      state: 'BOOKED',
      trackingToken: 'trk-9',
    });

    await eventually(() => expect(bed.router.url).toBe('/status/trk-9'));
    expect(bed.tracking.getItem('tracking.lastToken')).toBe('trk-9');
  });

  it('shows the server’s message for a declined card and lets the customer try again', async () => {
    const { fixture, element, chooseCard, pay } = await open();
    await chooseCard('declined');
    await pay();

    const confirm = await nextRequest(bed.http, 'POST', '/api/request/req-1/test-confirm');
    expect(confirm.request.body).toEqual({ paymentMethod: 'pm_card_chargeDeclined' });
    confirm.flush(
      { code: 'CARD_DECLINED', message: 'Your card was declined. Please use another card.' },
      { status: 402, statusText: 'Payment Required' },
    );
    await settle();
    await fixture.whenStable();

    expect(element.querySelector('[role=alert]')?.textContent).toContain(
      'Your card was declined. Please use another card.',
    );
    expect(element.querySelector<HTMLButtonElement>('button[type=submit]')?.disabled).toBe(false);
    bed.http.expectNone('/api/request/req-1/complete');
  });

  it('says so when the booking is refused because the deposit was not authorized', async () => {
    const { fixture, element, pay } = await open();
    await pay();
    (await nextRequest(bed.http, 'POST', '/api/request/req-1/test-confirm')).flush({
      status: 'requires_payment_method',
    });
    (await nextRequest(bed.http, 'POST', '/api/request/req-1/complete')).flush(
      { code: 'DEPOSIT_NOT_AUTHORIZED', message: 'The deposit was not authorized. Please try another card.' },
      { status: 409, statusText: 'Conflict' },
    );
    await settle();
    await fixture.whenStable();

    expect(element.querySelector('[role=alert]')?.textContent).toContain(
      'The deposit was not authorized. Please try another card.',
    );
    expect(bed.router.url).not.toContain('/status/');
  });

  it('offers no card form when live mode comes without a publishable key', async () => {
    const { element } = await open('stripe');

    expect(element.querySelector('app-stripe-card')).toBeNull();
    expect(element.querySelector('[role=alert]')?.textContent).toContain(
      'Card payments are not available right now',
    );
  });
});
