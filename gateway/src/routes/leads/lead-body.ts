import { AppError, intake } from '@trades/contracts';
import type { FastifySchemaValidationError } from 'fastify';
import Type, { type TSchema } from 'typebox';

/** A lead's body: the contract's fields, and the consent as the route takes it. */
export const leadBody = <C extends TSchema>(consent: C) =>
  Type.Object({ ...intake.LeadFields.properties, consent });

/**
 * The lead's own fields, and nothing else the body carried: unknown fields are not forwarded, stored or
 * hashed for the Idempotency-Key.
 */
export function leadFieldsOf(body: intake.LeadFields, withExternalId: boolean): intake.LeadFields {
  const { firstName, lastName, email, phone, serviceNeeded, urgency, zipCode, description, externalId } =
    body;
  return {
    firstName,
    lastName,
    email,
    phone,
    serviceNeeded,
    urgency,
    zipCode,
    ...(description !== undefined ? { description } : {}),
    ...(withExternalId && externalId !== undefined ? { externalId } : {}),
  };
}

/** A partner's consent record, its known fields only. */
export function consentOf(consent: intake.LeadConsent): intake.LeadConsent {
  const { text, capturedAt, ip, userAgent, pageUrl } = consent;
  return {
    text,
    capturedAt,
    ...(ip !== undefined ? { ip } : {}),
    ...(userAgent !== undefined ? { userAgent } : {}),
    ...(pageUrl !== undefined ? { pageUrl } : {}),
  };
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** `/consent/text` → `consent.text`; the body itself is `body`. */
const fieldName = (pointer: string): string =>
  pointer === '' ? 'body' : pointer.slice(1).split('/').join('.');

/**
 * The schema's complaints in the shape intake uses for leads — `details.fields: [{ field, message }]`, one
 * entry per problem — so a partner reads type errors and content errors the same way. `sentences` replaces
 * the message for a field (the form's consent box says what to do rather than "must be equal to constant").
 */
export function leadValidationFailed(
  issues: readonly FastifySchemaValidationError[],
  sentences: Record<string, string> = {},
): AppError {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string): void => {
    const said = sentences[field] ?? message;
    if (!problems.some((p) => p.field === field && p.message === said))
      problems.push({ field, message: said });
  };
  for (const issue of issues) {
    const required = issue.params['requiredProperties'];
    if (issue.keyword === 'required' && Array.isArray(required)) {
      const parent = fieldName(issue.instancePath);
      for (const name of required)
        add(parent === 'body' ? String(name) : `${parent}.${String(name)}`, 'is required');
    } else if (issue.keyword === 'anyOf') {
      continue;
    } else {
      add(fieldName(issue.instancePath), issue.message ?? 'is invalid');
    }
  }
  return new AppError(
    400,
    'VALIDATION_FAILED',
    `Check these fields: ${[...new Set(problems.map((p) => p.field))].join(', ')}.`,
    { fields: problems },
  );
}
