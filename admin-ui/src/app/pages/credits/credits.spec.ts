import { provideHttpClient } from '@angular/common/http';
import type { TestRequest } from '@angular/common/http/testing';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import type { LeadCredit, Page } from '../../core/api-types';
import { CreditsPage } from './credits';

const at = (minute: number): string => new Date(Date.UTC(2026, 10, 21, 3, minute)).toISOString();

function credit(n: number, overrides: Partial<LeadCredit> = {}): LeadCredit {
  return {
    id: `cr-${n}`,
    leadId: `lead-${n}`,
    leadCode: String(4820 + n),
    serviceName: 'Water heater',
    zipCode: '94103',
    priceCents: 4500,
    plumberId: 'plumber-kim',
    plumberName: 'Kim Flow',
    plumberPhone: '+14155550188',
    plumberEmail: 'kim@example.com',
    reason: 'could_not_reach',
    note: 'called three times, voicemail full',
    channel: 'sms',
    status: 'review',
    amountCents: 4500,
    automatic: false,
    evidence: null,
    returnRate: 0.4,
    flagged: true,
    requestedBy: 'plumber-kim',
    decidedBy: null,
    decisionNote: null,
    refundId: null,
    failure: null,
    requestedAt: at(n),
    decidedAt: null,
    creditedAt: null,
    ...overrides,
  };
}

const page = (items: LeadCredit[], nextCursor: string | null = null): Page<LeadCredit> => ({
  items,
  nextCursor,
});

describe('CreditsPage', () => {
  let fixture: ComponentFixture<CreditsPage>;
  let http: HttpTestingController;
  let element: HTMLElement;

  function creditsRequest(): TestRequest {
    return http.expectOne((request) => request.url === '/api/admin/credits');
  }

  async function settle(): Promise<void> {
    fixture.detectChanges();
    await fixture.whenStable();
    fixture.detectChanges();
  }

  function button(label: string, root: ParentNode = element): HTMLButtonElement {
    const found = [...root.querySelectorAll('button')].find((b) => b.textContent?.includes(label));
    if (!found) throw new Error(`no button "${label}"`);
    return found;
  }

  function dialog(): HTMLElement {
    const found = document.querySelector<HTMLElement>('mat-dialog-container');
    if (!found) throw new Error('no dialog');
    return found;
  }

  function type(field: HTMLInputElement | HTMLTextAreaElement | null, value: string): void {
    if (!field) throw new Error('no field');
    field.value = value;
    field.dispatchEvent(new Event('input'));
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(CreditsPage);
    element = fixture.nativeElement as HTMLElement;
    await settle();
  });

  afterEach(() => {
    http.verify();
    document.querySelectorAll('.cdk-overlay-container').forEach((overlay) => (overlay.innerHTML = ''));
  });

  it('shows the queue with the evidence to decide on', async () => {
    const request = creditsRequest();
    expect(request.request.params.get('status')).toBe('review');
    request.flush(
      page([
        credit(1),
        credit(2, {
          reason: 'wrong_number',
          note: null,
          evidence: 'The confirmation SMS came back undelivered (30003).',
          returnRate: 0.1,
          flagged: false,
        }),
      ]),
    );
    await settle();

    const cards = [...element.querySelectorAll('.queue > li')].map(
      (card) => card.textContent?.replace(/\s+/g, ' ') ?? '',
    );
    expect(cards).toHaveLength(2);
    expect(cards[0]).toContain('Lead 4821 · $45.00');
    expect(cards[0]).toContain('Kim Flow');
    expect(cards[0]).toContain('Could not reach after trying');
    expect(cards[0]).toContain('“called three times, voicemail full”');
    expect(cards[0]).toContain('40%');
    expect(cards[0]).toContain('Flagged: above the review rate');
    expect(cards[1]).toContain('Wrong or disconnected number');
    expect(cards[1]).toContain('The confirmation SMS came back undelivered (30003).');
    expect(cards[1]).not.toContain('Flagged');
    const link = element.querySelector<HTMLAnchorElement>('.queue a[href="/leads/lead-1"]');
    expect(link).not.toBeNull();
  });

  it('says so when nothing waits for review', async () => {
    creditsRequest().flush(page([]));
    await settle();
    expect(element.textContent).toContain('No credit is waiting for review.');
  });

  it('approves a smaller amount after confirming, and takes it off the queue', async () => {
    creditsRequest().flush(page([credit(1), credit(2)]));
    await settle();

    const first = element.querySelector('.queue > li');
    button('Approve', first ?? element).click();
    await settle();
    expect(dialog().textContent).toContain('Approve the credit for lead 4821');
    type(dialog().querySelector('input'), '20');
    button('Approve credit', dialog()).click();
    await settle();

    const request = http.expectOne('/api/admin/credits/cr-1/approve');
    expect(request.request.method).toBe('POST');
    expect(request.request.body).toEqual({ amountCents: 2000 });
    request.flush(credit(1, { status: 'approved', amountCents: 2000, decidedBy: 'ops@example.com' }));
    await settle();

    expect(element.querySelectorAll('.queue > li')).toHaveLength(1);
    expect(document.querySelector('mat-snack-bar-container')?.textContent).toContain(
      'Credit of $20.00 approved for Kim Flow.',
    );
  });

  it('denies only with a note, and shows why the server refused', async () => {
    creditsRequest().flush(page([credit(1)]));
    await settle();

    button('Deny').click();
    await settle();
    button('Deny credit', dialog()).click();
    await settle();
    http.expectNone('/api/admin/credits/cr-1/deny');
    expect(dialog().textContent).toContain('Say why: the plumber reads this.');

    type(dialog().querySelector('textarea'), 'The homeowner confirmed the visit happened.');
    button('Deny credit', dialog()).click();
    await settle();
    const request = http.expectOne('/api/admin/credits/cr-1/deny');
    expect(request.request.body).toEqual({ note: 'The homeowner confirmed the visit happened.' });
    request.flush(
      { code: 'CREDIT_ALREADY_DECIDED', message: 'This credit was already approved by ops@example.com.' },
      { status: 409, statusText: 'Conflict' },
    );
    await settle();
    expect(document.querySelector('mat-snack-bar-container')?.textContent).toContain(
      'This credit was already approved by ops@example.com.',
    );
    expect(element.querySelectorAll('.queue > li')).toHaveLength(1);
  });

  it('shows the history, filtered by status and by plumber', async () => {
    creditsRequest().flush(page([]));
    await settle();

    const history = [...element.querySelectorAll<HTMLElement>('mat-button-toggle')].find((toggle) =>
      toggle.textContent?.includes('History'),
    );
    history?.querySelector('button')?.click();
    await settle();
    const all = creditsRequest();
    expect(all.request.params.has('status')).toBe(false);
    all.flush(
      page([
        credit(3, { status: 'credited', automatic: true, evidence: 'The homeowner replied NO.' }),
        credit(4, { status: 'denied', decidedBy: 'ops@example.com', decisionNote: 'Work was done.' }),
      ]),
    );
    await settle();
    const rows = [...element.querySelectorAll('tr.mat-mdc-row')].map(
      (row) => row.textContent?.replace(/\s+/g, ' ') ?? '',
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('Credited');
    expect(rows[0]).toContain('The homeowner replied NO.');
    expect(rows[1]).toContain('ops@example.com');
    expect(rows[1]).toContain('Work was done.');
    expect(rows[1]).toContain('SMS');

    button('Kim Flow', element.querySelector('tr.mat-mdc-row') ?? element).click();
    await settle();
    const byPlumber = creditsRequest();
    expect(byPlumber.request.params.get('plumberId')).toBe('plumber-kim');
    byPlumber.flush(page([]));
    await settle();
    expect(element.textContent).toContain('No credits match these filters.');

    element.querySelector<HTMLElement>('.mat-mdc-select-trigger')?.click();
    await settle();
    [...document.querySelectorAll<HTMLElement>('mat-option')]
      .find((option) => option.textContent?.trim() === 'Denied')
      ?.click();
    await settle();
    const denied = creditsRequest();
    expect(denied.request.params.get('status')).toBe('denied');
    expect(denied.request.params.get('plumberId')).toBe('plumber-kim');
    denied.flush(page([credit(4, { status: 'denied' })]));
    await settle();
    expect(element.querySelectorAll('tr.mat-mdc-row')).toHaveLength(1);
  });
});
