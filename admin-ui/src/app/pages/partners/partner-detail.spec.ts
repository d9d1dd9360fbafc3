import { provideHttpClient } from '@angular/common/http';
import type { TestRequest } from '@angular/common/http/testing';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import type { Partner, PartnerStats, WebhookDelivery } from '../../core/api-types';
import { PartnerDetailPage, periodStart } from './partner-detail';

const ID = '00000000-0000-4000-8000-000000000101';
const BASE = `/api/admin/partners/${ID}`;

const partner: Partner = {
  id: ID,
  name: 'HomeLeads',
  email: 'robin@homeleads.example',
  contactName: 'Robin Vendor',
  phone: '+14155550199',
  status: 'active',
  rateLimitPerMinute: 120,
  payoutCentsPerLead: 1250,
  webhookUrl: 'https://homeleads.example/hooks',
  webhookSecretSet: true,
  keys: [
    {
      id: '00000000-0000-4000-8000-0000000000a1',
      name: 'Production',
      test: false,
      prefix: 'tk_live_',
      createdAt: '2026-11-01T10:00:00.000Z',
      lastUsedAt: '2026-11-20T08:30:00.000Z',
      revokedAt: null,
    },
  ],
  createdAt: '2026-10-01T10:00:00.000Z',
  updatedAt: '2026-10-01T10:00:00.000Z',
};

const stats: PartnerStats = {
  partnerId: ID,
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
};

const failed: WebhookDelivery = {
  id: '00000000-0000-4000-8000-0000000000d1',
  partnerId: ID,
  leadId: 'abcdef12-0000-4000-8000-000000000001',
  outcome: 'sold',
  url: 'https://homeleads.example/hooks',
  status: 'failed',
  attempts: 8,
  lastStatusCode: 500,
  lastError: 'Internal Server Error',
  nextAttemptAt: null,
  createdAt: '2026-11-20T08:00:00.000Z',
  deliveredAt: null,
};

describe('periodStart', () => {
  it('starts a period that many days before now; all time has no start', () => {
    const now = new Date('2026-12-04T12:00:00.000Z');
    expect(periodStart('7', now)).toBe('2026-11-27T12:00:00.000Z');
    expect(periodStart('all', now)).toBeUndefined();
  });
});

describe('PartnerDetailPage', () => {
  let fixture: ComponentFixture<PartnerDetailPage>;
  let http: HttpTestingController;
  let element: HTMLElement;

  async function settle(): Promise<void> {
    fixture.detectChanges();
    await fixture.whenStable();
    fixture.detectChanges();
  }

  function button(label: string, root: ParentNode = document): HTMLButtonElement {
    const found = [...root.querySelectorAll('button')].find(
      (b) => b.textContent?.includes(label) || b.getAttribute('aria-label') === label,
    );
    if (!found) throw new Error(`no button "${label}"`);
    return found;
  }

  function dialog(): HTMLElement {
    const containers = document.querySelectorAll<HTMLElement>('mat-dialog-container');
    const last = containers[containers.length - 1];
    if (!last) throw new Error('no dialog open');
    return last;
  }

  function deliveriesRequest(): TestRequest {
    return http.expectOne((r) => r.url === `${BASE}/deliveries`);
  }

  async function loaded(deliveries: WebhookDelivery[] = [failed]): Promise<void> {
    http.expectOne(BASE).flush(partner);
    const statsRequest = http.expectOne((r) => r.url === `${BASE}/stats`);
    expect(statsRequest.request.params.has('from')).toBe(true);
    statsRequest.flush(stats);
    const list = deliveriesRequest();
    expect(list.request.params.get('limit')).toBe('25');
    list.flush({ items: deliveries, nextCursor: null });
    await settle();
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(PartnerDetailPage);
    fixture.componentRef.setInput('id', ID);
    element = fixture.nativeElement as HTMLElement;
    await settle();
  });

  afterEach(() => http.verify());

  it('shows the profile, stats, keys, webhook and deliveries', async () => {
    expect(element.textContent).toContain('Loading partner');
    await loaded();
    const text = element.textContent?.replace(/\s+/g, ' ') ?? '';
    expect(text).toContain('HomeLeads');
    expect(text).toContain('Robin Vendor');
    expect(text).toContain('$12.50 per accepted lead');
    expect(text).toContain('20 (10 invalid · 6 duplicate · 4 not served)');
    expect(text).toContain('$4,050.00');
    expect(text).toContain('$1,500.00');
    expect(element.querySelector('tr.key')?.textContent).toContain('tk_live_');
    expect(text).toContain('https://homeleads.example/hooks');
    const row = element.querySelector('tr.delivery')?.textContent?.replace(/\s+/g, ' ') ?? '';
    expect(row).toContain('Sold');
    expect(row).toContain('abcdef12');
    expect(row).toContain('Failed');
    expect(row).toContain('HTTP 500');
    expect(row).toContain('Internal Server Error');
  });

  it('asks for stats over the picked period', async () => {
    await loaded();
    fixture.componentInstance['period'].set('all');
    await settle();
    const request = http.expectOne((r) => r.url === `${BASE}/stats`);
    expect(request.request.params.has('from')).toBe(false);
    request.flush({ ...stats, posted: 999 });
    await settle();
    expect(element.textContent).toContain('999');
  });

  it('says so when there are no deliveries', async () => {
    await loaded([]);
    expect(element.textContent).toContain('No webhook deliveries yet.');
  });

  it('issues a key and shows it once, with a copy button and a warning', async () => {
    await loaded();
    button('Issue a key').click();
    await settle();
    const input = dialog().querySelector<HTMLInputElement>('[formcontrolname="name"]');
    if (!input) throw new Error('no name field');
    input.value = 'Staging';
    input.dispatchEvent(new Event('input'));
    dialog().querySelector<HTMLInputElement>('mat-checkbox input')?.click();
    button('Issue key', dialog()).click();
    await settle();

    const request = http.expectOne(`${BASE}/keys`);
    expect(request.request.method).toBe('POST');
    expect(request.request.body).toEqual({ name: 'Staging', test: true });
    const secret = 'tk_test_0123456789abcdef0123456789abcdef';
    request.flush(
      {
        id: '00000000-0000-4000-8000-0000000000a2',
        key: secret,
        prefix: 'tk_test_',
        name: 'Staging',
        test: true,
      },
      { status: 201, statusText: 'Created' },
    );
    await settle();

    expect(dialog().textContent).toContain(secret);
    expect(dialog().textContent).toContain('it will not be shown again');
    expect(button('Copy', dialog())).toBeDefined();
    // The key is nowhere on the page itself.
    expect(element.textContent).not.toContain(secret);

    button('I have copied the key', dialog()).click();
    await settle();
    const reloaded = http.expectOne(BASE);
    reloaded.flush({
      ...partner,
      keys: [
        ...partner.keys,
        {
          id: '00000000-0000-4000-8000-0000000000a2',
          name: 'Staging',
          test: true,
          prefix: 'tk_test_',
          createdAt: '2026-12-04T10:00:00.000Z',
          lastUsedAt: null,
          revokedAt: null,
        },
      ],
    });
    await settle();
    expect(document.querySelector('mat-dialog-container')).toBeNull();
    expect(element.querySelectorAll('tr.key')).toHaveLength(2);
    expect(document.body.textContent).not.toContain(secret);
  });

  it('revokes a key only after the operator confirms', async () => {
    await loaded();
    button('Revoke key Production', element).click();
    await settle();
    expect(dialog().textContent).toContain('Revoke key Production?');
    http.expectNone(`${BASE}/keys/${partner.keys[0]?.id ?? ''}`);

    button('Revoke key', dialog()).click();
    await settle();
    const request = http.expectOne(`${BASE}/keys/${partner.keys[0]?.id ?? ''}`);
    expect(request.request.method).toBe('DELETE');
    request.flush(null, { status: 204, statusText: 'No Content' });
    await settle();
    http.expectOne(BASE).flush({
      ...partner,
      keys: partner.keys.map((key) => ({ ...key, revokedAt: '2026-12-04T10:00:00.000Z' })),
    });
    await settle();
    expect(element.querySelector('tr.key')?.textContent).toContain('Revoked');
  });

  it('suspends the partner after a confirmation', async () => {
    await loaded();
    button('Suspend', element).click();
    await settle();
    expect(dialog().textContent).toContain('Suspend HomeLeads?');
    button('Suspend', dialog()).click();
    await settle();
    const request = http.expectOne(BASE);
    expect(request.request.method).toBe('PATCH');
    expect(request.request.body).toEqual({ status: 'suspended' });
    request.flush({ ...partner, status: 'suspended' });
    await settle();
    expect(element.querySelector('app-state-badge')?.textContent).toBe('Suspended');
    expect(button('Reactivate', element)).toBeDefined();
  });

  it('rotates the signing secret and shows the new one once', async () => {
    await loaded();
    button('Rotate signing secret', element).click();
    await settle();
    button('Rotate secret', dialog()).click();
    await settle();
    const request = http.expectOne(`${BASE}/webhook-secret`);
    expect(request.request.method).toBe('POST');
    request.flush({ secret: 'whsec_new_secret_value' }, { status: 201, statusText: 'Created' });
    await settle();
    expect(dialog().textContent).toContain('whsec_new_secret_value');
    expect(dialog().textContent).toContain('it will not be shown again');
    button('I have copied the secret', dialog()).click();
    await settle();
    expect(document.body.textContent).not.toContain('whsec_new_secret_value');
  });

  it('sends a failed delivery again', async () => {
    await loaded();
    button(`Send the sold delivery for lead abcdef12 again`, element).click();
    const request = http.expectOne(`${BASE}/deliveries/${failed.id}/retry`);
    expect(request.request.method).toBe('POST');
    request.flush({
      ...failed,
      status: 'delivered',
      attempts: 9,
      lastStatusCode: 200,
      lastError: null,
      deliveredAt: '2026-12-04T10:00:00.000Z',
    });
    await settle();
    const row = element.querySelector('tr.delivery')?.textContent ?? '';
    expect(row).toContain('Delivered');
    expect(row).not.toContain('Retry');
  });

  it('shows why the partner could not be loaded', async () => {
    http
      .expectOne(BASE)
      .flush(
        { code: 'PARTNER_NOT_FOUND', message: 'No such partner.' },
        { status: 404, statusText: 'Not Found' },
      );
    http.expectOne((r) => r.url === `${BASE}/stats`).flush(stats);
    deliveriesRequest().flush({ items: [], nextCursor: null });
    await settle();
    expect(element.textContent).toContain('No such partner.');
  });
});
