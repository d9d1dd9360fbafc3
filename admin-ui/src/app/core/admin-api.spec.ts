import { HttpErrorResponse, provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { AdminApi } from './admin-api';
import { apiErrorMessage } from './api-error';
import type { JobDetail, Page, JobSummary } from './api-types';

describe('AdminApi', () => {
  let api: AdminApi;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    api = TestBed.inject(AdminApi);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('lists jobs newest first with only the filters that are set, sending the session cookie', () => {
    const page: Page<JobSummary> = { items: [], nextCursor: null };
    let received: Page<JobSummary> | undefined;
    api
      .jobs({ state: ['OFFERED', 'ASSIGNED'], q: '', cursor: 'abc', limit: 50 })
      .subscribe((p) => (received = p));

    const request = http.expectOne((r) => r.url === '/api/admin/jobs');
    expect(request.request.method).toBe('GET');
    expect(request.request.withCredentials).toBe(true);
    expect(request.request.params.get('state')).toBe('OFFERED,ASSIGNED');
    expect(request.request.params.get('sort')).toBe('createdAt:desc');
    expect(request.request.params.get('cursor')).toBe('abc');
    expect(request.request.params.get('limit')).toBe('50');
    expect(request.request.params.has('q')).toBe(false);
    request.flush(page);
    expect(received).toEqual(page);
  });

  it('posts dispatch actions to the job and returns the updated detail', () => {
    let detail: JobDetail | undefined;
    api.dispatch('job 1', 'cancel').subscribe((d) => (detail = d));

    const request = http.expectOne('/api/admin/jobs/job%201/dispatch');
    expect(request.request.method).toBe('POST');
    expect(request.request.body).toEqual({ action: 'cancel' });
    request.flush({ id: 'job 1', state: 'CANCELED' });
    expect(detail?.state).toBe('CANCELED');
  });

  it('sends a refund with amount and reason', () => {
    api.refund('j1', { amountCents: 2500, reason: 'Customer got in on their own' }).subscribe();
    const request = http.expectOne('/api/admin/jobs/j1/refund');
    expect(request.request.body).toEqual({ amountCents: 2500, reason: 'Customer got in on their own' });
    request.flush({});
  });

  it('patches only the changed locksmith fields', () => {
    api.updateLocksmith('l1', { available: false }).subscribe();
    const request = http.expectOne('/api/admin/locksmiths/l1');
    expect(request.request.method).toBe('PATCH');
    expect(request.request.body).toEqual({ available: false });
    request.flush({});
  });

  it('unwraps the services catalog', () => {
    let codes: string[] = [];
    api.services().subscribe((services) => (codes = services.map((s) => s.code)));
    http.expectOne('/api/services').flush({
      items: [
        { code: 'lockout', name: 'Lockout', depositCents: 4900, priceMinCents: 9900, priceMaxCents: 19900 },
      ],
    });
    expect(codes).toEqual(['lockout']);
  });

  it("surfaces the server's error message", () => {
    let failure: unknown;
    api.assign('j1', 'l1').subscribe({ error: (e: unknown) => (failure = e) });
    http
      .expectOne('/api/admin/jobs/j1/assign')
      .flush(
        { code: 'INVALID_STATE', message: 'A completed job cannot be assigned.' },
        { status: 409, statusText: 'Conflict' },
      );
    expect(failure).toBeInstanceOf(HttpErrorResponse);
    expect(apiErrorMessage(failure)).toBe('A completed job cannot be assigned.');
  });

  it('explains a failure that has no error body', () => {
    let failure: unknown;
    api.dashboard().subscribe({ error: (e: unknown) => (failure = e) });
    http.expectOne('/api/admin/dashboard').flush('busy', { status: 429, statusText: 'Too Many Requests' });
    expect(apiErrorMessage(failure)).toMatch(/Too many attempts/);
  });
});
