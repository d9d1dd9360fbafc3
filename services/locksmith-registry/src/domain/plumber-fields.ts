import { toE164 } from './phone.ts';

/** A ZIP code's centre and place name, as the offline US ZIP data gives it. */
export interface ZipPlace {
  zip: string;
  lat: number;
  lng: number;
  city: string;
  state: string;
}

/** Looks a 5-digit ZIP code up; null when no such ZIP exists. */
export type ZipLookup = (zip: string) => ZipPlace | null;

/** One field an operator has to correct, named by its JSON path in the request. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** What an operator sends about a plumber's contact and area, before it is checked. */
export interface PlumberFieldsInput {
  firstName?: string | undefined;
  lastName?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
  zipCode?: string | undefined;
  coverageZips?: readonly string[] | undefined;
}

/** The same fields checked and normalised; a field left out of the input stays undefined. */
export interface CheckedPlumberFields {
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  base?: ZipPlace;
  coverageZips?: string[];
}

/**
 * Checks every field given and reports every problem at once (an operator fixes them in one go):
 * names not blank once trimmed, a valid mobile number (read as US without a country code, kept in
 * E.164), and ZIP codes that exist. Emails are compared and kept lower-case; listed ZIPs lose repeats.
 */
export function checkPlumberFields(
  input: PlumberFieldsInput,
  lookupZip: ZipLookup,
): { fields: CheckedPlumberFields; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const fields: CheckedPlumberFields = {};
  for (const key of ['firstName', 'lastName'] as const) {
    const value = input[key]?.trim();
    if (value === undefined) continue;
    if (value.length === 0) problems.push({ field: key, message: 'must not be blank' });
    else fields[key] = value;
  }
  if (input.email !== undefined) fields.email = input.email.trim().toLowerCase();
  if (input.phone !== undefined) {
    const phone = toE164(input.phone);
    if (phone) fields.phone = phone;
    else
      problems.push({ field: 'phone', message: 'is not a valid mobile number; use E.164 like +14155550123' });
  }
  if (input.zipCode !== undefined) {
    const base = lookupZip(input.zipCode);
    if (base) fields.base = base;
    else problems.push({ field: 'zipCode', message: `${input.zipCode} is not a US ZIP code` });
  }
  if (input.coverageZips !== undefined) {
    const zips = [...new Set(input.coverageZips)];
    zips.forEach((zip) => {
      if (!lookupZip(zip))
        problems.push({
          field: `coverageZips/${input.coverageZips?.indexOf(zip) ?? 0}`,
          message: `${zip} is not a US ZIP code`,
        });
    });
    fields.coverageZips = zips;
  }
  return { fields, problems };
}

/** The provider's display name: first and last name. */
export const plumberName = (firstName: string, lastName: string): string => `${firstName} ${lastName}`;

/** The base address shown for a plumber, who gives a ZIP code rather than a street. */
export const zipAddress = (place: ZipPlace): string => `${place.city}, ${place.state} ${place.zip}`;
