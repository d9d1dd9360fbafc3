import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import type { LeadCredit, LeadDetail, PlumberForLead } from '../../core/api-types';
import { LeadDetailPage, creditLeft, leadEvents, responseSeconds } from './lead-detail';

const at = (minute: number, second = 0): string =>
  new Date(Date.UTC(2026, 10, 21, 3, minute, second)).toISOString();

const LEAD = 'c1d2e3f4-0000-4000-8000-000000000001';
const KIM = 'a0000000-0000-4000-8000-00000000000a';
const LEE = 'b0000000-0000-4000-8000-00000000000b';

const detail: LeadDetail = {
  id: LEAD,
  status: 'assigned',
  serviceNeeded: 'water_heater',
  serviceName: 'Water heater',
  urgency: 'day',
  zipCode: '94103',
  priceCents: 4500,
  firstName: 'Dana',
  lastName: 'Reyes',
  source: 'form',
  partnerId: null,
  externalId: null,
  test: false,
  plumberId: KIM,
  createdAt: at(0),
  updatedAt: at(9),
  email: 'dana@example.com',
  phone: '+14155550123',
  description: 'Water heater leaking in the garage',
  lat: 37.77,
  lng: -122.42,
  partnerKeyId: null,
  rejectionReason: null,
  consent: {
    text: 'I agree to be contacted by up to one plumber about my request.',
    capturedAt: at(0),
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (Macintosh)',
    pageUrl: 'https://example.com/plumbing',
  },
  timeline: [{ status: 'new', at: at(0), cause: 'accepted', actor: 'form' }],
  offers: [
    {
      plumberId: LEE,
      plumberName: 'Lee Pipes',
      wave: 1,
      status: 'DECLINED',
      reason: null,
      sentAt: at(1),
      respondedAt: at(1, 42),
    },
    {
      plumberId: KIM,
      plumberName: 'Kim Flow',
      wave: 2,
      status: 'ACCEPTED',
      reason: null,
      sentAt: at(5),
      respondedAt: at(7, 5),
    },
  ],
  charge: {
    paymentIntentId: 'pi_123',
    status: 'succeeded',
    amountCents: 4500,
    plumberId: KIM,
    code: null,
  },
  sale: {
    code: '4821',
    state: 'ASSIGNED',
    buyer: { id: KIM, name: 'Kim Flow', phone: '+14155550188', email: 'kim@example.com' },
    chargeAttempt: 1,
    timeline: [
      { state: 'OFFERED', at: at(1), cause: 'wave_sent', actor: 'dispatch' },
      { state: 'CHARGING', at: at(7, 5), cause: 'Kim Flow replied YES', actor: KIM },
      { state: 'ASSIGNED', at: at(7, 9), cause: 'charge_succeeded', actor: 'payments' },
    ],
  },
  messages: [
    {
      channel: 'sms',
      sid: 'SM1',
      direction: 'inbound',
      from: '+14155550188',
      to: '+14155550100',
      body: 'YES 4821',
      subject: null,
      status: 'received',
      purpose: null,
      jobId: null,
      leadId: LEAD,
      providerId: KIM,
      errorCode: null,
      createdAt: at(7, 5),
      updatedAt: at(7, 5),
    },
    {
      channel: 'email',
      sid: '<m1@example.com>',
      direction: 'outbound',
      from: 'leads@example.com',
      to: 'kim@example.com',
      body: 'Dana Reyes, +14155550123',
      subject: 'Lead 4821 is yours',
      status: 'sent',
      purpose: 'lead-sold',
      jobId: null,
      leadId: LEAD,
      providerId: KIM,
      errorCode: null,
      createdAt: at(7, 10),
      updatedAt: at(7, 10),
    },
  ],
};

function credit(overrides: Partial<LeadCredit> = {}): LeadCredit {
  return {
    id: 'cr-1',
    leadId: LEAD,
    leadCode: '4821',
    serviceName: 'Water heater',
    zipCode: '94103',
    priceCents: 4500,
    plumberId: KIM,
    plumberName: 'Kim Flow',
    plumberPhone: '+14155550188',
    plumberEmail: 'kim@example.com',
    reason: 'could_not_reach',
    note: 'called three times',
    channel: 'sms',
    status: 'credited',
    amountCents: 1000,
    automatic: false,
    evidence: null,
    returnRate: 0.1,
    flagged: false,
    requestedBy: KIM,
    decidedBy: 'ops@example.com',
    decisionNote: 'partial: they reached voicemail',
    refundId: 're_1',
    failure: null,
    requestedAt: at(30),
    decidedAt: at(40),
    creditedAt: at(41),
    ...overrides,
  };
}

function plumber(overrides: Partial<PlumberForLead>): PlumberForLead {
  return {
    plumberId: KIM,
    name: 'Kim Flow',
    phone: '+14155550188',
    distanceKm: 3.2,
    cardStatus: 'saved',
    status: 'active',
    available: true,
    covers: true,
    buysService: true,
    dailyCap: 0,
    weeklyCap: 0,
    monthlyCap: 0,
    monthlySpendCapCents: 0,
    timeZone: 'America/Los_Angeles',
    usage: { today: 0, thisWeek: 0, thisMonth: 0, spendThisMonthCents: 0, atCap: null },
    ...overrides,
  };
}

describe('lead page helpers', () => {
  it('measures a response from the offer to the answer', () => {
    expect(responseSeconds({ sentAt: at(1), respondedAt: at(1, 42) })).toBe(42);
    expect(responseSeconds({ sentAt: at(1) })).toBeNull();
  });

  it('leaves what was not credited or approved yet', () => {
    expect(creditLeft(4500, [credit(), credit({ id: 'cr-2', status: 'denied', amountCents: 4500 })])).toBe(
      3500,
    );
    expect(creditLeft(4500, [credit({ status: 'approved', amountCents: 4500 })])).toBe(0);
  });

  it("merges intake's and the sale's steps, newest first", () => {
    expect(leadEvents(detail).map((event) => event.state)).toEqual([
      'ASSIGNED',
      'CHARGING',
      'OFFERED',
      'new',
    ]);
  });
});

describe('LeadDetailPage', () => {
  let fixture: ComponentFixture<LeadDetailPage>;
  let http: HttpTestingController;
  let element: HTMLElement;

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

  async function loaded(lead: LeadDetail = detail, credits: LeadCredit[] = [credit()]): Promise<void> {
    http.expectOne(`/api/admin/leads/${LEAD}`).flush(lead);
    const creditsRequest = http.expectOne((request) => request.url === '/api/admin/credits');
    expect(creditsRequest.request.params.get('leadId')).toBe(LEAD);
    creditsRequest.flush({ items: credits, nextCursor: null });
    await settle();
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(LeadDetailPage);
    fixture.componentRef.setInput('id', LEAD);
    element = fixture.nativeElement as HTMLElement;
    await settle();
    http.expectOne((request) => request.url === '/api/admin/partners').flush({ items: [], nextCursor: null });
  });

  afterEach(() => {
    http.verify();
    document.querySelectorAll('.cdk-overlay-container').forEach((overlay) => (overlay.innerHTML = ''));
  });

  it('shows the lead, consent proof, charge and credits, offers by wave, timeline and messages', async () => {
    expect(element.textContent).toContain('Loading lead');
    await loaded();

    const text = element.textContent?.replace(/\s+/g, ' ') ?? '';
    expect(text).toContain('Lead 4821');
    expect(text).toContain('Dana Reyes');
    expect(text).toContain('+14155550123');
    expect(text).toContain('Within a day');
    expect(text).toContain('$45.00');
    expect(text).toContain('Web form');
    expect(text).toContain('I agree to be contacted by up to one plumber');
    expect(text).toContain('203.0.113.7');
    expect(text).toContain('Mozilla/5.0 (Macintosh)');
    expect(text).toContain('https://example.com/plumbing');
    expect(text).toContain('pi_123');
    expect(text).toContain('$10.00 credited · $35.00 left to credit');
    expect(text).toContain('Could not reach after trying');
    expect(text).toContain('partial: they reached voicemail');

    const waves = [...element.querySelectorAll('section.wave')];
    expect(waves.map((w) => w.querySelector('h3')?.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'Wave 1 1 offered · 0 accepted · 1 declined · 0 expired',
      'Wave 2 1 offered · 1 accepted · 0 declined · 0 expired',
    ]);
    expect(waves[0]?.textContent).toContain('42 s');
    expect(waves[1]?.textContent).toContain('2 min 5 s');

    // A plumber's own step reads with their name.
    expect(text).toContain('Kim Flow replied YES by Kim Flow');
    expect(text).toContain('Lead 4821 is yours');
    expect(text).toContain('YES 4821');
    expect(button('Mark completed')).toBeDefined();
    expect(button('Credit')).toBeDefined();
    expect(text).not.toContain('Sell to a plumber');
  });

  it('sells to a plumber picked from the autocomplete, after confirming, and explains who cannot buy', async () => {
    await loaded({ ...detail, status: 'offered', sale: { ...detail.sale!, state: 'OFFERED', buyer: null } });

    button('Sell to a plumber').click();
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const search = http.expectOne((request) => request.url === `/api/admin/leads/${LEAD}/plumbers`);
    search.flush({
      items: [plumber({ plumberId: LEE, name: 'Lee Pipes', cardStatus: 'none' }), plumber({ covers: false })],
    });
    await settle();

    const input = dialog().querySelector<HTMLInputElement>('input');
    input?.dispatchEvent(new Event('focusin'));
    input?.focus();
    await settle();
    const options = [...document.querySelectorAll<HTMLElement>('mat-option')];
    const lee = options.find((option) => option.textContent?.includes('Lee Pipes'));
    expect(lee?.getAttribute('aria-disabled')).toBe('true');
    expect(lee?.textContent).toContain('They have no card on file to charge.');
    const kim = options.find((option) => option.textContent?.includes('Kim Flow'));
    expect(kim?.textContent).toContain('3.2 km');
    expect(kim?.textContent).toContain('Card on file');
    expect(kim?.textContent).toContain('Outside coverage');
    kim?.click();
    await settle();

    expect(dialog().textContent).toContain("The lead's ZIP is outside their coverage.");
    http.expectNone(`/api/admin/leads/${LEAD}/assign`);
    button('Sell to Kim Flow for $45.00', dialog()).click();
    await settle();

    const sale = http.expectOne(`/api/admin/leads/${LEAD}/assign`);
    expect(sale.request.method).toBe('POST');
    expect(sale.request.body).toEqual({ plumberId: KIM });
    sale.flush({ ...detail, sale: { ...detail.sale!, state: 'CHARGING' } });
    await settle();
    expect(document.querySelector('mat-snack-bar-container')?.textContent).toContain(
      "Charging Kim Flow's card for $45.00.",
    );
  });

  it("shows the server's message when a sale is refused", async () => {
    await loaded({ ...detail, status: 'offered', sale: { ...detail.sale!, state: 'OFFERED', buyer: null } });
    button('Sell to a plumber').click();
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 300));
    http
      .expectOne((request) => request.url === `/api/admin/leads/${LEAD}/plumbers`)
      .flush({ items: [plumber({})] });
    await settle();
    const input = dialog().querySelector<HTMLInputElement>('input');
    input?.dispatchEvent(new Event('focusin'));
    await settle();
    document.querySelector<HTMLElement>('mat-option')?.click();
    await settle();
    button('Sell to Kim Flow', dialog()).click();
    await settle();
    http
      .expectOne(`/api/admin/leads/${LEAD}/assign`)
      .flush(
        { code: 'PLUMBER_AT_CAP', message: 'Kim Flow is at their daily cap of 3 leads until midnight.' },
        { status: 409, statusText: 'Conflict' },
      );
    await settle();
    expect(document.querySelector('mat-snack-bar-container')?.textContent).toContain(
      'Kim Flow is at their daily cap of 3 leads until midnight.',
    );
  });

  it('marks the lead completed only after the operator confirms', async () => {
    await loaded();
    button('Mark completed').click();
    await settle();
    expect(dialog().textContent).toContain('Mark Lead 4821 completed?');
    http.expectNone(`/api/admin/leads/${LEAD}/complete`);

    button('Mark completed', dialog()).click();
    await settle();
    const request = http.expectOne(`/api/admin/leads/${LEAD}/complete`);
    expect(request.request.method).toBe('POST');
    request.flush({ ...detail, status: 'completed', sale: { ...detail.sale!, state: 'COMPLETED' } });
    await settle();
    expect(element.textContent).not.toContain('Mark completed');
  });

  it('credits what is left, with a reason and a note', async () => {
    await loaded();
    button('Credit…').click();
    await settle();

    const form = dialog();
    expect(form.textContent).toContain('Up to $35.00 can be credited.');
    const amount = form.querySelector<HTMLInputElement>('input[formcontrolname="amount"]');
    expect(amount?.value).toBe('35.00');

    // The reason is required.
    button('Credit', form.querySelector('mat-dialog-actions') ?? form).click();
    await settle();
    http.expectNone(`/api/admin/leads/${LEAD}/credits`);
    expect(form.textContent).toContain('Choose why the lead is credited.');

    form.querySelector<HTMLElement>('.mat-mdc-select-trigger')?.click();
    await settle();
    const options = [...document.querySelectorAll<HTMLElement>('mat-option')];
    expect(options.map((option) => option.textContent?.trim())).toContain('Wrong or disconnected number');
    options.find((option) => option.textContent?.includes('Not a real request'))?.click();
    await settle();
    const note = form.querySelector<HTMLTextAreaElement>('textarea');
    if (note) {
      note.value = 'homeowner says a neighbour filled the form';
      note.dispatchEvent(new Event('input'));
    }
    if (amount) {
      amount.value = '20';
      amount.dispatchEvent(new Event('input'));
    }
    button('Credit', form.querySelector('mat-dialog-actions') ?? form).click();
    await settle();

    const request = http.expectOne(`/api/admin/leads/${LEAD}/credits`);
    expect(request.request.method).toBe('POST');
    expect(request.request.body).toEqual({
      amountCents: 2000,
      reason: 'not_real',
      note: 'homeowner says a neighbour filled the form',
    });
    request.flush(credit({ id: 'cr-2', status: 'approved', amountCents: 2000, reason: 'not_real' }));
    await settle();
    http.expectOne(`/api/admin/leads/${LEAD}`).flush(detail);
    await settle();
    expect(element.textContent).toContain('$30.00 credited · $15.00 left to credit');
  });

  it('shows why the lead could not be loaded', async () => {
    http
      .expectOne(`/api/admin/leads/${LEAD}`)
      .flush(
        { code: 'LEAD_NOT_FOUND', message: 'No lead with this id.' },
        { status: 404, statusText: 'Not Found' },
      );
    http.expectOne((request) => request.url === '/api/admin/credits').flush({ items: [], nextCursor: null });
    await settle();
    expect(element.textContent).toContain('No lead with this id.');
  });
});
