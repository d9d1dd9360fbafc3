import { provideHttpClient } from '@angular/common/http';
import type { TestRequest } from '@angular/common/http/testing';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import type { Page, Plumber } from '../../core/api-types';
import { PlumbersPage } from './plumbers';

function plumber(n: number, overrides: Partial<Plumber> = {}): Plumber {
  return {
    id: `00000000-0000-4000-8000-00000000000${n}`,
    firstName: 'Dana',
    lastName: `Pipes ${n}`,
    email: `dana${n}@pipes.example`,
    phone: `+1415555010${n}`,
    zipCode: '94103',
    services: ['drain_cleaning'],
    coverageZips: [],
    radiusKm: 25,
    status: 'active',
    available: true,
    stripeCustomerId: 'cus_1',
    card: { status: 'saved', brand: 'visa', last4: '4242' },
    dailyCap: 3,
    weeklyCap: 0,
    monthlyCap: 40,
    monthlySpendCapCents: 100_000,
    timeZone: 'America/Los_Angeles',
    createdAt: '2026-11-01T10:00:00.000Z',
    updatedAt: '2026-11-01T10:00:00.000Z',
    leadStats: {
      plumberId: `00000000-0000-4000-8000-00000000000${n}`,
      offered: 12,
      bought: 8,
      credited: 3,
      acceptanceRate: 0.75,
      medianReplySeconds: 95,
      returnRate: 0.375,
      flagged: true,
      usage: { today: 3, thisWeek: 5, thisMonth: 8, spendThisMonthCents: 42_000, atCap: 'daily' },
    },
    ...overrides,
  };
}

const page = (items: Plumber[], nextCursor: string | null = null): Page<Plumber> => ({ items, nextCursor });

describe('PlumbersPage', () => {
  let fixture: ComponentFixture<PlumbersPage>;
  let http: HttpTestingController;
  let element: HTMLElement;

  function listRequest(): TestRequest {
    return http.expectOne((request) => request.url === '/api/admin/plumbers' && request.method === 'GET');
  }

  async function settle(): Promise<void> {
    fixture.detectChanges();
    await fixture.whenStable();
    for (const request of http.match('/api/leads/services')) {
      request.flush({ items: [{ code: 'drain_cleaning', name: 'Drain cleaning' }] });
    }
    fixture.detectChanges();
  }

  function rows(): string[] {
    return [...element.querySelectorAll('tr.mat-mdc-row')].map(
      (row) => row.textContent?.replace(/\s+/g, ' ').trim() ?? '',
    );
  }

  function button(label: string, root: ParentNode = document): HTMLButtonElement {
    const found = [...root.querySelectorAll('button')].find(
      (b) => b.textContent?.includes(label) || b.getAttribute('aria-label') === label,
    );
    if (!found) throw new Error(`no button "${label}"`);
    return found;
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(PlumbersPage);
    element = fixture.nativeElement as HTMLElement;
    await settle();
  });

  afterEach(() => http.verify());

  it('shows each plumber with coverage, card, caps used and lead stats', async () => {
    expect(element.textContent).toContain('Loading plumbers');
    listRequest().flush(
      page([
        plumber(1),
        plumber(2, {
          coverageZips: ['94103', '94110'],
          card: { status: 'needs_update' },
          dailyCap: 0,
          monthlyCap: 0,
          monthlySpendCapCents: 0,
          leadStats: null,
        }),
      ]),
    );
    await settle();

    const [first, second] = rows();
    expect(first).toContain('Dana Pipes 1');
    expect(first).toContain('Drain cleaning');
    expect(first).toContain('25 km around 94103');
    expect(first).toContain('Saved');
    expect(first).toContain('visa ···· 4242');
    expect(first).toContain('Today 3 / 3');
    expect(first).toContain('Month 8 / 40');
    expect(first).toContain('Spend $420.00 / $1,000.00');
    expect(first).toContain('At daily cap');
    expect(first).toContain('75%');
    expect(first).toContain('1 min 35 s');
    expect(first).toContain('38%');
    expect(first).toContain('Flagged');
    expect(second).toContain('2 ZIP codes');
    expect(second).toContain('Needs update');
    expect(second).toContain('No caps');
    expect(second).not.toContain('Flagged');
    expect(element.textContent).toContain('All 2 plumbers shown');
  });

  it('says so when there are no plumbers, and when none matches a filter', async () => {
    listRequest().flush(page([]));
    await settle();
    expect(element.textContent).toContain('No plumbers yet. Add the first one.');

    fixture.componentInstance['card'].set('none');
    await settle();
    const filtered = listRequest();
    expect(filtered.request.params.get('cardStatus')).toBe('none');
    expect(filtered.request.params.has('cursor')).toBe(false);
    filtered.flush(page([]));
    await settle();
    expect(element.textContent).toContain('No plumber matches these filters.');
  });

  it('pages on by cursor', async () => {
    listRequest().flush(page([plumber(1)], 'next-1'));
    await settle();
    button('Load more', element).click();
    const next = listRequest();
    expect(next.request.params.get('cursor')).toBe('next-1');
    next.flush(page([plumber(2)]));
    await settle();
    expect(rows()).toHaveLength(2);
  });

  it("shows the server's message when the list cannot load", async () => {
    listRequest().flush(
      { code: 'REGISTRY_UNAVAILABLE', message: 'The registry is not answering.' },
      { status: 503, statusText: 'Service Unavailable' },
    );
    await settle();
    expect(element.textContent).toContain('The registry is not answering.');
    button('Try again', element).click();
    listRequest().flush(page([plumber(1)]));
    await settle();
    expect(rows()).toHaveLength(1);
  });

  it('sends a new card link only after the operator confirms', async () => {
    listRequest().flush(page([plumber(1)]));
    await settle();

    button('Send a new card link to Dana Pipes 1', element).click();
    await settle();
    const dialog = document.querySelector('mat-dialog-container');
    expect(dialog?.textContent).toContain('Send Dana Pipes 1 a new card link?');
    http.expectNone(`/api/admin/plumbers/${plumber(1).id}/card-link`);

    button('Send link', dialog ?? document).click();
    await settle();
    const request = http.expectOne(`/api/admin/plumbers/${plumber(1).id}/card-link`);
    expect(request.request.method).toBe('POST');
    request.flush({ url: 'https://cards.example/c/abc', expiresAt: '2026-12-11T10:00:00.000Z' });
    await settle();
    expect(document.querySelector('mat-snack-bar-container')?.textContent).toContain(
      'Card link sent to Dana Pipes 1',
    );
  });

  it('pauses a plumber from the availability switch', async () => {
    listRequest().flush(page([plumber(1)]));
    await settle();

    element.querySelector<HTMLButtonElement>('mat-slide-toggle button')?.click();
    await settle();
    const request = http.expectOne(`/api/admin/plumbers/${plumber(1).id}`);
    expect(request.request.method).toBe('PATCH');
    expect(request.request.body).toEqual({ available: false });
    request.flush({ ...plumber(1, { available: false }), leadStats: undefined });
    await settle();
    // The stats the list brought stay on the row.
    expect(rows()[0]).toContain('Flagged');
  });
});
