import { describe, expect, it } from '@jest/globals';
import {
  automaticEvidence,
  creditDeadline,
  creditRequestProblem,
  decideRequest,
  isFlagged,
  reasonFromWords,
  returnRate,
  saleFactsOf,
  type CreditableSale,
  type SaleFacts,
} from '../src/domain/lead-credit.ts';

describe('the reason in a plumber’s words', () => {
  it.each([
    ['wrong number', 'wrong_number'],
    ['Number DISCONNECTED', 'wrong_number'],
    ['dup', 'duplicate'],
    ['duplicate of 1234', 'duplicate'],
    ['outside my area', 'outside_area'],
    ['way out of area', 'outside_area'],
    ['not my service', 'not_my_service'],
    ["we don't do that", 'not_my_service'],
    ['fake', 'not_real'],
    ['spam!!', 'not_real'],
    ['she never asked for a plumber', 'not_real'],
    ['no answer 3 times', 'could_not_reach'],
    ['couldn’t reach them', 'could_not_reach'],
    ['never picked up after 3 calls', 'could_not_reach'],
    ["he didn't pick up", 'could_not_reach'],
    ['does not answer', 'could_not_reach'],
    ['ghosted me', 'could_not_reach'],
    ['just because', 'other'],
    ['', 'other'],
  ])('"%s" → %s', (words, reason) => {
    expect(reasonFromWords(words)).toBe(reason);
  });
});

const sale = (overrides: Partial<CreditableSale> = {}): CreditableSale => ({
  code: '4821',
  state: 'ASSIGNED',
  soldAt: new Date('2026-12-01T12:00:00Z'),
  priceCents: 4500,
  creditedCents: 0,
  pending: false,
  ...overrides,
});

describe('when a credit can be asked for', () => {
  const inWindow = new Date('2026-12-08T11:59:59Z');
  const late = new Date('2026-12-08T12:00:01Z');

  it('within 7 days of the sale, by the buyer', () => {
    expect(creditDeadline(sale().soldAt ?? new Date()).toISOString()).toBe('2026-12-08T12:00:00.000Z');
    expect(creditRequestProblem(sale(), inWindow, true)).toBeUndefined();
    expect(creditRequestProblem(sale(), late, true)?.code).toBe('CREDIT_WINDOW_CLOSED');
  });

  it('by an operator after the window too', () => {
    expect(creditRequestProblem(sale(), late, false)).toBeUndefined();
  });

  it('not while one waits, not when nothing is left, not for a lead that was not sold', () => {
    expect(creditRequestProblem(sale({ pending: true }), inWindow, true)?.code).toBe('CREDIT_PENDING');
    expect(creditRequestProblem(sale({ creditedCents: 4500 }), inWindow, true)?.code).toBe(
      'ALREADY_CREDITED',
    );
    expect(creditRequestProblem(sale({ state: 'OFFERED', soldAt: null }), inWindow, false)?.code).toBe(
      'LEAD_NOT_SOLD',
    );
    expect(creditRequestProblem(sale({ creditedCents: 2000 }), inWindow, true)).toBeUndefined();
  });
});

const facts = (overrides: Partial<SaleFacts> = {}): SaleFacts => ({
  homeownerUnreachable: false,
  homeownerUnreachableCode: null,
  homeownerDenied: false,
  buyerCoveredZip: true,
  buyerBoughtService: true,
  zipCode: '94105',
  serviceName: 'Drain cleaning',
  duplicateOf: null,
  ...overrides,
});

describe('the automatic checks', () => {
  it.each([
    ['wrong_number', { homeownerUnreachable: true, homeownerUnreachableCode: '30003' }, '(30003)'],
    ['duplicate', { duplicateOf: '1234' }, 'lead 1234'],
    ['outside_area', { buyerCoveredZip: false }, 'ZIP 94105'],
    ['not_my_service', { buyerBoughtService: false }, 'Drain cleaning'],
    ['not_real', { homeownerDenied: true }, 'replied NO'],
  ] as const)('%s holds with its fact and says why', (reason, fact, words) => {
    expect(automaticEvidence(reason, facts())).toBeUndefined();
    expect(automaticEvidence(reason, facts(fact))).toContain(words);
    expect(decideRequest(reason, facts(fact), false)).toMatchObject({ status: 'approved', automatic: true });
  });

  it('an unknown coverage (null) is not proof', () => {
    expect(automaticEvidence('outside_area', facts({ buyerCoveredZip: null }))).toBeUndefined();
  });

  it('could_not_reach and other always wait for an operator', () => {
    expect(decideRequest('could_not_reach', facts({ homeownerUnreachable: true }), false)).toMatchObject({
      status: 'review',
    });
    expect(decideRequest('other', facts(), false).status).toBe('review');
  });

  it('a flagged buyer waits for an operator even when the check holds (the evidence is kept)', () => {
    const decision = decideRequest('not_real', facts({ homeownerDenied: true }), true);
    expect(decision).toMatchObject({ status: 'review', automatic: false });
    expect(decision.evidence).toContain('replied NO');
  });
});

describe('the return rate', () => {
  it('is credited ÷ bought; flagged only above the review rate', () => {
    expect(returnRate(0, 0)).toBeNull();
    expect(returnRate(4, 1)).toBe(0.25);
    expect(isFlagged(0.25, 0.25)).toBe(false);
    expect(isFlagged(returnRate(3, 1), 0.25)).toBe(true);
    expect(isFlagged(null, 0)).toBe(false);
  });
});

describe('an operator sale’s coverage', () => {
  const lead = { service_code: 'drain_cleaning', zip: '94105', lat: 37.789, lng: -122.395 };
  it('is the ZIP list when there is one, else the radius from the base ZIP', () => {
    const listed = { services: ['drain_cleaning'], coverageZips: ['94110'], radiusKm: 50 };
    expect(saleFactsOf(listed, lead, { lat: 37.789, lng: -122.395 })).toEqual({
      coveredZip: false,
      buysService: true,
    });
    const radius = { services: ['water_heater'], coverageZips: [], radiusKm: 5 };
    expect(saleFactsOf(radius, lead, { lat: 37.76, lng: -122.41 })).toEqual({
      coveredZip: true,
      buysService: false,
    });
    expect(saleFactsOf(radius, lead, { lat: 34.05, lng: -118.24 }).coveredZip).toBe(false);
    expect(saleFactsOf(radius, lead, null).coveredZip).toBe(false);
  });
});
