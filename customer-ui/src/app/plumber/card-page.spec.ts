import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { beforeEach, describe, expect, it } from '@jest/globals';

import { apiError, eventually, nextRequest, settle } from '../../testing/http';
import { CardPage, CHARGE_TERMS, describeCard } from './card-page';

const TOKEN = 'tok_abcdefghijklmnopqrstuvwxyz0123456789ABCDE';
const URL = `/api/plumber-card/${TOKEN}`;

describe('CardPage', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
    http = TestBed.inject(HttpTestingController);
  });

  async function open() {
    const fixture = TestBed.createComponent(CardPage);
    fixture.componentRef.setInput('token', TOKEN);
    fixture.detectChanges();
    const element: HTMLElement = fixture.nativeElement;
    const text = () => element.textContent?.replace(/\s+/g, ' ') ?? '';
    const render = async () => {
      await settle();
      await fixture.whenStable();
    };
    const openSession = async (mode: 'emulator' | 'stripe' = 'emulator') => {
      (await nextRequest(http, 'GET', URL)).flush({
        setupIntentId: 'seti_1',
        clientSecret: 'seti_1_secret_x',
        plumber: { firstName: 'Rosa' },
        mode,
        expiresAt: '2026-12-11T12:00:00.000Z',
      });
      await render();
    };
    const chooseCard = async (label: string) => {
      const card = [...element.querySelectorAll('label.service-card')].find((l) =>
        l.textContent?.includes(label),
      );
      card?.querySelector<HTMLInputElement>('input')?.click();
      await fixture.whenStable();
    };
    const save = async () => {
      element.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
      await fixture.whenStable();
    };
    return { fixture, element, text, render, openSession, chooseCard, save };
  }

  it('greets the plumber and says what will be charged and when, in a clearly marked test mode', async () => {
    const page = await open();
    await page.openSession();

    expect(page.element.querySelector('h1')?.textContent?.trim()).toBe('Save your card, Rosa');
    expect(page.text()).toContain(CHARGE_TERMS);
    expect(page.text()).toContain('Nothing is charged today.');
    expect(page.text()).toContain('TEST MODE — no real card is saved');
    expect(page.text()).toContain('4242 4242 4242 4242');
    expect(page.element.querySelector('button[type=submit]')?.textContent?.trim()).toBe('Save card');
  });

  it('saves the chosen test card and shows it by brand and last 4', async () => {
    const page = await open();
    await page.openSession();
    await page.chooseCard('Mastercard');
    await page.save();

    const confirm = await nextRequest(http, 'POST', `${URL}/test-confirm`);
    expect(confirm.request.body).toEqual({ paymentMethod: 'pm_card_mastercard' });
    confirm.flush({ setupIntentId: 'seti_1', status: 'succeeded' });
    (await nextRequest(http, 'POST', `${URL}/complete`)).flush({
      card: { status: 'saved', brand: 'mastercard', last4: '4444' },
    });

    await eventually(() => expect(page.text()).toContain('Your card is saved'));
    await page.render();
    expect(page.text()).toContain('Mastercard ending in 4444');
    expect(page.text()).toContain(CHARGE_TERMS);
  });

  it('shows a declined card’s message and lets the plumber try another', async () => {
    const page = await open();
    await page.openSession();
    await page.chooseCard('Card that is declined');
    await page.save();

    apiError(
      await nextRequest(http, 'POST', `${URL}/test-confirm`),
      402,
      'CARD_DECLINED',
      'Your card was declined.',
    );
    await eventually(() =>
      expect(page.element.querySelector('[role=alert]')?.textContent).toContain('Your card was declined.'),
    );
    await page.render();
    expect(page.element.querySelector<HTMLButtonElement>('button[type=submit]')?.disabled).toBe(false);
    http.expectNone(`${URL}/complete`);
  });

  it('explains an expired link and what to do', async () => {
    const page = await open();
    apiError(
      await nextRequest(http, 'GET', URL),
      410,
      'CARD_LINK_EXPIRED',
      'This link has expired. Ask us for a new link to save your card.',
      { reason: 'expired' },
    );
    await page.render();

    expect(page.element.querySelector('h1')?.textContent?.trim()).toBe('This link no longer works');
    expect(page.text()).toContain('This link has expired. Ask us for a new link to save your card.');
    expect(page.element.querySelector('form')).toBeNull();
  });

  it('shows the card already saved with a used link', async () => {
    const page = await open();
    apiError(
      await nextRequest(http, 'GET', URL),
      410,
      'CARD_LINK_EXPIRED',
      'This link was already used to save your card. To change the card, ask us for a new link.',
      { reason: 'used', card: { status: 'saved', brand: 'visa', last4: '4242' } },
    );
    await page.render();

    expect(page.element.querySelector('h1')?.textContent?.trim()).toBe('Your card is already saved');
    expect(page.text()).toContain('Card on file: Visa ending in 4242');
    expect(page.text()).toContain('already used to save your card');
  });

  it('says so when the link does not exist', async () => {
    const page = await open();
    apiError(await nextRequest(http, 'GET', URL), 404, 'CARD_LINK_NOT_FOUND', 'This card link is not valid.');
    await page.render();
    expect(page.element.querySelector('h1')?.textContent?.trim()).toBe('We couldn’t find this link');
  });

  it('names cards as people know them', () => {
    expect(describeCard({ status: 'saved', brand: 'amex', last4: '0005' })).toBe(
      'American Express ending in 0005',
    );
    expect(describeCard({ status: 'saved' })).toBe('Card');
  });
});
