import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import type { ComponentFixture } from '@angular/core/testing';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';

import { Login } from './login';

@Component({ template: '' })
class Blank {}

describe('Login', () => {
  let fixture: ComponentFixture<Login>;
  let http: HttpTestingController;
  let element: HTMLElement;

  async function settle(): Promise<void> {
    fixture.detectChanges();
    await fixture.whenStable();
    fixture.detectChanges();
  }

  function type(label: 'email' | 'password', value: string): void {
    const input = element.querySelector<HTMLInputElement>(`input[formControlName="${label}"]`);
    if (!input) throw new Error(`no ${label} input`);
    input.value = value;
    input.dispatchEvent(new Event('input'));
  }

  function submit(): void {
    element.querySelector<HTMLFormElement>('form')?.dispatchEvent(new Event('submit'));
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([{ path: '**', component: Blank }]),
        provideHttpClient(),
        provideHttpClientTesting(),
      ],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(Login);
    fixture.componentRef.setInput('returnUrl', '/jobs/j1');
    element = fixture.nativeElement as HTMLElement;
    await settle();
  });

  afterEach(() => http.verify());

  it('signs in and goes back to the page the operator wanted', async () => {
    type('email', ' ops@example.com ');
    type('password', 'secret');
    submit();

    const login = http.expectOne('/api/admin/login');
    expect(login.request.body).toEqual({ email: 'ops@example.com', password: 'secret' });
    expect(login.request.withCredentials).toBe(true);
    login.flush(null, { status: 204, statusText: 'No Content' });
    http.expectOne('/api/admin/me').flush({ email: 'ops@example.com', via: 'local' });
    await settle();

    expect(TestBed.inject(Router).url).toBe('/jobs/j1');
  });

  it("shows the server's message for wrong credentials", async () => {
    type('email', 'ops@example.com');
    type('password', 'nope');
    submit();
    http
      .expectOne('/api/admin/login')
      .flush(
        { code: 'INVALID_CREDENTIALS', message: 'Email or password is incorrect.' },
        { status: 401, statusText: 'Unauthorized' },
      );
    await settle();

    expect(element.querySelector('[role="alert"]')?.textContent).toContain('Email or password is incorrect.');
  });

  it('says so when sign-in is rate limited', async () => {
    type('email', 'ops@example.com');
    type('password', 'nope');
    submit();
    http
      .expectOne('/api/admin/login')
      .flush(
        { code: 'RATE_LIMITED', message: 'Too many attempts, wait a minute.' },
        { status: 429, statusText: 'Too Many Requests' },
      );
    await settle();

    expect(element.textContent).toContain('Too many attempts, wait a minute.');
  });

  it('sends nothing while the form is incomplete', async () => {
    type('email', 'not-an-email');
    submit();
    await settle();

    http.expectNone('/api/admin/login');
    expect(element.textContent).toContain('This is not an email address.');
    expect(element.textContent).toContain('Enter your password.');
  });
});
