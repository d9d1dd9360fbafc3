import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * A mobile number as typed by an operator ("(415) 555-0142", "+1 415 555 0142") in E.164, or null
 * when it is not a valid number. Numbers without a country code are read as US numbers.
 */
export function toE164(input: string): string | null {
  const parsed = parsePhoneNumberFromString(input.trim(), 'US');
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number;
}
