import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import type { Partner, PartnerStats } from '../../core/api-types';
import { PartnersPage } from './partners';

const partner = (n: number, overrides: Partial<Partner> = {}): Partner => ({
  id: `00000000-0000-4000-8000-00000000010${n}`,
  name: `Leads Co ${n}`,
  email: `ops${n}@leads.example`,
  contactName: 'Robin Vendor',
  phone: '+14155550199',
  status: 'active',
  rateLimitPerMinute: 120,
  payoutCentsPerLead: 1250,
  webhookUrl: null,
  webhookSecretSet: false,
  keys: [
    {
      id: 'k1',
      name: 'Prod',
      test: false,
      prefix: 'pk_live_',
      createdAt: '2026-11-01T10:00:00.000Z',
      lastUsedAt: null,
      revokedAt: null,
    },
    {
      id: 'k2',
      name: 'Old',
      test: false,
      prefix: 'pk_live2',
      createdAt: '2026-10-01T10:00:00.000Z',
      lastUsedAt: null,
      revokedAt: '2026-10-05T10:00:00.000Z',
    },
  ],
  createdAt: '2026-10-01T10:00:00.000Z',
  updatedAt: '2026-10-01T10:00:00.000Z',
  ...overrides,
});

const stats = (id: string): PartnerStats => ({
  partnerId: id,
  from: null,
  to: null,
  posted: 140,
  accepted: 120,
  rejected: { invalid: 10, duplicate: 6, notServed: 4 },
  sold: 90,
  unsold: 30,
  credited: 5,
  revenueCents: 405_000,
  creditedCents: 22_500,
  payoutCents: 150_000,
});

describe('PartnersPage', () => {
  let fixture: ComponentFixture<PartnersPage>;
  let http: HttpTestingController;
  let element: HTMLElement;

  async function settle(): Promise<void> {
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
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(PartnersPage);
    element = fixture.nativeElement as HTMLElement;
    await settle();
  });

  afterEach(() => http.verify());

  it('lists partners with their status, active keys and all-time stats', async () => {
    expect(element.textContent).toContain('Loading partners');
    http
      .expectOne((r) => r.url === '/api/admin/partners')
      .flush({
        items: [partner(1), partner(2, { status: 'suspended', payoutCentsPerLead: null })],
        nextCursor: null,
      });
    await settle();
    const first = http.expectOne(`/api/admin/partners/${partner(1).id}/stats`);
    expect(first.request.params.keys()).toEqual([]);
    first.flush(stats(partner(1).id));
    http
      .expectOne(`/api/admin/partners/${partner(2).id}/stats`)
      .flush(
        { code: 'INTAKE_UNAVAILABLE', message: 'Intake is not answering.' },
        { status: 503, statusText: 'x' },
      );
    await settle();

    const [one, two] = rows();
    expect(one).toContain('Leads Co 1');
    expect(one).toContain('Active');
    expect(one).toContain('$12.50');
    expect(one).toContain('140');
    expect(one).toContain('$4,050.00');
    // One key of two is revoked.
    expect(element.querySelector('tr.row-link td.mat-column-keys')?.textContent?.trim()).toBe('1');
    expect(two).toContain('Suspended');
    expect(two).toContain('None');
    expect(element.querySelector('a[href$="' + partner(1).id + '"]')).not.toBeNull();
  });

  it('says so when there are no partners', async () => {
    http.expectOne((r) => r.url === '/api/admin/partners').flush({ items: [], nextCursor: null });
    await settle();
    expect(element.textContent).toContain('No partners yet.');
  });

  it('creates a partner with contact, payout in dollars sent as cents, rate limit and webhook URL', async () => {
    http.expectOne((r) => r.url === '/api/admin/partners').flush({ items: [], nextCursor: null });
    await settle();

    [...element.querySelectorAll('button')].find((b) => b.textContent?.includes('New partner'))?.click();
    await settle();
    const dialog = document.querySelector('mat-dialog-container');
    const type = (name: string, value: string): void => {
      const input = dialog?.querySelector<HTMLInputElement>(`[formcontrolname="${name}"]`);
      if (!input) throw new Error(`no field ${name}`);
      input.value = value;
      input.dispatchEvent(new Event('input'));
    };
    type('name', 'HomeLeads');
    type('contactName', 'Robin Vendor');
    type('email', 'robin@homeleads.example');
    type('phone', '');
    type('rateLimitPerMinute', '60');
    type('payout', '12.5');
    type('webhookUrl', 'https://homeleads.example/hooks');
    dialog?.querySelector<HTMLButtonElement>('button[type="submit"]')?.click();
    await settle();

    const request = http.expectOne((r) => r.url === '/api/admin/partners' && r.method === 'POST');
    expect(request.request.body).toEqual({
      name: 'HomeLeads',
      contactName: 'Robin Vendor',
      email: 'robin@homeleads.example',
      rateLimitPerMinute: 60,
      payoutCentsPerLead: 1250,
      webhookUrl: 'https://homeleads.example/hooks',
    });
    const created = partner(3, { name: 'HomeLeads', keys: [] });
    request.flush(created, { status: 201, statusText: 'Created' });
    await settle();
    http.expectOne(`/api/admin/partners/${created.id}/stats`).flush(stats(created.id));
    await settle();
    expect(rows()[0]).toContain('HomeLeads');
  });
});
