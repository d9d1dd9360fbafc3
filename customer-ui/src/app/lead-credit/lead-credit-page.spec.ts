import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { beforeEach, describe, expect, it } from '@jest/globals';

import { apiError, nextRequest, spokenText } from '../../testing/http';
import { LeadCreditPage } from './lead-credit-page';

const TOKEN = '3f7c1a52-5d8e-4a47-9b43-0f6f0e1f2a10.AbCdEfGhIjKlMnOpQrStUvWxYz012345678_-ab';
const URL = `/api/lead-credits/${encodeURIComponent(TOKEN)}`;

const credit = (overrides: Record<string, unknown> = {}) => ({
  id: '9a7c1a52-5d8e-4a47-9b43-0f6f0e1f2a10',
  leadId: '3f7c1a52-5d8e-4a47-9b43-0f6f0e1f2a10',
  reason: 'wrong_number',
  note: null,
  status: 'approved',
  amountCents: 4500,
  automatic: true,
  decisionNote: null,
  requestedAt: '2026-12-04T18:00:00.000Z',
  ...overrides,
});

const view = (overrides: Record<string, unknown> = {}) => ({
  leadCode: '4821',
  serviceName: 'Drain cleaning',
  urgency: 'day',
  zipCode: '94105',
  priceCents: 4500,
  creditedCents: 0,
  soldAt: '2026-12-04T17:00:00.000Z',
  deadline: '2026-12-11T17:00:00.000Z',
  open: true,
  plumber: { firstName: 'Rosa' },
  credits: [],
  ...overrides,
});

describe('LeadCreditPage', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
    http = TestBed.inject(HttpTestingController);
  });

  async function until(fixture: { whenStable(): Promise<unknown> }, ready: () => boolean): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      TestBed.tick();
      await fixture.whenStable();
      if (ready()) return;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    throw new Error('the page never showed the expected answer');
  }

  async function open(body: object = view()) {
    const fixture = TestBed.createComponent(LeadCreditPage);
    fixture.componentRef.setInput('token', TOKEN);
    fixture.detectChanges();
    (await nextRequest(http, 'GET', URL)).flush(body);
    const element: HTMLElement = fixture.nativeElement;
    const text = () => spokenText(element);
    await until(fixture, () => !text().includes('Loading the lead'));
    const select = () => element.querySelector<HTMLSelectElement>('select[name=reason]');
    const note = () => element.querySelector<HTMLTextAreaElement>('textarea[name=note]');
    const submit = () => element.querySelector<HTMLButtonElement>('button[type=submit]');
    const choose = (reason: string) => {
      const box = select();
      if (!box) throw new Error('no reason select');
      box.value = reason;
      box.dispatchEvent(new Event('change'));
    };
    const type = (words: string) => {
      const box = note();
      if (!box) throw new Error('no note');
      box.value = words;
      box.dispatchEvent(new Event('input'));
    };
    return { fixture, element, text, select, submit, choose, type };
  }

  it('shows the lead bought and the reasons, and asks nothing by opening', async () => {
    const { element, text, select, submit } = await open();
    expect(text()).toContain('Credit for lead 4821');
    expect(text()).toContain('Hi Rosa.');
    const terms = [...element.querySelectorAll('dt')].map((e) => e.textContent?.trim());
    expect(terms).toEqual(['Service', 'Needed', 'Area', 'Price', 'Bought', 'Ask by']);
    expect(text()).toContain('ZIP 94105');
    expect(text()).toContain('$45');
    expect([...(select()?.options ?? [])].map((o) => o.textContent?.trim())).toEqual([
      'Choose a reason',
      'Wrong or disconnected number',
      'Duplicate of a lead I bought',
      'Outside my area',
      'Not a service I buy',
      'Not a real request',
      'Could not reach after trying',
      'Other',
    ]);
    expect(submit()?.textContent?.trim()).toBe('Ask for a credit');
    http.expectNone({ method: 'POST' });
  });

  it('needs a reason before it sends anything', async () => {
    const { fixture, submit, text } = await open();
    submit()!.click();
    await until(fixture, () => text().includes('Choose what was wrong with the lead.'));
    http.expectNone({ method: 'POST' });
  });

  it('sends the reason and the note, and says it was credited when the check holds', async () => {
    const { fixture, submit, text, choose, type } = await open();
    choose('wrong_number');
    type('  number disconnected ');
    fixture.detectChanges();
    submit()!.click();
    const request = await nextRequest(http, 'POST', URL);
    expect(request.request.body).toEqual({ reason: 'wrong_number', note: 'number disconnected' });
    request.flush(credit());
    await until(fixture, () => text().includes('Credited: $45 goes back to your card within minutes.'));
    expect(submit()).toBeNull();
    expect(text()).toContain('Your requests');
    expect(text()).toContain('Wrong or disconnected number');
  });

  it('says an operator will look at a request that waits for review', async () => {
    const { fixture, submit, text, choose } = await open();
    choose('could_not_reach');
    submit()!.click();
    const request = await nextRequest(http, 'POST', URL);
    expect(request.request.body).toEqual({ reason: 'could_not_reach' });
    request.flush(credit({ reason: 'could_not_reach', status: 'review', automatic: false }));
    await until(fixture, () => text().includes('An operator will look at it today'));
  });

  it('shows the server’s sentence when the request is refused', async () => {
    const { fixture, submit, text, choose } = await open();
    choose('duplicate');
    submit()!.click();
    apiError(
      await nextRequest(http, 'POST', URL),
      409,
      'CREDIT_WINDOW_CLOSED',
      'Lead 4821 was sold more than 7 days ago.',
    );
    await until(fixture, () => text().includes('Lead 4821 was sold more than 7 days ago.'));
    expect(submit()).not.toBeNull();
  });

  it('shows a closed lead without the form, with the earlier requests', async () => {
    const { text, submit } = await open(
      view({
        open: false,
        creditedCents: 4500,
        credits: [
          credit({ status: 'credited' }),
          credit({ id: 'x', status: 'denied', decisionNote: 'They hired you.' }),
        ],
      }),
    );
    expect(submit()).toBeNull();
    expect(text()).toContain('This lead was credited in full.');
    expect(text()).toContain('Credited: $45 refunded to your card.');
    expect(text()).toContain('Not credited: They hired you.');
  });

  it('explains a link that is not a credit link', async () => {
    const fixture = TestBed.createComponent(LeadCreditPage);
    fixture.componentRef.setInput('token', TOKEN);
    fixture.detectChanges();
    apiError(await nextRequest(http, 'GET', URL), 404, 'CREDIT_LINK_NOT_FOUND', 'No such link.');
    await until(fixture, () => spokenText(fixture.nativeElement).includes("This link doesn't work"));
  });
});
