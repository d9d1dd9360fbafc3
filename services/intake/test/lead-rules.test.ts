import { describe, expect, it } from '@jest/globals';
import { LEAD_URGENCIES, PLUMBING_SERVICE_CODES } from '@trades/contracts';
import {
  canonicalJson,
  hashApiKey,
  looksLikeApiKey,
  newApiKey,
  requestHash,
} from '../src/domain/lead-keys.ts';
import { DEFAULT_LEAD_PRICES } from '../src/domain/lead-price.ts';
import { normaliseEmail, validateLead } from '../src/domain/lead-validation.ts';

const consent = { text: 'I agree to be contacted.', capturedAt: '2026-01-01T00:00:00.000Z' };
const fields = {
  firstName: ' Ada ',
  lastName: 'Lovelace',
  email: 'Ada@Example.COM',
  phone: '(415) 555-0134',
  serviceNeeded: 'leak_repair',
  urgency: 'week',
  zipCode: '94105',
};
const sanFrancisco = (zip: string) => (zip === '94105' ? { lat: 37.79, lng: -122.39 } : null);

describe('lead validation', () => {
  it('normalises a good lead: trimmed names, lower-cased email, E.164 phone, the ZIP centroid', () => {
    const { lead, problems } = validateLead(fields, consent, sanFrancisco);
    expect(problems).toEqual([]);
    expect(lead).toMatchObject({
      firstName: 'Ada',
      email: 'ada@example.com',
      phone: '+14155550134',
      service: { code: 'leak_repair', name: 'Leak repair' },
      urgency: 'week',
      centroid: { lat: 37.79, lng: -122.39 },
      description: null,
    });
  });

  it('lists every bad field at once', () => {
    const { lead, problems } = validateLead(
      {
        firstName: '  ',
        lastName: '1234',
        email: 'ada@example',
        phone: '555',
        serviceNeeded: 'roofing',
        urgency: 'asap',
        zipCode: '00000',
      },
      { text: ' ', capturedAt: '2999-01-01T00:00:00.000Z' },
      sanFrancisco,
    );
    expect(lead).toBeNull();
    expect(problems.map((p) => p.field)).toEqual([
      'firstName',
      'lastName',
      'email',
      'phone',
      'serviceNeeded',
      'urgency',
      'zipCode',
      'consent.text',
      'consent.capturedAt',
    ]);
  });

  it.each([
    ['ada@example.com', 'ada@example.com'],
    ['first.last+tag@mail.example.co.uk', 'first.last+tag@mail.example.co.uk'],
    ['ada@localhost', null],
    ['ada@example.c', null],
    ['ada@example.123', null],
    ['ada@-example.com', null],
    ['.ada@example.com', null],
    ['ada..b@example.com', null],
    ['ada@exa mple.com', null],
    ['@example.com', null],
    ['ada', null],
  ])('email %s → %s', (input, expected) => {
    expect(normaliseEmail(input)).toBe(expected);
  });
});

describe('partner keys and idempotency hashes', () => {
  it('makes live and test keys, keeps only a hash and a prefix', () => {
    const live = newApiKey(false);
    const test = newApiKey(true);
    expect(live.key).toMatch(/^tmk_live_[0-9A-Za-z]{32}$/);
    expect(test.key).toMatch(/^tmk_test_[0-9A-Za-z]{32}$/);
    expect(live.hash).toBe(hashApiKey(live.key));
    expect(live.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(live.prefix).toBe(live.key.slice(0, 17));
    expect(looksLikeApiKey(live.key)).toBe(true);
    expect(looksLikeApiKey('tmk_live_short')).toBe(false);
    expect(newApiKey(false).key).not.toBe(live.key);
  });

  it('hashes a body the same whatever the order of its fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null } })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
    expect(requestHash({ a: 1, b: 2 })).toBe(requestHash({ b: 2, a: 1 }));
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: 2 }));
  });
});

describe('the seeded lead prices', () => {
  it('price every service of the catalogue at every urgency, sooner dearer', () => {
    for (const code of PLUMBING_SERVICE_CODES) {
      const prices = LEAD_URGENCIES.map((urgency) => DEFAULT_LEAD_PRICES[code][urgency]);
      expect(prices.every((cents) => Number.isInteger(cents) && cents > 0)).toBe(true);
      expect([...prices].sort((a, b) => b - a)).toEqual(prices);
    }
    expect(DEFAULT_LEAD_PRICES.emergency_plumbing.day).toBe(8500);
    expect(DEFAULT_LEAD_PRICES.fixture_install.month).toBe(2000);
  });
});
