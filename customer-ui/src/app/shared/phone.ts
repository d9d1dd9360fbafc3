/**
 * Reads a mobile number as people type it ("(415) 555-0123", "415.555.0123", "+44 7700 900123")
 * and returns it in E.164 form, or null when it cannot be a phone number. Ten digits without a
 * country code are taken as a US/Canada number.
 */
export function toE164(input: string): string | null {
  const trimmed = input.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, '');
  if (trimmed.startsWith('+')) {
    return digits.length >= 8 && digits.length <= 15 && !digits.startsWith('0') ? `+${digits}` : null;
  }
  if (digits.length === 10 && !/^[01]/.test(digits)) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith('1') && !/^[01]/.test(digits.slice(1))) return `+${digits}`;
  return null;
}

/** Shows a North American E.164 number the way people write it: `+14155550123` → `(415) 555-0123`. */
export function formatPhone(e164: string): string {
  const match = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return match ? `(${match[1]}) ${match[2]}-${match[3]}` : e164;
}
