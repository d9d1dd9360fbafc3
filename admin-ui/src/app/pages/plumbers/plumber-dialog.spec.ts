import { jest } from '@jest/globals';
import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { TestBed } from '@angular/core/testing';
import { MAT_DIALOG_DATA, MatDialogRef } from '@angular/material/dialog';

import type { Plumber } from '../../core/api-types';
import type { PlumberDialogData } from './plumber-dialog';
import { PlumberDialog } from './plumber-dialog';
import { isTimeZone, parseZipList } from './time-zones';

const existing: Plumber = {
  id: '00000000-0000-4000-8000-000000000001',
  firstName: 'Dana',
  lastName: 'Pipes',
  email: 'dana@pipes.example',
  phone: '+14155550101',
  zipCode: '94103',
  services: ['drain_cleaning'],
  coverageZips: [],
  radiusKm: 25,
  status: 'active',
  available: true,
  stripeCustomerId: null,
  card: { status: 'none' },
  dailyCap: 3,
  weeklyCap: 0,
  monthlyCap: 0,
  monthlySpendCapCents: 50_000,
  timeZone: 'America/Los_Angeles',
  createdAt: '2026-11-01T10:00:00.000Z',
  updatedAt: '2026-11-01T10:00:00.000Z',
  leadStats: null,
};

describe('parseZipList', () => {
  it('reads ZIP codes separated by commas, spaces or lines, once each', () => {
    expect(parseZipList('94103, 94110\n94114 94103')).toEqual(['94103', '94110', '94114']);
    expect(parseZipList('')).toEqual([]);
    expect(parseZipList('94103, 9411')).toBeNull();
  });

  it('knows IANA zones', () => {
    expect(isTimeZone('America/Chicago')).toBe(true);
    expect(isTimeZone('Europe/London')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});

describe('PlumberDialog', () => {
  let fixture: ComponentFixture<PlumberDialog>;
  let http: HttpTestingController;
  let element: HTMLElement;
  let close: jest.Mock<(plumber?: Plumber) => void>;

  async function open(data: PlumberDialogData): Promise<void> {
    close = jest.fn<(plumber?: Plumber) => void>();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: MAT_DIALOG_DATA, useValue: data },
        { provide: MatDialogRef, useValue: { close } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(PlumberDialog);
    element = fixture.nativeElement as HTMLElement;
    await settle();
  }

  async function settle(): Promise<void> {
    fixture.detectChanges();
    await fixture.whenStable();
    for (const request of http.match('/api/leads/services')) {
      request.flush({
        items: [
          { code: 'drain_cleaning', name: 'Drain cleaning' },
          { code: 'water_heater', name: 'Water heater' },
        ],
      });
    }
    fixture.detectChanges();
  }

  function type(name: string, value: string): void {
    const field = element.querySelector<HTMLInputElement | HTMLTextAreaElement>(
      `[formcontrolname="${name}"]`,
    );
    if (!field) throw new Error(`no field ${name}`);
    field.value = value;
    field.dispatchEvent(new Event('input'));
  }

  async function pickServices(...names: string[]): Promise<void> {
    element
      .querySelector<HTMLElement>('mat-select[formcontrolname="services"] .mat-mdc-select-trigger')
      ?.click();
    await settle();
    for (const option of document.querySelectorAll<HTMLElement>('mat-option')) {
      if (names.some((name) => option.textContent?.includes(name))) option.click();
    }
    await settle();
  }

  async function choose(label: string): Promise<void> {
    const toggle = [...element.querySelectorAll<HTMLElement>('mat-button-toggle button')].find((b) =>
      b.textContent?.includes(label),
    );
    toggle?.click();
    await settle();
  }

  function submit(): void {
    element.querySelector<HTMLButtonElement>('button[type="submit"]')?.click();
  }

  afterEach(() => http.verify());

  it('creates a plumber with a ZIP list, caps in dollars sent as cents and a time zone', async () => {
    await open({});
    type('firstName', ' Dana ');
    type('lastName', 'Pipes');
    type('email', 'dana@pipes.example');
    type('phone', '(415) 555-0101');
    type('zipCode', '94103');
    await pickServices('Drain cleaning', 'Water heater');
    await choose('ZIP list');
    type('coverageZips', '94103, 94110 94103');
    type('dailyCap', '3');
    type('monthlyCap', '40');
    type('monthlySpendCap', '1,250.50');
    type('timeZone', 'America/Chicago');
    await settle();
    submit();
    await settle();

    const request = http.expectOne('/api/admin/plumbers');
    expect(request.request.method).toBe('POST');
    expect(request.request.body).toEqual({
      firstName: 'Dana',
      lastName: 'Pipes',
      email: 'dana@pipes.example',
      phone: '+14155550101',
      zipCode: '94103',
      services: ['drain_cleaning', 'water_heater'],
      coverageZips: ['94103', '94110'],
      dailyCap: 3,
      weeklyCap: 0,
      monthlyCap: 40,
      monthlySpendCapCents: 125_050,
      timeZone: 'America/Chicago',
    });
    request.flush(existing, { status: 201, statusText: 'Created' });
    await settle();
    expect(close).toHaveBeenCalledWith(existing);
  });

  it('refuses an unknown time zone and a bad ZIP list before sending anything', async () => {
    await open({});
    type('firstName', 'Dana');
    type('lastName', 'Pipes');
    type('email', 'dana@pipes.example');
    type('phone', '4155550101');
    type('zipCode', '94103');
    await pickServices('Drain cleaning');
    await choose('ZIP list');
    type('coverageZips', '94103, 941');
    type('timeZone', 'Mars/Olympus');
    submit();
    await settle();

    http.expectNone('/api/admin/plumbers');
    expect(element.textContent).toContain('Each ZIP code has 5 digits.');
    expect(element.textContent).toContain('Not a known time zone');
  });

  it('sends only what changed when editing, and clears a cap with an empty field', async () => {
    await open({ plumber: { ...existing, coverageZips: ['94103', '94110'] } });
    await choose('Radius');
    type('radiusKm', '30');
    type('dailyCap', '');
    type('monthlySpendCap', '600');
    submit();
    await settle();

    const request = http.expectOne(`/api/admin/plumbers/${existing.id}`);
    expect(request.request.method).toBe('PATCH');
    expect(request.request.body).toEqual({
      coverageZips: [],
      radiusKm: 30,
      dailyCap: 0,
      monthlySpendCapCents: 60_000,
    });
    request.flush(existing);
    await settle();
    expect(close).toHaveBeenCalled();
  });

  it("keeps the dialog open with the server's message when the save fails", async () => {
    await open({ plumber: existing });
    type('email', 'taken@pipes.example');
    submit();
    await settle();
    http
      .expectOne(`/api/admin/plumbers/${existing.id}`)
      .flush(
        { code: 'EMAIL_TAKEN', message: 'Another plumber uses this email.' },
        { status: 409, statusText: 'Conflict' },
      );
    await settle();
    expect(element.querySelector('[role="alert"]')?.textContent).toContain(
      'Another plumber uses this email.',
    );
    expect(close).not.toHaveBeenCalled();
  });
});
