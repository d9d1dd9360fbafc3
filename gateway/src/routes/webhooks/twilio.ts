import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { jetstream } from '@nats-io/jetstream';
import { AppError, ErrorBody, messaging, type EventData } from '@trades/contracts';
import { outgoingHeaders } from '@trades/runtime/client';
import type { FastifyBaseLogger } from 'fastify';
import Type from 'typebox';

export interface TwilioWebhookOptions {
  /** The public URL Twilio calls (BASE_URL): it signs that URL, not the one the gateway sees. */
  baseUrl: string;
  /**
   * Twilio's auth token, when the gateway has it: a webhook (an inbound SMS, a status callback) that
   * messaging does not answer is then checked here and parked in JetStream for messaging instead of
   * answered 503 (and lost: Twilio retries neither). Empty: the 503 stands.
   */
  authToken: string;
  /**
   * Requests per minute from one address, for each route. Only a flood's brake: the signature keeps
   * strangers out, and Twilio posts every locksmith's reply and every status callback (up to three per
   * SMS) from a few addresses and retries none of them, so a 429 loses what it refuses.
   */
  perMinute: number;
}

/** What Twilio gets back for an SMS the gateway parked: nothing to say yet (messaging replies by SMS). */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

type TwilioForm = EventData<typeof messaging.ParkedInboundSms>;

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
 * messaging, which verifies X-Twilio-Signature before believing anything; parked for it in JetStream
 * when it does not answer. Encapsulated, so the form-body parser applies to these routes only.
 */
const routes: FastifyPluginAsyncTypebox<TwilioWebhookOptions> = async (
  app,
  { baseUrl, authToken, perMinute },
) => {
  await app.register(formbody);
  const publicUrl = (path: string): string => `${baseUrl.replace(/\/+$/, '')}${path}`;
  const js = jetstream(app.nats);

  const formOf = (request: {
    url: string;
    protocol: string;
    host: string;
    headers: Record<string, unknown>;
    body: Record<string, string>;
  }): TwilioForm => ({
    url: publicUrl(request.url),
    receivedUrl: `${request.protocol}://${request.host}${request.url}`,
    signature:
      typeof request.headers['x-twilio-signature'] === 'string' ? request.headers['x-twilio-signature'] : '',
    params: request.body,
  });

  /**
   * Relays a webhook to messaging; when messaging does not answer (a 503 or 504), checks the signature
   * here and parks the form in JetStream for messaging instead, and returns undefined. A forged one gets the
   * 403 messaging would give; when parking is off or JetStream cannot take it either, the original error
   * stands. The `Nats-Msg-Id` lets JetStream drop Twilio posting the same webhook twice.
   */
  async function relayOrPark<T>(
    relay: (form: TwilioForm) => Promise<T>,
    parked: typeof messaging.ParkedInboundSms | typeof messaging.ParkedStatusCallback,
    form: TwilioForm,
    log: FastifyBaseLogger,
  ): Promise<T | undefined> {
    try {
      return await relay(form);
    } catch (error) {
      if (!(error instanceof AppError) || (error.status !== 503 && error.status !== 504)) throw error;
      if (authToken === '') throw error;
      if (!(await signedByTwilio(authToken, form))) {
        throw new AppError(
          403,
          'INVALID_SIGNATURE',
          'The X-Twilio-Signature header does not match this request.',
        );
      }
      const sid = form.params['MessageSid'] ?? form.params['SmsSid'] ?? '';
      if (sid === '') throw error;
      const status = form.params['MessageStatus'] ?? form.params['SmsStatus'] ?? '';
      const msgID =
        parked === messaging.ParkedInboundSms ? `twilio-sms:${sid}` : `twilio-status:${sid}:${status}`;
      const envelope = { id: randomUUID(), occurredAt: new Date().toISOString(), data: form };
      try {
        // With the request's correlation id, so messaging's log lines for it carry the gateway's.
        await js.publish(parked.subject, JSON.stringify(envelope), { msgID, headers: outgoingHeaders() });
      } catch (publishError) {
        log.error(
          { err: publishError, sid },
          'messaging did not answer and JetStream refused the webhook too; Twilio gets the error',
        );
        throw error;
      }
      log.warn(
        { sid, cause: error.code, subject: parked.subject },
        'messaging did not answer a Twilio webhook; parked in JetStream for it',
      );
      return undefined;
    }
  }

  app.post(
    '/api/webhooks/twilio/sms',
    {
      config: { rateLimit: { max: perMinute, timeWindow: '1 minute' }, rateLimitCounting: 'replica' },
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
      const answer = await relayOrPark(
        (form) => app.callService(messaging.TwilioInbound, form),
        messaging.ParkedInboundSms,
        formOf(request),
        request.log,
      );
      return reply.type('text/xml; charset=utf-8').send(answer?.twiml ?? EMPTY_TWIML);
    },
  );

  app.post(
    '/api/webhooks/twilio/status',
    {
      config: { rateLimit: { max: perMinute, timeWindow: '1 minute' }, rateLimitCounting: 'replica' },
      schema: {
        tags: ['webhooks'],
        summary: "Delivery status of an SMS the platform sent (Twilio's StatusCallback)",
        headers: SignatureHeader,
        body: TwilioForm,
        response: {
          204: Type.Null(),
          400: ErrorBody,
          403: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
          504: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      await relayOrPark(
        (form) => app.callService(messaging.TwilioStatus, form),
        messaging.ParkedStatusCallback,
        formOf(request),
        request.log,
      );
      return reply.status(204).send(null);
    },
  );
};

export default routes;
