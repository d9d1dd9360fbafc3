// Phone number rules shared by the emulator's routes and its logs.

const E164 = /^\+[1-9]\d{1,14}$/;

export function isE164(value: string): boolean {
  return E164.test(value);
}

/** `+15551234567` → `***4567`; logs never carry a full number. */
export function maskPhone(phone: string): string {
  return `***${phone.slice(-4)}`;
}

// Digit runs of 10 to 15 (optionally `+` or URL-encoded `%2B` first) that are not part
// of a longer token such as a hex SID.
const PHONE_IN_TEXT = /(?<![0-9A-Za-z])(?:\+|%2B)?\d{6,11}(\d{4})(?![0-9A-Za-z])/gi;

export function maskPhonesIn(text: string): string {
  return text.replace(PHONE_IN_TEXT, '***$1');
}

/** ISO country of a number as Twilio reports it for inbound messages; only +1 is known here. */
export function countryOf(phone: string): string {
  return phone.startsWith('+1') ? 'US' : '';
}
