import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { jetstream } from '@nats-io/jetstream';
import { AppError, ErrorBody, messaging, type EventData } from '@trades/contracts';
import type { FastifyBaseLogger } from 'fastify';
import Type from 'typebox';

export interface TwilioWebhookOptions {
  /** The public URL Twilio calls (BASE_URL): it signs that URL, not the one the gateway sees. */
  baseUrl: string;
  /**
   * Twilio's auth token, when the gateway has it: an inbound SMS that messaging does not answer is then
   * checked here and parked in JetStream for messaging instead of answered 503 (and lost: Twilio never
   * retries an inbound webhook). Empty: the 503 stands.
   */
  authToken: string;
}

/** What Twilio gets back for an SMS the gateway parked: nothing to say yet (messaging replies by SMS). */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

type TwilioForm = EventData<typeof messaging.InboundSmsParked>;

/** Twilio's own signature check, loaded the first time an SMS is parked (the SDK is large; this is rare). */
async function signedByTwilio(authToken: string, form: TwilioForm): Promise<boolean> {
  const { default: twilio } = await import('twilio');
  return [form.url, form.receivedUrl].some(
    (url) =>
      url !== undefined &&
      form.signature !== '' &&
      twilio.validateRequest(authToken, form.signature, url, form.params),
  );
}

const TwilioForm = Type.Record(Type.String(), Type.String(), {
  description: "Twilio's form fields, exactly as posted (every field is part of the signature)",
});
const SignatureHeader = Type.Object({ 'x-twilio-signature': Type.Optional(Type.String({ maxLength: 200 })) });
const Twiml = Type.String({ description: 'TwiML (text/xml)' });

/**
 * POST /api/webhooks/twilio/sms and /status: Twilio's form posts, relayed with the signature to
 * messaging, which verifies X-Twilio-Signature before believing anything. Encapsulated, so the
 * form-body parser applies to these routes only.
 */
const routes: FastifyPluginAsyncTypebox<TwilioWebhookOptions> = async (app, { baseUrl, authToken }) => {
  await app.register(formbody);
  const publicUrl = (path: string): string => `${baseUrl.replace(/\/+$/, '')}${path}`;
  const js = jetstream(app.nats);

  /**
   * Messaging did not answer an inbound SMS (`unanswered`, a 503 or 504): check the signature here and
   * park the form for messaging. A forged one gets the 403 messaging would give; when parking is off or
   * JetStream cannot take it either, the original error stands.
   */
  async function park(form: TwilioForm, unanswered: AppError, log: FastifyBaseLogger): Promise<void> {
    if (authToken === '') throw unanswered;
    if (!(await signedByTwilio(authToken, form))) {
      throw new AppError(
        403,
        'INVALID_SIGNATURE',
        'The X-Twilio-Signature header does not match this request.',
      );
    }
    const sid = form.params['MessageSid'] ?? form.params['SmsSid'] ?? '';
    if (sid === '') throw unanswered;
    const envelope = { id: randomUUID(), occurredAt: new Date().toISOString(), data: form };
    try {
      await js.publish(messaging.InboundSmsParked.subject, JSON.stringify(envelope), {
        msgID: `twilio-inbound:${sid}`,
      });
    } catch (error) {
      log.error(
        { err: error, sid },
        'messaging did not answer and JetStream refused the inbound SMS; Twilio gets the 503',
      );
      throw unanswered;
    }
    log.warn(
      { sid, cause: unanswered.code },
      'messaging did not answer an inbound SMS; parked in JetStream for it, Twilio answered with empty TwiML',
    );
  }

  app.post(
    '/api/webhooks/twilio/sms',
    {
      // Twilio posts every locksmith's reply from a small pool of addresses and never retries an
      // inbound webhook: a tight per-address limit would drop YES replies in a busy minute. The
      // signature is what keeps strangers out; this limit only blunts a flood.
      config: { rateLimit: { max: 12_000, timeWindow: '1 minute' } },
      schema: {
        tags: ['webhooks'],
        summary: 'An SMS to the platform number (a locksmith replying); answers TwiML',
        headers: SignatureHeader,
        body: TwilioForm,
        response: {
          200: Twiml,
          400: ErrorBody,
          403: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
          504: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const form: TwilioForm = {
        url: publicUrl(request.url),
        receivedUrl: `${request.protocol}://${request.host}${request.url}`,
        signature: request.headers['x-twilio-signature'] ?? '',
        params: request.body,
      };
      let twiml = EMPTY_TWIML;
      try {
        ({ twiml } = await app.callService(messaging.TwilioInbound, form));
      } catch (error) {
        if (!(error instanceof AppError) || (error.status !== 503 && error.status !== 504)) throw error;
        await park(form, error, request.log);
      }
      return reply.type('text/xml; charset=utf-8').send(twiml);
    },
  );

  app.post(
    '/api/webhooks/twilio/status',
    {
      config: { rateLimit: { max: 6000, timeWindow: '1 minute' } },
      schema: {
        tags: ['webhooks'],
        summary: "Delivery status of an SMS the platform sent (Twilio's StatusCallback)",
        headers: SignatureHeader,
        body: TwilioForm,
        response: { 204: Type.Null(), 400: ErrorBody, 403: ErrorBody, 429: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      await app.callService(messaging.TwilioStatus, {
        url: publicUrl(request.url),
        receivedUrl: `${request.protocol}://${request.host}${request.url}`,
        signature: request.headers['x-twilio-signature'] ?? '',
        params: request.body,
      });
      return reply.status(204).send(null);
    },
  );
};

export default routes;
