import Stripe from 'stripe';

/**
 * The one place the payments service makes its Stripe client. The same `stripe` SDK code
 * path runs everywhere; only where it sends requests changes: Stripe itself in
 * production, the local Stripe emulator (services/stripe-emulator) in development and tests.
 */

export interface StripeClientConfig {
  /** `sk_test_…`, `sk_live_…` or a restricted `rk_…` key. */
  secretKey: string;
  /** A bare origin such as `http://127.0.0.1:12111` (the emulator); Stripe itself when omitted. */
  apiBase?: string | undefined;
  /**
   * Retries on network errors, 409 and 5xx (default 2). Safe for POSTs: the SDK sends every
   * POST with an Idempotency-Key, and Stripe (and the emulator) replay the first result for it.
   */
  maxNetworkRetries?: number | undefined;
}

export class StripeClientConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StripeClientConfigError';
  }
}

export function createStripeClient(config: StripeClientConfig): Stripe {
  const options: Stripe.StripeConfig = {
    maxNetworkRetries: config.maxNetworkRetries ?? 2,
    appInfo: { name: 'trades-marketplace/payments' },
  };
  if (config.apiBase !== undefined) {
    const url = parseApiBase(config.apiBase);
    if (/^(sk|rk)_live_/.test(config.secretKey)) {
      throw new StripeClientConfigError(
        `Refusing to send a live Stripe key to ${url.origin}: a live key is only ever sent to Stripe itself.`,
      );
    }
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    options.protocol = protocol;
    // URL keeps an IPv6 host in brackets; the SDK wants the bare address.
    options.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    options.port = url.port === '' ? (protocol === 'https' ? 443 : 80) : Number(url.port);
  }
  return new Stripe(config.secretKey, options);
}

/**
 * Verifies a webhook's `Stripe-Signature` over the exact bytes received and returns the
 * event. Throws `Stripe.errors.StripeSignatureVerificationError` when the header is
 * missing or wrong, or the signature is older than 300 seconds: nothing in a webhook is
 * believed before this passes.
 */
export function verifyStripeWebhook(
  stripe: Stripe,
  rawBody: string | Buffer,
  signatureHeader: string | string[] | undefined,
  secret: string,
): Stripe.Event {
  const header = Array.isArray(signatureHeader) ? signatureHeader.join(',') : (signatureHeader ?? '');
  return stripe.webhooks.constructEvent(rawBody, header, secret, 300);
}

function parseApiBase(value: string): URL {
  if (!URL.canParse(value)) throw new StripeClientConfigError(`Stripe apiBase is not a URL: ${value}`);
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StripeClientConfigError(`Stripe apiBase must be an http:// or https:// URL: ${value}`);
  }
  if (
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== ''
  ) {
    throw new StripeClientConfigError(
      `Stripe apiBase must be a bare origin such as http://127.0.0.1:12111 (the SDK adds /v1/…): ${value}`,
    );
  }
  return url;
}
