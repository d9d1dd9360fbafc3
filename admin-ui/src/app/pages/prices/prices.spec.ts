import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import type { LeadPrice, LeadPriceChange, LeadUrgency } from '../../core/api-types';
import { PricesPage, priceGrid } from './prices';

const price = (
  serviceCode: string,
  serviceName: string,
  urgency: LeadUrgency,
  priceCents: number,
  zipPrefix: string | null = null,
): LeadPrice => ({
  serviceCode,
  serviceName,
  urgency,
  zipPrefix,
  priceCents,
  updatedAt: '2026-11-01T10:00:00.000Z',
  updatedBy: 'night.ops@trades.example',
});

const table: LeadPrice[] = [
  price('water_heater', 'Water heater', 'day', 6500),
  price('water_heater', 'Water heater', 'week', 5000),
  price('water_heater', 'Water heater', 'month', 4000),
  price('drain_cleaning', 'Drain cleaning', 'day', 4500),
  price('drain_cleaning', 'Drain cleaning', 'week', 3500),
  price('drain_cleaning', 'Drain cleaning', 'month', 2500),
  price('drain_cleaning', 'Drain cleaning', 'day', 6000, '941'),
];

const change: LeadPriceChange = {
  id: 'c1',
  serviceCode: 'drain_cleaning',
  urgency: 'day',
  zipPrefix: null,
  oldPriceCents: 4000,
  newPriceCents: 4500,
  actor: 'night.ops@trades.example',
  at: '2026-11-01T10:00:00.000Z',
};

describe('priceGrid', () => {
  it('puts base prices in a service × urgency grid and counts ZIP prices per cell', () => {
    const rows = priceGrid(table);
    expect(rows.map((row) => row.service.name)).toEqual(['Drain cleaning', 'Water heater']);
    expect(rows[0]?.base.day?.priceCents).toBe(4500);
    expect(rows[0]?.zipPrices).toEqual({ day: 1 });
  });
});

describe('PricesPage', () => {
  let fixture: ComponentFixture<PricesPage>;
  let http: HttpTestingController;
  let element: HTMLElement;

  async function settle(): Promise<void> {
    fixture.detectChanges();
    await fixture.whenStable();
    fixture.detectChanges();
  }

  function button(label: string, root: ParentNode = document): HTMLButtonElement {
    const found = [...root.querySelectorAll('button')].find(
      (b) => b.getAttribute('aria-label')?.startsWith(label) || b.textContent?.includes(label),
    );
    if (!found) throw new Error(`no button "${label}"`);
    return found;
  }

  function dialog(): HTMLElement {
    const found = document.querySelector<HTMLElement>('mat-dialog-container');
    if (!found) throw new Error('no dialog open');
    return found;
  }

  function flushHistory(items: LeadPriceChange[] = [change]): void {
    http.expectOne((r) => r.url === '/api/admin/lead-prices/history').flush({ items, nextCursor: null });
  }

  async function loaded(): Promise<void> {
    http.expectOne('/api/admin/lead-prices').flush({ items: table });
    flushHistory();
    await settle();
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(PricesPage);
    element = fixture.nativeElement as HTMLElement;
    await settle();
  });

  afterEach(() => http.verify());

  it('shows the base prices as a grid, the ZIP prices and the change history', async () => {
    expect(element.textContent).toContain('Loading prices');
    await loaded();

    const grid = [...element.querySelectorAll('table.grid tbody tr')].map(
      (row) => row.textContent?.replace(/edit/g, '').replace(/\s+/g, ' ').trim() ?? '',
    );
    expect(grid[0]).toContain('Drain cleaning $45.00 +1 ZIP price $35.00 $25.00');
    expect(grid[1]).toContain('Water heater $65.00 $50.00 $40.00');
    const override = [...element.querySelectorAll('tr.override td')].map((cell) => cell.textContent?.trim());
    expect(override.slice(0, 4)).toEqual(['Drain cleaning', 'Within a day', '941…', '$60.00']);
    const history = element.querySelector('tr.change')?.textContent?.replace(/\s+/g, ' ') ?? '';
    expect(history).toContain('night.ops@trades.example');
    expect(history).toContain('Base price');
    expect(history).toContain('$40.00 → $45.00');
  });

  it('says so when no price and no change exist', async () => {
    http.expectOne('/api/admin/lead-prices').flush({ items: [] });
    flushHistory([]);
    await settle();
    expect(element.textContent).toContain('The price table is empty');
    expect(element.textContent).toContain('No price has been changed yet.');
  });

  it('changes a base price in place, in dollars, after a confirmation', async () => {
    await loaded();
    button('Change the base price, Drain cleaning, Within a week', element).click();
    await settle();
    const input = element.querySelector<HTMLInputElement>('input[aria-label^="Base price, Drain cleaning"]');
    if (!input) throw new Error('no inline input');
    input.value = '37.5';
    input.dispatchEvent(new Event('input'));
    button('Save price', element).click();
    await settle();
    expect(dialog().textContent).toContain('$35.00 → $37.50');
    http.expectNone((r) => r.method === 'PUT');

    button('Change price', dialog()).click();
    await settle();
    const request = http.expectOne((r) => r.url === '/api/admin/lead-prices' && r.method === 'PUT');
    expect(request.request.body).toEqual({
      serviceCode: 'drain_cleaning',
      urgency: 'week',
      zipPrefix: null,
      priceCents: 3750,
    });
    request.flush(price('drain_cleaning', 'Drain cleaning', 'week', 3750));
    await settle();
    http
      .expectOne((r) => r.url === '/api/admin/lead-prices' && r.method === 'GET')
      .flush({
        items: table.map((p) =>
          p.urgency === 'week' && p.serviceCode === 'drain_cleaning' ? { ...p, priceCents: 3750 } : p,
        ),
      });
    flushHistory([{ ...change, urgency: 'week', oldPriceCents: 3500, newPriceCents: 3750 }, change]);
    await settle();
    expect(element.querySelector('table.grid')?.textContent).toContain('$37.50');
    expect(element.querySelector('tr.change')?.textContent).toContain('$35.00 → $37.50');
  });

  it('refuses a price that is not an amount without asking the server', async () => {
    await loaded();
    button('Change the base price, Water heater, Within a day', element).click();
    await settle();
    const input = element.querySelector<HTMLInputElement>('input[aria-label^="Base price, Water heater"]');
    if (!input) throw new Error('no inline input');
    input.value = 'forty';
    input.dispatchEvent(new Event('input'));
    button('Save price', element).click();
    await settle();
    expect(element.querySelector('[role="alert"]')?.textContent).toContain('Enter an amount');
    expect(document.querySelector('mat-dialog-container')).toBeNull();
  });

  it('adds a ZIP price from the dialog', async () => {
    await loaded();
    button('Add ZIP price', element).click();
    await settle();
    const type = (name: string, value: string): void => {
      const input = dialog().querySelector<HTMLInputElement>(`[formcontrolname="${name}"]`);
      if (!input) throw new Error(`no field ${name}`);
      input.value = value;
      input.dispatchEvent(new Event('input'));
    };
    dialog()
      .querySelector<HTMLElement>('mat-select[formcontrolname="serviceCode"] .mat-mdc-select-trigger')
      ?.click();
    await settle();
    [...document.querySelectorAll<HTMLElement>('mat-option')]
      .find((o) => o.textContent?.includes('Water heater'))
      ?.click();
    await settle();
    type('zipPrefix', '100');
    type('price', '80');
    button('Add price', dialog()).click();
    await settle();

    const request = http.expectOne((r) => r.url === '/api/admin/lead-prices' && r.method === 'PUT');
    expect(request.request.body).toEqual({
      serviceCode: 'water_heater',
      urgency: 'day',
      zipPrefix: '100',
      priceCents: 8000,
    });
    request.flush(price('water_heater', 'Water heater', 'day', 8000, '100'));
    await settle();
    http.expectOne((r) => r.url === '/api/admin/lead-prices' && r.method === 'GET').flush({ items: table });
    flushHistory();
    await settle();
  });

  it('removes a ZIP price only after the operator confirms', async () => {
    await loaded();
    button('Remove the ZIP 941 price', element).click();
    await settle();
    expect(dialog().textContent).toContain('Remove the ZIP 941… price?');
    http.expectNone((r) => r.method === 'DELETE');
    button('Remove price', dialog()).click();
    await settle();

    const request = http.expectOne((r) => r.url === '/api/admin/lead-prices' && r.method === 'DELETE');
    expect(request.request.params.get('serviceCode')).toBe('drain_cleaning');
    expect(request.request.params.get('urgency')).toBe('day');
    expect(request.request.params.get('zipPrefix')).toBe('941');
    request.flush(null, { status: 204, statusText: 'No Content' });
    await settle();
    http
      .expectOne((r) => r.url === '/api/admin/lead-prices' && r.method === 'GET')
      .flush({ items: table.filter((p) => p.zipPrefix === null) });
    flushHistory();
    await settle();
    expect(element.textContent).toContain('No ZIP prices: the base prices apply everywhere.');
  });

  it("shows the server's message when the table cannot load", async () => {
    http
      .expectOne('/api/admin/lead-prices')
      .flush(
        { code: 'INTAKE_UNAVAILABLE', message: 'Intake is not answering.' },
        { status: 503, statusText: 'x' },
      );
    flushHistory([]);
    await settle();
    expect(element.textContent).toContain('Intake is not answering.');
    button('Try again', element).click();
    http.expectOne('/api/admin/lead-prices').flush({ items: table });
    await settle();
    expect(element.querySelectorAll('table.grid tbody tr')).toHaveLength(2);
  });
});
