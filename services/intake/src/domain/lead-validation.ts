import { AppError, LEAD_URGENCIES, plumbingService } from '@trades/contracts';
import type { intake, LeadUrgency, PlumbingServiceCode } from '@trades/contracts';
import { normalisePhone } from './session.ts';

/** One field a lead got wrong, in a sentence the sender can act on. */
export interface FieldProblem {
  field: string;
  message: string;
}

export interface ZipCentroid {
  lat: number;
  lng: number;
}

/** A lead whose every field passed: normalised, ready to store. */
export interface ValidLead {
  firstName: string;
  lastName: string;
  /** Lower-cased. */
  email: string;
  /** E.164. */
  phone: string;
  service: { code: PlumbingServiceCode; name: string };
  urgency: LeadUrgency;
  zipCode: string;
  centroid: ZipCentroid;
  description: string | null;
  externalId: string | null;
}

const NAME_MAX = 80;
const LETTER = /\p{L}/u;
// Control characters, and the invisible ones that make two equal-looking names differ.
const CONTROL = /[\p{Cc}\p{Cf}]/u;
const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TLD = /^[A-Za-z]{2,63}$/;
const ZIP = /^[0-9]{5}$/;
/** A consent captured this far in the future is a clock or a made-up time. */
const CONSENT_CLOCK_SKEW_MS = 10 * 60 * 1000;

function name(value: string, field: string, label: string, problems: FieldProblem[]): string {
  const trimmed = value.trim().replace(/\s+/g, ' ');
  if (trimmed.length === 0) problems.push({ field, message: `Enter the ${label}.` });
  else if (trimmed.length > NAME_MAX)
    problems.push({ field, message: `The ${label} can be at most ${NAME_MAX} characters.` });
  else if (!LETTER.test(trimmed) || CONTROL.test(trimmed))
    problems.push({ field, message: `The ${label} must be a name made of letters.` });
  return trimmed;
}

/** Syntax, and a domain shaped like a real one: labels, a dot, and a top-level domain of letters. */
export function normaliseEmail(value: string): string | null {
  const email = value.trim();
  if (email.length > 254) return null;
  const at = email.lastIndexOf('@');
  if (at <= 0 || at > 64) return null;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (!EMAIL_LOCAL.test(local)) return null;
  const labels = domain.split('.');
  if (labels.length < 2 || domain.length > 253) return null;
  if (!labels.every((label) => DOMAIN_LABEL.test(label))) return null;
  if (!TLD.test(labels.at(-1) ?? '')) return null;
  return email.toLowerCase();
}

function isUrgency(value: string): value is LeadUrgency {
  return (LEAD_URGENCIES as readonly string[]).includes(value);
}

/**
 * Every field of a lead checked at once, so the sender fixes them in one go. `centroidOf` places a ZIP
 * code (null when no such ZIP exists).
 */
export function validateLead(
  fields: intake.LeadFields,
  consent: intake.LeadConsent,
  centroidOf: (zip: string) => ZipCentroid | null,
  now: Date = new Date(),
): { lead: ValidLead; problems: [] } | { lead: null; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const firstName = name(fields.firstName, 'firstName', 'first name', problems);
  const lastName = name(fields.lastName, 'lastName', 'last name', problems);

  const email = normaliseEmail(fields.email);
  if (!email) problems.push({ field: 'email', message: 'Enter an email address like name@example.com.' });

  const phone = fields.phone.trim().length >= 4 ? normalisePhone(fields.phone) : null;
  if (!phone) problems.push({ field: 'phone', message: 'Enter a mobile phone number like (415) 555-0123.' });

  const service = plumbingService(fields.serviceNeeded);
  if (!service)
    problems.push({
      field: 'serviceNeeded',
      message: 'Choose a service from GET /api/leads/services.',
    });

  const urgency = fields.urgency;
  if (!isUrgency(urgency))
    problems.push({ field: 'urgency', message: 'Say when the work is needed: day, week or month.' });

  const zipCode = fields.zipCode.trim();
  const centroid = ZIP.test(zipCode) ? centroidOf(zipCode) : null;
  if (!centroid)
    problems.push({
      field: 'zipCode',
      message: ZIP.test(zipCode) ? `There is no US ZIP code ${zipCode}.` : 'Enter a 5-digit US ZIP code.',
    });

  const description = fields.description?.trim() || null;
  if (description && /\p{Cc}/u.test(description.replace(/[\n\r\t]/g, '')))
    problems.push({ field: 'description', message: 'The description contains control characters.' });
  const externalId = fields.externalId?.trim() || null;

  if (consent.text.trim().length === 0)
    problems.push({ field: 'consent.text', message: 'Send the consent text the homeowner agreed to.' });
  const capturedAt = Date.parse(consent.capturedAt);
  if (Number.isNaN(capturedAt) || capturedAt > now.getTime() + CONSENT_CLOCK_SKEW_MS)
    problems.push({
      field: 'consent.capturedAt',
      message: 'Send when the homeowner gave consent (an ISO 8601 time, not in the future).',
    });

  if (problems.length > 0 || !email || !phone || !service || !isUrgency(urgency) || !centroid)
    return { lead: null, problems };
  return {
    lead: {
      firstName,
      lastName,
      email,
      phone,
      service,
      urgency,
      zipCode,
      centroid,
      description,
      externalId,
    },
    problems: [],
  };
}

/** 400 VALIDATION_FAILED with `details.fields`: every field that is wrong, and why. */
export function validationFailed(problems: readonly FieldProblem[]): AppError {
  return new AppError(
    400,
    'VALIDATION_FAILED',
    `Check these fields: ${problems.map((p) => p.field).join(', ')}.`,
    { fields: problems },
  );
}
