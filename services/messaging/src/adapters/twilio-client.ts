// The one place the messaging service builds its Twilio client and checks Twilio's
// webhook signatures. Locally `apiBase` points the real SDK at the Twilio emulator.
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';

export interface TwilioClientConfig {
  accountSid: string;
  authToken: string;
  /** Base URL of a Twilio API stand-in, e.g. http://127.0.0.1:12112; absent → the real Twilio. */
  apiBase?: string;
}

export type TwilioClient = twilio.Twilio;

export function createTwilioClient(config: TwilioClientConfig): TwilioClient {
  if (config.apiBase === undefined) return twilio(config.accountSid, config.authToken);
  return twilio(config.accountSid, config.authToken, {
    httpClient: new LocalApiRequestClient(config.apiBase),
  });
}

/**
 * Sends every request the SDK builds for a Twilio host (api.twilio.com and the other
 * *.twilio.com product domains) to the local base URL, keeping path and query, so a
 * development setup never reaches the real Twilio by accident.
 */
class LocalApiRequestClient extends twilio.RequestClient {
  readonly #base: URL;

  constructor(apiBase: string) {
    super();
    if (!URL.canParse(apiBase)) throw new Error(`Twilio apiBase is not a URL: ${apiBase}`);
    this.#base = new URL(apiBase);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request({ ...opts, uri: this.#rewrite(opts.uri) });
  }

  #rewrite(uri: string): string {
    const target = new URL(uri);
    if (target.hostname !== 'twilio.com' && !target.hostname.endsWith('.twilio.com')) return uri;
    const local = new URL(this.#base);
    local.pathname = `${local.pathname.replace(/\/+$/, '')}${target.pathname}`;
    local.search = target.search;
    return local.href;
  }
}

/**
 * True when `signatureHeader` (the X-Twilio-Signature header) is Twilio's signature of
 * this form POST. `url` is the public URL Twilio was configured with, query included.
 */
export function validateTwilioSignature(
  authToken: string,
  signatureHeader: string | undefined,
  url: string,
  params: Record<string, string>,
): boolean {
  if (!signatureHeader) return false;
  return twilio.validateRequest(authToken, signatureHeader, url, params);
}

/** The X-Twilio-Signature Twilio would send for a form POST of `params` to `url`. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}
