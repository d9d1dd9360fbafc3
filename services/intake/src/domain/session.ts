import { randomBytes } from 'node:crypto';
import { conflict, dispatch } from '@trades/contracts';
import type { AppError, intake } from '@trades/contracts';
import { parsePhoneNumberFromString } from 'libphonenumber-js';

export type FunnelStep = intake.FunnelStep;
export type BookingState = 'draft' | 'awaiting_payment' | 'completed' | 'expired';
export type UserAgentClass = 'mobile' | 'desktop' | 'bot';

export const FUNNEL_ORDER: readonly FunnelStep[] = ['start', 'location', 'service', 'payment', 'complete'];

/** A session nobody touched for this long is expired by the sweep. */
export const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;

/** 192 random bits, base64url: unguessable, and short enough for a URL. */
export function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/** The public token in the status page's URL; separate from the session id so sharing it grants nothing. */
export function newTrackingToken(): string {
  return randomBytes(24).toString('base64url');
}

export function laterStep(a: FunnelStep, b: FunnelStep): FunnelStep {
  return FUNNEL_ORDER.indexOf(a) >= FUNNEL_ORDER.indexOf(b) ? a : b;
}

export function stepOutOfOrder(expected: FunnelStep): AppError {
  const sentence: Record<FunnelStep, string> = {
    start: 'Start a new booking first.',
    location: 'Tell us where you are first.',
    service: 'Choose a service and give your name and mobile number first.',
    payment: 'Secure the deposit first.',
    complete: 'This booking is already complete.',
  };
  return conflict('STEP_OUT_OF_ORDER', sentence[expected], { expected });
}

interface StepView {
  state: BookingState;
  step: FunnelStep;
}

/**
 * Which step a session may take now. A customer may go back and change the address or the service
 * until the deposit's PaymentIntent exists; after that the amount is fixed.
 */
export function checkStep(
  session: StepView,
  requested: 'location' | 'service' | 'payment' | 'complete',
): void {
  if (session.state === 'completed') {
    if (requested === 'complete') return;
    throw stepOutOfOrder('complete');
  }
  const at = FUNNEL_ORDER.indexOf(session.step);
  switch (requested) {
    case 'location':
      if (session.state !== 'draft') throw stepOutOfOrder('payment');
      return;
    case 'service':
      if (session.state !== 'draft') throw stepOutOfOrder('payment');
      if (at < FUNNEL_ORDER.indexOf('service')) throw stepOutOfOrder(session.step);
      return;
    case 'payment':
      if (at < FUNNEL_ORDER.indexOf('payment')) throw stepOutOfOrder(session.step);
      return;
    case 'complete':
      if (session.state !== 'awaiting_payment') throw stepOutOfOrder(session.step);
      return;
  }
}

/** Mobile number → E.164 (US by default); null when it is not a plausible mobile number. */
export function normalisePhone(input: string): string | null {
  const parsed = parsePhoneNumberFromString(input.trim(), 'US');
  if (!parsed || !parsed.isValid()) return null;
  const type = parsed.getType();
  // US numbers do not tell mobile from landline; elsewhere a known landline cannot get SMS.
  if (type !== undefined && type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') return null;
  return parsed.number;
}

const BOT = /bot|crawl|spider|slurp|headless|lighthouse|curl|wget|python-requests|httpclient|preview/i;
const MOBILE = /mobi|android|iphone|ipod|ipad|windows phone|blackberry|opera mini/i;

export function userAgentClass(userAgent: string | undefined): UserAgentClass | null {
  if (!userAgent) return null;
  if (BOT.test(userAgent)) return 'bot';
  return MOBILE.test(userAgent) ? 'mobile' : 'desktop';
}

/** Job states in the order a job moves through them; a later event time always wins first. */
export function jobStateRank(state: dispatch.JobState): number {
  return dispatch.JOB_STATE_RANK[state];
}

/** Keyset cursor for the sessions list: the last row's (created_at, id). */
export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [createdAt, id] = value;
    if (typeof createdAt !== 'string' || typeof id !== 'string') return null;
    if (Number.isNaN(Date.parse(createdAt))) return null;
    return { createdAt, id };
  } catch {
    return null;
  }
}
