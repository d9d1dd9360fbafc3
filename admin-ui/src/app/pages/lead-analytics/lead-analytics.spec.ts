import { provideHttpClient } from '@angular/common/http';
import type { TestRequest } from '@angular/common/http/testing';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { TestBed } from '@angular/core/testing';
import { provideNativeDateAdapter } from '@angular/material/core';

import type { LeadAnalytics } from '../../core/api-types';
import { LeadAnalyticsPage, leadFunnelRows } from './lead-analytics';

const analytics: LeadAnalytics = {
  from: '2026-11-01T00:00:00.000Z',
  to: '2026-12-01T00:00:00.000Z',
  funnel: { received: 200, accepted: 160, offered: 150, sold: 120, completed: 60, credited: 6 },
  rejected: { invalid: 20, duplicate: 15, notServed: 5 },
  bySource: [
    {
      source: 'form',
      partnerId: null,
      partnerName: null,
      received: 120,
      accepted: 100,
      sold: 80,
      revenueCents: 360000,
    },
    {
      source: 'partner',
      partnerId: 'p-1',
      partnerName: 'HomeLeads Co',
      received: 80,
      accepted: 60,
      sold: 40,
      revenueCents: 180000,
    },
  ],
  byService: [
    {
      serviceCode: 'water_heater',
      serviceName: 'Water heater',
      received: 90,
      accepted: 80,
      sold: 60,
      revenueCents: 300000,
    },
  ],
  byDay: [
    {
      day: '2026-11-29',
      received: 10,
      accepted: 8,
      sold: 6,
      completed: 3,
      revenueCents: 27000,
      creditedCents: 4500,
    },
    {
      day: '2026-11-30',
      received: 12,
      accepted: 9,
      sold: 7,
      completed: 2,
      revenueCents: 31500,
      creditedCents: 0,
    },
  ],
  timeToSale: { count: 120, p50Seconds: 95, p90Seconds: 1260 },
  revenueCents: 540000,
  creditedCents: 27000,
};

describe('leadFunnelRows', () => {
  it('gives each step its share of received and of the step before; credited is a share of sold', () => {
    const rows = leadFunnelRows(analytics.funnel);
    expect(rows.map((row) => row.label)).toEqual([
      'Received',
      'Accepted',
      'Offered',
      'Sold',
      'Completed',
      'Credited',
    ]);
    expect(rows[1]).toMatchObject({ count: 160, ofReceived: 0.8, ofPrevious: 0.8 });
    expect(rows[4]).toMatchObject({ count: 60, ofPrevious: 0.5 });
    expect(rows[5]).toMatchObject({ count: 6, ofPrevious: 0.05 });
  });

  it('divides by nothing as zero', () => {
    const rows = leadFunnelRows({ received: 0, accepted: 0, offered: 0, sold: 0, completed: 0, credited: 0 });
    expect(rows.every((row) => row.ofReceived === 0 && row.ofPrevious === 0)).toBe(true);
  });
});

describe('LeadAnalyticsPage', () => {
  let fixture: ComponentFixture<LeadAnalyticsPage>;
  let http: HttpTestingController;
  let element: HTMLElement;

  function analyticsRequest(): TestRequest {
    return http.expectOne((request) => request.url === '/api/admin/lead-analytics');
  }

  async function settle(): Promise<void> {
    fixture.detectChanges();
    await fixture.whenStable();
    fixture.detectChanges();
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideNativeDateAdapter()],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(LeadAnalyticsPage);
    element = fixture.nativeElement as HTMLElement;
    await settle();
  });

  afterEach(() => http.verify());

  it('asks for the last 30 days in the operator’s time zone and shows funnel, tables and times', async () => {
    expect(element.textContent).toContain('Loading lead analytics');
    const request = analyticsRequest();
    const from = request.request.params.get('from');
    expect(from).not.toBeNull();
    const days = (Date.now() - Date.parse(from ?? '')) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
    expect(request.request.params.has('to')).toBe(false);
    expect(request.request.params.get('timeZone')).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    request.flush(analytics);
    await settle();

    // Each step, and each table row, as its parts read one after the other.
    const parts = (root: Element): string =>
      [...root.children].map((child) => child.textContent?.replace(/\s+/g, ' ').trim()).join(' | ');
    const steps = [...element.querySelectorAll('.funnel li')].map((li) => [
      li.querySelector('.label')?.textContent?.trim(),
      li.querySelector('strong')?.textContent?.trim(),
      [...li.querySelectorAll('.numbers > span')].map((span) => span.textContent?.trim()).join(', '),
    ]);
    expect(steps[0]).toEqual(['Received', '200', '100% of received']);
    expect(steps[3]).toEqual(['Sold', '120', '60% of received, 80% from previous step']);
    expect(steps[5]).toEqual(['Credited', '6', '3% of received, 5% of sold']);

    const text = element.textContent?.replace(/\s+/g, ' ') ?? '';
    // Intake's revenue is net of credits: sales are revenue plus credits, and nothing is taken twice.
    expect(text).toContain('Sales$5,670.00 120 leads sold');
    expect(text).toContain('Credited$270.00 6 leads credited');
    expect(text).toContain('Revenue$5,400.00Sales less credits');
    expect(text).not.toContain('$5,130.00');
    expect(text).toContain('1 min 35 s median');
    expect(text).toContain('p90 21 min');
    expect(text).toContain('40 rejected at intake');
    const rows = [...element.querySelectorAll('tbody tr')].map(parts);
    expect(rows).toContain('Duplicate | 15 | 37.5%');
    expect(rows).toContain('HomeLeads Co | 80 | 60 | 40 | $1,800.00');
    expect(rows).toContain('Water heater | 90 | 80 | 60 | 75% | $3,000.00');
    expect(rows).toContain('2026-11-29 | 10 | 8 | 6 | 3 | $270.00 | $45.00 | ');
  });

  it('says so when no lead came in the period', async () => {
    analyticsRequest().flush({
      ...analytics,
      funnel: { received: 0, accepted: 0, offered: 0, sold: 0, completed: 0, credited: 0 },
      rejected: { invalid: 0, duplicate: 0, notServed: 0 },
      bySource: [],
      byService: [],
      byDay: [],
    });
    await settle();
    expect(element.textContent).toContain('No lead received in this period.');
  });

  it('reloads for another period and shows why it failed', async () => {
    analyticsRequest().flush(analytics);
    await settle();

    const week = [...element.querySelectorAll<HTMLElement>('mat-button-toggle')].find((toggle) =>
      toggle.textContent?.includes('7 days'),
    );
    week?.querySelector('button')?.click();
    await settle();
    const request = analyticsRequest();
    const days = (Date.now() - Date.parse(request.request.params.get('from') ?? '')) / 86_400_000;
    expect(days).toBeLessThan(8);
    request.flush(
      { code: 'INTAKE_UNAVAILABLE', message: 'Intake is not answering.' },
      { status: 503, statusText: 'Service Unavailable' },
    );
    await settle();
    expect(element.textContent).toContain('Intake is not answering.');
  });
});
