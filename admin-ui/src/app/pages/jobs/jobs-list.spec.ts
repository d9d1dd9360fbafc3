import { jest } from '@jest/globals';
import { provideHttpClient } from '@angular/common/http';
import type { TestRequest } from '@angular/common/http/testing';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { TestBed } from '@angular/core/testing';
import { provideNativeDateAdapter } from '@angular/material/core';
import { provideRouter } from '@angular/router';

import type { JobSummary, Page } from '../../core/api-types';
import { JOBS_REFRESH_MS } from './jobs-filters';
import { JobsList } from './jobs-list';

function job(n: number, overrides: Partial<JobSummary> = {}): JobSummary {
  return {
    id: `job-${n}`,
    code: String(4800 + n),
    state: 'OFFERED',
    serviceCode: 'lockout_home',
    customerName: `Customer ${n}`,
    locksmithId: null,
    locksmithName: null,
    address: { formatted: `${n} Main St, San Francisco, CA 94103`, lat: 37.77, lng: -122.42, zip: '94103' },
    createdAt: new Date(Date.UTC(2026, 10, 21, 3, 0) - n * 60_000).toISOString(),
    updatedAt: new Date(Date.UTC(2026, 10, 21, 3, 0)).toISOString(),
    ...overrides,
  };
}

const page = (items: JobSummary[], nextCursor: string | null = null): Page<JobSummary> => ({
  items,
  nextCursor,
});

describe('JobsList', () => {
  let fixture: ComponentFixture<JobsList>;
  let http: HttpTestingController;
  let element: HTMLElement;

  function jobsRequest(): TestRequest {
    return http.expectOne((request) => request.url === '/api/admin/jobs');
  }

  async function render(): Promise<void> {
    fixture.detectChanges();
    await fixture.whenStable();
    for (const request of http.match('/api/services')) request.flush({ items: [] });
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
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(JobsList);
    element = fixture.nativeElement as HTMLElement;
    await render();
  });

  afterEach(() => {
    http.verify();
    jest.useRealTimers();
  });

  it('shows the newest jobs first, with their state', async () => {
    const request = jobsRequest();
    expect(request.request.params.get('sort')).toBe('createdAt:desc');
    expect(request.request.params.has('cursor')).toBe(false);
    request.flush(page([job(1, { state: 'ASSIGNED', locksmithName: 'Kevin Tran' }), job(2)]));
    await render();

    expect(rows()).toHaveLength(2);
    expect(rows()[0]).toContain('4801');
    expect(rows()[0]).toContain('Assigned');
    expect(rows()[0]).toContain('Kevin Tran');
    expect(element.textContent).toContain('All 2 jobs shown');
  });

  it('loads the next page by cursor and appends it', async () => {
    jobsRequest().flush(page([job(1), job(2)], 'cursor-2'));
    await render();

    const more = [...element.querySelectorAll('button')].find((b) => b.textContent?.includes('Load more'));
    expect(more).toBeDefined();
    more?.click();
    const next = jobsRequest();
    expect(next.request.params.get('cursor')).toBe('cursor-2');
    next.flush(page([job(3)]));
    await render();

    expect(rows().map((row) => row.slice(0, 4))).toEqual(['4801', '4802', '4803']);
    expect(element.textContent).not.toContain('Load more');
  });

  it('filters by state when a chip is picked, starting over from the first page', async () => {
    jobsRequest().flush(page([job(1)], 'cursor-1'));
    await render();

    const failed = [...element.querySelectorAll<HTMLElement>('mat-chip-option')].find((chip) =>
      chip.textContent?.includes('Failed'),
    );
    failed?.querySelector<HTMLElement>('button, [role="option"]')?.click();
    await render();

    const filtered = jobsRequest();
    expect(filtered.request.params.get('state')).toBe('FAILED');
    expect(filtered.request.params.has('cursor')).toBe(false);
    filtered.flush(page([]));
    await render();
    expect(element.textContent).toContain('No jobs match these filters.');
  });

  it("shows the server's message when the list cannot load, and retries", async () => {
    jobsRequest().flush(
      { code: 'DISPATCH_UNAVAILABLE', message: 'Dispatch is not answering.' },
      { status: 503, statusText: 'Service Unavailable' },
    );
    await render();
    expect(element.textContent).toContain('Dispatch is not answering.');

    [...element.querySelectorAll('button')].find((b) => b.textContent?.includes('Try again'))?.click();
    jobsRequest().flush(page([job(1)]));
    await render();
    expect(rows()).toHaveLength(1);
  });

  it('re-reads the rows on screen every 10 seconds', async () => {
    jest.useFakeTimers();
    // The interval started with real timers; recreate the component under fake ones.
    jobsRequest().flush(page([]));
    fixture.destroy();
    fixture = TestBed.createComponent(JobsList);
    element = fixture.nativeElement as HTMLElement;
    fixture.detectChanges();
    jobsRequest().flush(
      page(
        Array.from({ length: 60 }, (_, i) => job(i + 1)),
        'cursor-60',
      ),
    );

    jest.advanceTimersByTime(JOBS_REFRESH_MS);
    const refresh = jobsRequest();
    expect(refresh.request.params.get('limit')).toBe('60');
    expect(refresh.request.params.has('cursor')).toBe(false);
    refresh.flush(
      page([job(0, { state: 'ASSIGNED' }), ...Array.from({ length: 59 }, (_, i) => job(i + 1))], 'c'),
    );
    fixture.detectChanges();
    for (const request of http.match('/api/services')) request.flush({ items: [] });

    expect(rows()[0]).toContain('Assigned');
  });
});
