import { credits, type leads } from '@trades/contracts';
import { distanceKm } from '@trades/geo';
import { dollars } from './lead-sale.ts';

type CreditReason = credits.CreditReason;
const { CREDIT_WINDOW_DAYS } = credits;
type LeadState = leads.LeadSaleState;

/**
 * Credits of sold leads: the rules, no I/O. A buyer's request names a reason; the objective ones are
 * checked against facts dispatch holds about the sale and, when the fact is there, approved at once.
 * Anything else, or a buyer whose return rate is above the review rate, waits for an operator.
 */

/** States of a lead that was sold (a credit can be asked for). */
export const SOLD_STATES: readonly LeadState[] = ['ASSIGNED', 'COMPLETED', 'CREDITED'];

/** The plumber's words → a reason, forgivingly (typos of case, punctuation, "dup", "disconnected"…). */
const REASON_WORDS: readonly [CreditReason, RegExp][] = [
  ['duplicate', /\b(dup|dupe|dupl\w*|same lead|already (had|bought|got))/],
  [
    'wrong_number',
    /\b(wrong (number|no|#|phone)|disconnected|not in service|bad number|dead number|invalid number|no such number)/,
  ],
  [
    'outside_area',
    /\b(outside|out of|not in) (my |the |our )?(area|zone|range|territory|service area)|\btoo far\b/,
  ],
  [
    'not_my_service',
    /\b(not (my|a|our) (service|trade|job)|don'?t (do|offer|buy) (that|this)|wrong service)/,
  ],
  ['not_real', /\b(fake|spam|scam|never asked|didn'?t ask|did not ask|not real|bogus|prank|test lead)/],
  [
    'could_not_reach',
    /\b(no answer|not answering|couldn'?t reach|could not reach|can'?t reach|cannot reach|unreachable|no response|no reply|voicemail|ghost(ed)?|never (answered|called back|picked up|replied|responded)|(didn'?t|did not|won'?t|doesn'?t|does not) (answer|pick up|reply|respond|call back))/,
  ],
];

export function reasonFromWords(text: string | undefined): CreditReason {
  const words = (text ?? '').toLowerCase().replace(/[’`]/g, "'").replace(/\s+/g, ' ');
  for (const [reason, pattern] of REASON_WORDS) if (pattern.test(words)) return reason;
  return 'other';
}

/** The last moment a buyer may ask for a credit: CREDIT_WINDOW_DAYS after the sale. */
export function creditDeadline(soldAt: Date): Date {
  return new Date(soldAt.getTime() + CREDIT_WINDOW_DAYS * 24 * 3600 * 1000);
}

/** What of the price is left to credit. */
export const creditableCents = (priceCents: number, creditedCents: number): number =>
  Math.max(0, priceCents - creditedCents);

/** Credited ÷ bought over the last 30 days; null when they bought nothing (no rate to speak of). */
export function returnRate(bought: number, credited: number): number | null {
  if (bought <= 0) return null;
  return Math.min(1, credited / bought);
}

/** A buyer above the review rate has every request looked at by an operator. */
export const isFlagged = (rate: number | null, reviewRate: number): boolean =>
  rate !== null && rate > reviewRate;

export interface RequestProblem {
  code: 'NO_SUCH_LEAD' | 'LEAD_NOT_SOLD' | 'CREDIT_WINDOW_CLOSED' | 'CREDIT_PENDING' | 'ALREADY_CREDITED';
  message: string;
}

export interface CreditableSale {
  code: string;
  state: LeadState;
  soldAt: Date | null;
  priceCents: number;
  creditedCents: number;
  /** A credit of this lead already waiting (for an operator or its refund). */
  pending: boolean;
}

/**
 * Why a credit cannot be taken now, as a sentence for the person asking; undefined when it can.
 * `byBuyer`: the 7-day window applies to the buyer's own requests, not to an operator's.
 */
export function creditRequestProblem(
  sale: CreditableSale,
  now: Date,
  byBuyer: boolean,
): RequestProblem | undefined {
  if (!SOLD_STATES.includes(sale.state) || sale.soldAt === null) {
    return {
      code: 'LEAD_NOT_SOLD',
      message: `Lead ${sale.code} is ${sale.state}: only a sold lead can be credited.`,
    };
  }
  if (creditableCents(sale.priceCents, sale.creditedCents) === 0) {
    return {
      code: 'ALREADY_CREDITED',
      message: `Lead ${sale.code} was already credited in full (${dollars(sale.creditedCents)}).`,
    };
  }
  if (sale.pending) {
    return {
      code: 'CREDIT_PENDING',
      message: `A credit for lead ${sale.code} is already being handled; you'll hear from us about it shortly.`,
    };
  }
  if (byBuyer && now.getTime() > creditDeadline(sale.soldAt).getTime()) {
    return {
      code: 'CREDIT_WINDOW_CLOSED',
      message: `Lead ${sale.code} was sold more than ${CREDIT_WINDOW_DAYS} days ago; credits can only be asked for within ${CREDIT_WINDOW_DAYS} days of the sale.`,
    };
  }
  return undefined;
}

/** What dispatch knows about a sale that the automatic checks use. */
export interface SaleFacts {
  homeownerUnreachableCode: string | null;
  homeownerUnreachable: boolean;
  homeownerDenied: boolean;
  buyerCoveredZip: boolean | null;
  buyerBoughtService: boolean | null;
  zipCode: string;
  serviceName: string;
  /** The code of an earlier lead with the same homeowner and service sold to the same plumber. */
  duplicateOf: string | null;
}

/** The evidence that holds the reason up, as a sentence; undefined when the facts do not. */
export function automaticEvidence(reason: CreditReason, facts: SaleFacts): string | undefined {
  switch (reason) {
    case 'wrong_number':
      return facts.homeownerUnreachable
        ? `the confirmation SMS to the homeowner came back undelivered${facts.homeownerUnreachableCode ? ` (${facts.homeownerUnreachableCode})` : ''}`
        : undefined;
    case 'duplicate':
      return facts.duplicateOf !== null
        ? `the same homeowner and service were sold to this plumber before (lead ${facts.duplicateOf})`
        : undefined;
    case 'outside_area':
      return facts.buyerCoveredZip === false
        ? `ZIP ${facts.zipCode} was not in the plumber's coverage when it was sold`
        : undefined;
    case 'not_my_service':
      return facts.buyerBoughtService === false
        ? `${facts.serviceName} was not among the plumber's services when it was sold`
        : undefined;
    case 'not_real':
      return facts.homeownerDenied ? 'the homeowner replied NO: they never asked for a plumber' : undefined;
    default:
      return undefined;
  }
}

export interface CreditDecision {
  status: 'approved' | 'review';
  automatic: boolean;
  evidence: string | null;
}

/** A buyer's request: approved at once when a check holds and they are not flagged; otherwise review. */
export function decideRequest(reason: CreditReason, facts: SaleFacts, flagged: boolean): CreditDecision {
  const evidence = automaticEvidence(reason, facts) ?? null;
  if (evidence !== null && !flagged) return { status: 'approved', automatic: true, evidence };
  return { status: 'review', automatic: false, evidence };
}

/** Which waiting request a fact that arrived later approves. */
export const REASON_OF_FACT = { unreachable: 'wrong_number', denied: 'not_real' } as const;

/** Whether the buyer covered the lead's ZIP and bought its service at the moment of sale. */
export interface SaleCoverage {
  coveredZip: boolean;
  buysService: boolean;
}

/** A YES answers an offer, and offers go only to plumbers who cover the ZIP and buy the service. */
export const YES_SALE_FACTS: SaleCoverage = { coveredZip: true, buysService: true };

/**
 * An operator's sale to a named plumber: covered when the ZIP is in their list, or, with no list, when
 * their base ZIP (`base`) is within their radius of the lead.
 */
export function saleFactsOf(
  plumber: { services: readonly string[]; coverageZips: readonly string[]; radiusKm: number },
  lead: { service_code: string; zip: string; lat: number; lng: number },
  base: { lat: number; lng: number } | null,
): SaleCoverage {
  const coveredZip =
    plumber.coverageZips.length > 0
      ? plumber.coverageZips.includes(lead.zip)
      : base !== null && distanceKm(base, { lat: lead.lat, lng: lead.lng }) <= plumber.radiusKm;
  return { coveredZip, buysService: plumber.services.includes(lead.service_code) };
}
