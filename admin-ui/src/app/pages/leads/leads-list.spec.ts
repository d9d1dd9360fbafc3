import { provideHttpClient } from '@angular/common/http';
import type { TestRequest } from '@angular/common/http/testing';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { TestBed } from '@angular/core/testing';
import { provideNativeDateAdapter } from '@angular/material/core';
import { provideRouter } from '@angular/router';

import type { LeadSummary, Page } from '../../core/api-types';
import { LeadsFilters } from './leads-filters';
import { LeadsList } from './leads-list';

const PARTNER = '7b0c1c1e-2a4f-4a57-9d0e-1f8f4f7f0a01';

function lead(n: number, overrides: Partial<LeadSummary> = {}): LeadSummary {
  return {
    id: `lead-${n}`,
    status: 'offered',
    serviceNeeded: 'water_heater',
    serviceName: 'Water heater',
    urgency: 'day',
    zipCode: '94103',
    priceCents: 4500,
    firstName: 'Dana',
    lastName: `Homeowner${n}`,
    source: 'form',
    partnerId: null,
    externalId: null,
    test: false,
    plumberId: null,
    createdAt: new Date(Date.UTC(2026, 10, 21, 3, 0) - n * 60_000).toISOString(),
    updatedAt: new Date(Date.UTC(2026, 10, 21, 3, 0)).toISOString(),
    ...overrides,
  };
}

const page = (items: LeadSummary[], nextCursor: string | null = null): Page<LeadSummary> => ({
  items,
  nextCursor,
});

describe('LeadsList', () => {
  let fixture: ComponentFixture<LeadsList>;
  let http: HttpTestingController;
  let element: HTMLElement;

  function leadsRequest(): TestRequest {
    return http.expectOne((request) => request.url === '/api/admin/leads');
  }

  async function render(): Promise<void> {
    fixture.detectChanges();
    await fixture.whenStable();
    fixture.detectChanges();
  }

  function rows(): string[] {
    return [...element.querySelectorAll('tr.row-link')].map(
      (row) => row.textContent?.replace(/\s+/g, ' ').trim() ?? '',
    );
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        provideHttpClient(),
        provideHttpClientTesting(),
        provideNativeDateAdapter(),
      ],
    });
    TestBed.inject(LeadsFilters).clear();
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(LeadsList);
    element = fixture.nativeElement as HTMLElement;
    await render();
    http.expectOne('/api/leads/services').flush({
      items: [
        { code: 'water_heater', name: 'Water heater' },
        { code: 'drain_cleaning', name: 'Drain cleaning' },
      ],
      consentText: 'I agree.',
    });
    http
      .expectOne((request) => request.url === '/api/admin/partners')
      .flush({ items: [{ id: PARTNER, name: 'HomeLeads Co' }], nextCursor: null });
  });

  afterEach(() => http.verify());

  it('shows the newest leads with status, service, price and source', async () => {
    const request = leadsRequest();
    expect(request.request.params.has('cursor')).toBe(false);
    expect(request.request.params.has('status')).toBe(false);
    request.flush(
      page([
        lead(1, { status: 'assigned', source: 'partner', partnerId: PARTNER }),
        lead(2, { urgency: 'week' }),
      ]),
    );
    await render();

    expect(rows()).toHaveLength(2);
    expect(rows()[0]).toContain('Dana Homeowner1');
    expect(rows()[0]).toContain('Assigned');
    expect(rows()[0]).toContain('Water heater');
    expect(rows()[0]).toContain('$45.00');
    expect(rows()[0]).toContain('HomeLeads Co');
    expect(rows()[1]).toContain('Web form');
    expect(rows()[1]).toContain('Within a week');
    expect(element.textContent).toContain('All 2 leads shown');
  });

  it('says so when there is no lead yet', async () => {
    leadsRequest().flush(page([]));
    await render();
    expect(element.textContent).toContain('No leads yet.');
  });

  it('loads the next page by cursor and appends it', async () => {
    leadsRequest().flush(page([lead(1), lead(2)], 'cursor-2'));
    await render();

    [...element.querySelectorAll('button')].find((b) => b.textContent?.includes('Load more'))?.click();
    const next = leadsRequest();
    expect(next.request.params.get('cursor')).toBe('cursor-2');
    next.flush(page([lead(3)]));
    await render();

    expect(rows()).toHaveLength(3);
    expect(rows()[2]).toContain('Dana Homeowner3');
  });

  it('filters by status chip, ZIP and partner, starting over from the first page', async () => {
    leadsRequest().flush(page([lead(1)], 'cursor-1'));
    await render();

    const unsold = [...element.querySelectorAll<HTMLElement>('mat-chip-option')].find((chip) =>
      chip.textContent?.includes('Unsold'),
    );
    unsold?.querySelector<HTMLElement>('button, [role="option"]')?.click();
    await render();
    const byStatus = leadsRequest();
    expect(byStatus.request.params.get('status')).toBe('unsold');
    expect(byStatus.request.params.has('cursor')).toBe(false);
    byStatus.flush(page([]));
    await render();
    expect(element.textContent).toContain('No leads match these filters.');

    const filters = TestBed.inject(LeadsFilters);
    // A ZIP filters only once it is whole.
    filters.zip.set('941');
    await render();
    http.expectNone((request) => request.url === '/api/admin/leads');
    filters.zip.set('94110');
    filters.partnerId.set(PARTNER);
    await render();
    const filtered = leadsRequest();
    expect(filtered.request.params.get('zip')).toBe('94110');
    expect(filtered.request.params.get('partnerId')).toBe(PARTNER);
    expect(filtered.request.params.get('status')).toBe('unsold');
    filtered.flush(page([lead(4)]));
    await render();
    expect(rows()).toHaveLength(1);
  });

  it("shows the server's message when the list cannot load, and retries", async () => {
    leadsRequest().flush(
      { code: 'INTAKE_UNAVAILABLE', message: 'Intake is not answering.' },
      { status: 503, statusText: 'Service Unavailable' },
    );
    await render();
    expect(element.textContent).toContain('Intake is not answering.');

    [...element.querySelectorAll('button')].find((b) => b.textContent?.includes('Try again'))?.click();
    leadsRequest().flush(page([lead(1)]));
    await render();
    expect(rows()).toHaveLength(1);
  });
});
