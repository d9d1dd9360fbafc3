import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Partner webhooks are signed like Stripe's. Every POST carries
 *
 *   Trades-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * To verify, a partner needs only its secret (`whsec_…`) and the raw request body: split the header on
 * `,` into `t` and `v1`, compute the HMAC over `${t}.${body}` with the secret as the key, compare it to
 * `v1` in constant time, and refuse a `t` too far from its own clock (replays). Nothing here does I/O.
 */

/** How far a signature's time may be from the verifier's clock by default (Stripe's default too). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new signing secret: `whsec_` and 32 random bytes in base64url (256 bits). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function hmacHex(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The `Trades-Signature` header for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmacHex(secret, timestamp, body)}`;
}

export type SignatureCheck = { valid: true; timestamp: number } | { valid: false; reason: string };

/**
 * Whether `header` signs `body` with `secret`, within `toleranceSeconds` of `nowSeconds`. Any `v1` in the
 * header may match (a header can carry more than one while a secret is being rolled).
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): SignatureCheck {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't' && /^[0-9]{1,12}$/.test(value)) timestamp = Number(value);
    else if (name === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === null) return { valid: false, reason: 'no timestamp (t=) in the header' };
  if (signatures.length === 0) return { valid: false, reason: 'no v1 signature in the header' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds)
    return { valid: false, reason: 'the timestamp is outside the tolerance (a replay or a wrong clock)' };
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  const matches = signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  return matches ? { valid: true, timestamp } : { valid: false, reason: 'no signature matches the body' };
}
