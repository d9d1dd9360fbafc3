import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { beforeEach, describe, expect, it } from '@jest/globals';

import { apiError, nextRequest, spokenText } from '../../testing/http';
import { LeadOfferPage } from './lead-offer-page';

const TOKEN = '3f7c1a52-5d8e-4a47-9b43-0f6f0e1f2a10.AbCdEfGhIjKlMnOpQrStUvWxYz012345678_-ab';
const URL = `/api/lead-offers/${encodeURIComponent(TOKEN)}`;

const offer = (overrides: Record<string, unknown> = {}) => ({
  offerId: '3f7c1a52-5d8e-4a47-9b43-0f6f0e1f2a10',
  leadCode: '4821',
  serviceName: 'Drain cleaning',
  urgency: 'day',
  zipCode: '94105',
  priceCents: 4500,
  expiresAt: '2026-12-04T20:00:00.000Z',
  status: 'PENDING',
  open: true,
  plumber: { firstName: 'Rosa' },
  ...overrides,
});

describe('LeadOfferPage', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
    http = TestBed.inject(HttpTestingController);
  });

  async function open(body: object = offer()) {
    const fixture = TestBed.createComponent(LeadOfferPage);
    fixture.componentRef.setInput('token', TOKEN);
    fixture.detectChanges();
    (await nextRequest(http, 'GET', URL)).flush(body);
    const element: HTMLElement = fixture.nativeElement;
    const text = () => spokenText(element);
    await until(fixture, () => !text().includes('Loading the offer'));
    const button = () => element.querySelector<HTMLButtonElement>('button.step__primary');
    return { fixture, element, text, button };
  }

  async function until(fixture: { whenStable(): Promise<unknown> }, ready: () => boolean): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      TestBed.tick();
      await fixture.whenStable();
      if (ready()) return;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    throw new Error('the page never showed the expected answer');
  }

  it('shows the offer without acting on it: opening the link buys nothing', async () => {
    const { text, button, element } = await open();
    expect(text()).toContain('Lead 4821');
    expect(text()).toContain('Hi Rosa, a homeowner near you needs a plumber.');
    expect([...element.querySelectorAll('dt, dd')].map((e) => e.textContent?.trim())).toEqual([
      'Service',
      'Drain cleaning',
      'Needed',
      'within a day',
      'Area',
      'ZIP 94105',
      'Price',
      '$45',
    ]);
    expect(button()?.textContent?.trim()).toBe('Buy this lead for $45');
    http.expectNone({ method: 'POST' });
  });

  it('buys the lead with the button and says the card is being charged', async () => {
    const { fixture, button, text } = await open();
    button()!.click();
    const request = await nextRequest(http, 'POST', `${URL}/accept`);
    request.flush({ outcome: 'charging', leadCode: '4821' });
    await until(fixture, () => text().includes("It's yours if your card goes through"));
    expect(button()).toBeNull();
  });

  it('tells a plumber who accepted second that they are next in line', async () => {
    const { fixture, button, text } = await open();
    button()!.click();
    (await nextRequest(http, 'POST', `${URL}/accept`)).flush({ outcome: 'queued', leadCode: '4821' });
    await until(fixture, () => text().includes("You're next in line"));
  });

  it('says so when the lead was sold before the button was pressed', async () => {
    const { fixture, button, text } = await open();
    button()!.click();
    (await nextRequest(http, 'POST', `${URL}/accept`)).flush({
      outcome: 'rejected',
      reason: 'lead_sold',
      leadCode: '4821',
    });
    await until(fixture, () => text().includes('already sold to another plumber'));
  });

  it('shows a closed offer without a button, in words', async () => {
    const { text, button } = await open(offer({ status: 'EXPIRED', open: false }));
    expect(button()).toBeNull();
    expect(text()).toContain('This offer expired before you accepted it. You were not charged.');
  });

  it('explains a link that is not an offer', async () => {
    const fixture = TestBed.createComponent(LeadOfferPage);
    fixture.componentRef.setInput('token', TOKEN);
    fixture.detectChanges();
    apiError(await nextRequest(http, 'GET', URL), 404, 'LEAD_OFFER_NOT_FOUND', 'No such lead offer.');
    await until(fixture, () => spokenText(fixture.nativeElement).includes("This link doesn't work"));
  });
});
