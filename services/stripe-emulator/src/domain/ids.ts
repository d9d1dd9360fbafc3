import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let token = '';
  for (const byte of bytes) token += ALPHABET[byte % ALPHABET.length];
  return token;
}

/** Ids look like Stripe's test-mode ids: a type prefix and 24 base62 characters. */
export function newId(prefix: string): string {
  return `${prefix}_${randomToken(24)}`;
}

export function clientSecretFor(id: string): string {
  return `${id}_secret_${randomToken(25)}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
