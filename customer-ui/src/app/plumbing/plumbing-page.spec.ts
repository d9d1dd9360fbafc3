import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { provideRouter } from '@angular/router';
import { TestBed } from '@angular/core/testing';
import { beforeEach, describe, expect, it } from '@jest/globals';

import { apiError, nextRequest, spokenText } from '../../testing/http';
import { PlumbingPage } from './plumbing-page';

const CONSENT = 'By checking this box, I agree to be contacted about this request.';
const CATALOGUE = {
  items: [
    { code: 'drain_cleaning', name: 'Drain cleaning' },
    { code: 'leak_repair', name: 'Leak repair' },
  ],
  consentText: CONSENT,
};

describe('PlumbingPage', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
    http = TestBed.inject(HttpTestingController);
  });

  async function open() {
    const fixture = TestBed.createComponent(PlumbingPage);
    (await nextRequest(http, 'GET', '/api/leads/services')).flush(CATALOGUE);
    await fixture.whenStable();
    const element: HTMLElement = fixture.nativeElement;
    const control = (label: string): HTMLInputElement | HTMLTextAreaElement => {
      const formField = [...element.querySelectorAll('mat-form-field')].find((f) =>
        f.querySelector('mat-label')?.textContent?.includes(label),
      );
      const found = formField?.querySelector<HTMLInputElement | HTMLTextAreaElement>('input, textarea');
      if (!found) throw new Error(`no field labelled ${label}`);
      return found;
    };
    const type = async (label: string, text: string) => {
      const input = control(label);
      input.value = text;
      input.dispatchEvent(new Event('input'));
      input.dispatchEvent(new Event('blur'));
      await fixture.whenStable();
    };
    const choose = async (text: string) => {
      const choice = [...element.querySelectorAll('label.choice')].find((l) => l.textContent?.includes(text));
      choice?.querySelector<HTMLInputElement>('input')?.click();
      await fixture.whenStable();
    };
    const tickConsent = async () => {
      element.querySelector<HTMLInputElement>('input[type=checkbox]')!.click();
      await fixture.whenStable();
    };
    const submit = async () => {
      element.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
      await fixture.whenStable();
    };
    const fillAll = async () => {
      await choose('Leak repair');
      await choose('This week');
      await type('ZIP code', ' 94110 ');
      await type('First name', ' Dana ');
      await type('Last name', 'Whitfield');
      await type('Mobile number', '(415) 555-0134');
      await type('Email', 'dana@example.com ');
      await tickConsent();
    };
    /** The error beside the field with this label (Material's `<mat-error>`). */
    const errorOf = (label: string) =>
      [...element.querySelectorAll('mat-form-field')]
        .find((f) => f.querySelector('mat-label')?.textContent?.includes(label))
        ?.querySelector('mat-error')
        ?.textContent?.trim();
    const heading = () => element.querySelector('h1')?.textContent?.trim();
    const text = () => spokenText(element);
    return { fixture, element, type, choose, submit, fillAll, errorOf, heading, text };
  }

  it('asks what, when, where and who, with the services from the server and its consent sentence', async () => {
    const { element, heading } = await open();
    expect(heading()).toBe('Need a plumber?');
    expect([...element.querySelectorAll('label.choice')].map((c) => spokenText(c))).toEqual([
      'Drain cleaning',
      'Leak repair',
      'Today or tomorrow It is urgent',
      'This week Soon, but not an emergency',
      'This month I am planning ahead',
    ]);
    expect(element.querySelector('.consent__text')?.textContent).toBe(CONSENT);
  });

  it('says beside each field what is missing and sends nothing', async () => {
    const { submit, errorOf, element } = await open();
    await submit();

    expect(errorOf('First name')).toBe('Enter your first name.');
    expect(errorOf('Last name')).toBe('Enter your last name.');
    expect(errorOf('Mobile number')).toBe('Enter your mobile number.');
    expect(errorOf('Email')).toBe('Enter your email address.');
    expect(errorOf('ZIP code')).toBe('Enter the ZIP code where the work is.');
    expect(element.querySelector('#service-error')?.textContent?.trim()).toBe('Choose what you need done.');
    expect(element.querySelector('#urgency-error')?.textContent?.trim()).toBe('Choose when you need it.');
    expect(element.querySelector('#consent-error')?.textContent?.trim()).toBe(
      'Tick the box so a plumber may contact you.',
    );
    http.expectNone('/api/leads');
  });

  it('checks the shape of the email, phone and ZIP code as they are typed', async () => {
    const { type, errorOf } = await open();
    await type('Email', 'dana@');
    await type('Mobile number', '555-0134');
    await type('ZIP code', '9411');
    expect(errorOf('Email')).toBe('Enter an email address like name@example.com.');
    expect(errorOf('Mobile number')).toBe('Add the area code, e.g. (415) 555-0123.');
    expect(errorOf('ZIP code')).toBe('Enter a 5-digit ZIP code, e.g. 94110.');
  });

  it('sends the lead with the consent box ticked and the phone in international form, then says what happens next', async () => {
    const { fillAll, submit, heading, text } = await open();
    await fillAll();
    await submit();

    const request = await nextRequest(http, 'POST', '/api/leads');
    expect(request.request.body).toEqual({
      firstName: 'Dana',
      lastName: 'Whitfield',
      email: 'dana@example.com',
      phone: '+14155550134',
      serviceNeeded: 'leak_repair',
      urgency: 'week',
      zipCode: '94110',
      consent: true,
    });
    request.flush(
      { leadId: '3f7c1a52-5d8e-4a47-9b43-0f6f0e1f2a10', status: 'accepted', priceCents: 4500 },
      { status: 201, statusText: 'Created' },
    );
    await eventuallyStable(() => heading() === 'Request sent');
    expect(text()).toContain("Thanks, Dana. We're finding you a plumber.");
    expect(text()).toContain('dana@example.com');
    // The price is what the plumber pays for the lead: not the homeowner's business.
    expect(text()).not.toContain('$45');
  });

  it('puts the server’s field problems beside their fields', async () => {
    const { fillAll, submit, errorOf, text } = await open();
    await fillAll();
    await submit();

    apiError(
      await nextRequest(http, 'POST', '/api/leads'),
      400,
      'VALIDATION_FAILED',
      'Check these fields: zipCode, email.',
      {
        fields: [
          { field: 'zipCode', message: 'There is no US ZIP code 94110.' },
          { field: 'email', message: 'Enter an email address like name@example.com.' },
        ],
      },
    );
    await eventuallyStable(() => errorOf('ZIP code') === 'There is no US ZIP code 94110.');
    expect(errorOf('Email')).toBe('Enter an email address like name@example.com.');
    expect(text()).not.toContain('Check these fields');
  });

  it('tells a homeowner who asked already that we have their request', async () => {
    const { fillAll, submit, heading, text } = await open();
    await fillAll();
    await submit();
    apiError(
      await nextRequest(http, 'POST', '/api/leads'),
      409,
      'DUPLICATE_LEAD',
      'This lead was already received.',
      { leadId: '3f7c1a52-5d8e-4a47-9b43-0f6f0e1f2a10' },
    );
    await eventuallyStable(() => heading() === 'We already have your request');
    expect(text()).toContain('You asked us for leak repair recently.');
  });

  it('says when no plumber covers the ZIP code, and keeps the form to change it', async () => {
    const { fillAll, submit, element, text } = await open();
    await fillAll();
    await submit();
    apiError(
      await nextRequest(http, 'POST', '/api/leads'),
      422,
      'NOT_SERVED',
      'No plumber takes this service in this ZIP code.',
    );
    await eventuallyStable(() => text().includes('No plumber covers 94110 yet'));
    expect(element.querySelector('app-alert')?.getAttribute('role')).toBe('status');
    expect(element.querySelector('form')).not.toBeNull();
  });

  it('asks to wait after too many requests', async () => {
    const { fillAll, submit, text } = await open();
    await fillAll();
    await submit();
    apiError(
      await nextRequest(http, 'POST', '/api/leads'),
      429,
      'RATE_LIMITED',
      'Rate limit exceeded, retry in 1 minute',
    );
    await eventuallyStable(() => text().includes('Too many requests'));
    expect(text()).toContain('Wait a minute, then send the form again.');
  });

  it('shows any other failure in the server’s words', async () => {
    const { fillAll, submit, text } = await open();
    await fillAll();
    await submit();
    apiError(
      await nextRequest(http, 'POST', '/api/leads'),
      503,
      'SERVICE_UNAVAILABLE',
      'The lead service is not answering. Try again in a minute.',
    );
    await eventuallyStable(() => text().includes('The lead service is not answering.'));
  });

  it('offers to try again when the services cannot be loaded', async () => {
    const fixture = TestBed.createComponent(PlumbingPage);
    apiError(
      await nextRequest(http, 'GET', '/api/leads/services'),
      503,
      'SERVICE_UNAVAILABLE',
      'Intake is not answering.',
    );
    await fixture.whenStable();
    const element: HTMLElement = fixture.nativeElement;
    expect(spokenText(element.querySelector('app-alert'))).toContain('Intake is not answering.');
    element.querySelector<HTMLButtonElement>('app-alert button')!.click();
    (await nextRequest(http, 'GET', '/api/leads/services')).flush(CATALOGUE);
    await fixture.whenStable();
    expect(element.querySelector('form')).not.toBeNull();
  });

  /** Waits until the page shows what `ready` looks for (the answer is handled asynchronously). */
  async function eventuallyStable(ready: () => boolean): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      TestBed.tick();
      if (ready()) return;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    throw new Error('the page never showed the expected answer');
  }
});
