import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import type { ActivatedRouteSnapshot, RouterStateSnapshot } from '@angular/router';
import { Router, UrlTree, provideRouter } from '@angular/router';
import type { Observable } from 'rxjs';
import { firstValueFrom, isObservable } from 'rxjs';

import { authGuard } from './auth-guard';
import { Auth, safeReturnUrl } from './auth';

describe('authGuard', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  function guard(url: string): Promise<boolean | UrlTree> {
    const result = TestBed.runInInjectionContext(() =>
      authGuard({} as ActivatedRouteSnapshot, { url } as RouterStateSnapshot),
    );
    if (!isObservable(result)) throw new Error('the guard answers asynchronously');
    return firstValueFrom(result as Observable<boolean | UrlTree>);
  }

  it('sends a signed-out operator to /login, remembering the wanted page', async () => {
    const decision = guard('/jobs/j1?tab=offers');
    http
      .expectOne('/api/admin/me')
      .flush(
        { code: 'UNAUTHENTICATED', message: 'Sign in first.' },
        { status: 401, statusText: 'Unauthorized' },
      );

    const tree = await decision;
    expect(tree).toBeInstanceOf(UrlTree);
    expect(TestBed.inject(Router).serializeUrl(tree as UrlTree)).toBe(
      '/login?returnUrl=%2Fjobs%2Fj1%3Ftab%3Doffers',
    );
    expect(TestBed.inject(Auth).operator()).toBeNull();
  });

  it('lets a signed-in operator in and remembers who they are', async () => {
    const decision = guard('/jobs');
    http.expectOne('/api/admin/me').flush({ email: 'ops@example.com', via: 'local' });

    expect(await decision).toBe(true);
    expect(TestBed.inject(Auth).operator()).toEqual({ email: 'ops@example.com', via: 'local' });
  });

  it('asks the server only once per session', async () => {
    const first = guard('/jobs');
    http.expectOne('/api/admin/me').flush({ email: 'ops@example.com', via: 'cloudflare' });
    await first;

    expect(await guard('/locksmiths')).toBe(true);
    http.expectNone('/api/admin/me');
  });

  it('lets the operator through when the server is down, so the page can say so', async () => {
    const decision = guard('/dashboard');
    http.expectOne('/api/admin/me').flush('', { status: 503, statusText: 'Service Unavailable' });
    expect(await decision).toBe(true);
  });
});

describe('safeReturnUrl', () => {
  it('keeps paths inside the console', () => {
    expect(safeReturnUrl('/jobs/j1')).toBe('/jobs/j1');
  });

  it('refuses other hosts, protocol-relative links and the login page itself', () => {
    expect(safeReturnUrl('https://evil.example')).toBe('/');
    expect(safeReturnUrl('//evil.example/x')).toBe('/');
    expect(safeReturnUrl('/login?returnUrl=/x')).toBe('/');
    expect(safeReturnUrl(undefined)).toBe('/');
  });
});
