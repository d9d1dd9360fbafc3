import type { leads } from '@trades/contracts';
import type { WavePolicy } from './waves.ts';

type LeadState = leads.LeadSaleState;
export type Urgency = 'day' | 'week' | 'month';

/**
 * Every legal move of a lead's sale: NEW → DISPATCHING ⇄ OFFERED → CHARGING → ASSIGNED → COMPLETED;
 * CHARGING → CHARGING (the card failed, the next in line is charged), CHARGING → OFFERED / DISPATCHING
 * (the card failed and nobody is in line); DISPATCHING → UNSOLD after the last wave. An operator sells
 * a lead from any unsold state (→ CHARGING), an UNSOLD one too. A sold lead whose credits reach its
 * price is CREDITED.
 */
export const LEAD_TRANSITIONS: Readonly<Record<LeadState, readonly LeadState[]>> = {
  NEW: ['DISPATCHING', 'CHARGING'],
  DISPATCHING: ['OFFERED', 'CHARGING', 'UNSOLD'],
  OFFERED: ['DISPATCHING', 'CHARGING'],
  CHARGING: ['CHARGING', 'ASSIGNED', 'OFFERED', 'DISPATCHING'],
  ASSIGNED: ['COMPLETED', 'CREDITED'],
  COMPLETED: ['CREDITED'],
  UNSOLD: ['CHARGING'],
  CREDITED: [],
};

/** States in which the lead can still be bought (a YES or an operator's sale starts a charge). */
export const FOR_SALE_STATES: readonly LeadState[] = ['NEW', 'DISPATCHING', 'OFFERED', 'UNSOLD'];

/** Why a move is illegal, as a sentence an operator can act on; undefined when it is legal. */
export function leadTransitionProblem(from: LeadState, to: LeadState): string | undefined {
  if (LEAD_TRANSITIONS[from].includes(to)) return undefined;
  if (LEAD_TRANSITIONS[from].length === 0) return `The lead is already ${from} and cannot change any more.`;
  const allowed = LEAD_TRANSITIONS[from].join(', ');
  return `A lead that is ${from} cannot become ${to}; from ${from} it can only become ${allowed}.`;
}

/** A lead's waves: how many plumbers each, how long an offer waits, how many waves before UNSOLD. */
export interface LeadWavePolicy {
  waveSize: number;
  ttlSeconds: number;
  maxWaves: number;
}

/** The wave planner's policy for a lead: plumbers are found by coverage, so there is no radius. */
export function leadWavePlanPolicy(policy: LeadWavePolicy): WavePolicy {
  return { waveSize: policy.waveSize, maxWaves: policy.maxWaves, initialRadiusKm: 1, radiusStepKm: 0 };
}

/**
 * Whether a lead whose wave found only plumbers held by other offers keeps waiting for them (the wave not
 * counted) after `waitedSeconds` (null: it has not begun to): no longer than the wave's offers would
 * have waited, so a lead whose plumbers stay held still runs out of waves.
 */
export function keepWaitingForHeld(waitedSeconds: number | null, ttlSeconds: number): boolean {
  return waitedSeconds === null || waitedSeconds < ttlSeconds;
}

/** A price as a person reads it, in timelines, texts and refusals: 4500 → "$45.00". */
export const dollars = (cents: number): string => `$${(cents / 100).toFixed(2)}`;

/** The idempotency key a lead's charge to one plumber is made with: one charge per (lead, plumber). */
export const leadChargeKey = (leadId: string, providerId: string): string =>
  `lead-charge:${leadId}:${providerId}`;

/** Lead offer closing reasons, shared by the writer and the reader of `offer.reason`. */
export const LEAD_CLOSE_REASON = {
  sold: 'lead sold',
  bought: 'bought',
  declined: 'declined by SMS',
  expired: 'no reply in time',
  cardFailed: 'card did not go through',
  undeliverable: 'SMS could not be delivered',
  capReached: 'cap reached',
} as const;

/** Why a YES to a lead offer that is not pending any more is refused. */
export function lateYesReason(
  status: string,
  reason: string | null,
): 'lead_sold' | 'offer_expired' | 'offer_closed' | 'cap_reached' {
  if (status === 'EXPIRED') return 'offer_expired';
  if (status === 'CANCELED' && reason === LEAD_CLOSE_REASON.capReached) return 'cap_reached';
  if (status === 'CANCELED' && reason === LEAD_CLOSE_REASON.sold) return 'lead_sold';
  return 'offer_closed';
}
