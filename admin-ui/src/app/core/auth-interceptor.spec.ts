import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';

import { Auth } from './auth';
import { authInterceptor } from './auth-interceptor';

@Component({ template: '' })
class Blank {}

describe('authInterceptor', () => {
  let http: HttpTestingController;
  let router: Router;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([
          { path: 'jobs', component: Blank },
          { path: 'login', component: Blank },
        ]),
        provideHttpClient(withInterceptors([authInterceptor])),
        provideHttpClientTesting(),
      ],
    });
    http = TestBed.inject(HttpTestingController);
    router = TestBed.inject(Router);
    await router.navigateByUrl('/jobs?state=OFFERED');
  });

  afterEach(() => http.verify());

  it('sends the operator to sign in when any call answers 401, then back to this page', async () => {
    let failed = false;
    TestBed.inject(HttpClient)
      .get('/api/admin/jobs')
      .subscribe({ error: () => (failed = true) });
    http
      .expectOne('/api/admin/jobs')
      .flush(
        { code: 'UNAUTHENTICATED', message: 'Session expired.' },
        { status: 401, statusText: 'Unauthorized' },
      );
    await new Promise((resolve) => setTimeout(resolve));

    expect(failed).toBe(true);
    expect(router.url).toBe('/login?returnUrl=%2Fjobs%3Fstate%3DOFFERED&expired=1');
    expect(TestBed.inject(Auth).operator()).toBeNull();
  });

  it('leaves a wrong password to the sign-in form', async () => {
    TestBed.inject(HttpClient)
      .post('/api/admin/login', {})
      .subscribe({ error: () => undefined });
    http
      .expectOne('/api/admin/login')
      .flush(
        { code: 'INVALID_CREDENTIALS', message: 'Wrong password.' },
        { status: 401, statusText: 'Unauthorized' },
      );
    await new Promise((resolve) => setTimeout(resolve));

    expect(router.url).toBe('/jobs?state=OFFERED');
  });

  it('does not touch other errors', async () => {
    TestBed.inject(HttpClient)
      .get('/api/admin/jobs')
      .subscribe({ error: () => undefined });
    http
      .expectOne('/api/admin/jobs')
      .flush({ code: 'X', message: 'x' }, { status: 409, statusText: 'Conflict' });
    await new Promise((resolve) => setTimeout(resolve));

    expect(router.url).toBe('/jobs?state=OFFERED');
  });
});
