import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { fieldProblems, LeadsApi } from './leads-api';

describe('LeadsApi', () => {
  let api: LeadsApi;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    api = TestBed.inject(LeadsApi);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('reads the plumbing services and the consent sentence the server records', async () => {
    const catalogue = api.catalogue();
    http.expectOne({ method: 'GET', url: '/api/leads/services' }).flush({
      items: [{ code: 'leak_repair', name: 'Leak repair' }],
      consentText: 'I agree.',
    });
    await expect(catalogue).resolves.toEqual({
      services: [{ code: 'leak_repair', name: 'Leak repair' }],
      consentText: 'I agree.',
    });
  });

  it('refuses a catalogue without the consent sentence rather than show a form without it', async () => {
    const catalogue = api.catalogue();
    http.expectOne('/api/leads/services').flush({ items: [] });
    await expect(catalogue).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });
});

describe('fieldProblems', () => {
  it('keeps the well-formed entries of details.fields', () => {
    expect(
      fieldProblems({
        fields: [{ field: 'zipCode', message: 'There is no US ZIP code 00000.' }, { field: 3 }, 'email'],
      }),
    ).toEqual([{ field: 'zipCode', message: 'There is no US ZIP code 00000.' }]);
    expect(fieldProblems(undefined)).toEqual([]);
    expect(fieldProblems({ fields: 'zipCode' })).toEqual([]);
  });
});
