import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, messaging } from '@trades/contracts';
import Type from 'typebox';

export interface TwilioWebhookOptions {
  /** The public URL Twilio calls (BASE_URL): it signs that URL, not the one the gateway sees. */
  baseUrl: string;
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
const routes: FastifyPluginAsyncTypebox<TwilioWebhookOptions> = async (app, { baseUrl }) => {
  await app.register(formbody);
  const publicUrl = (path: string): string => `${baseUrl.replace(/\/+$/, '')}${path}`;

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
        response: { 200: Twiml, 400: ErrorBody, 403: ErrorBody, 429: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { twiml } = await app.callService(messaging.TwilioInbound, {
        url: publicUrl(request.url),
        receivedUrl: `${request.protocol}://${request.host}${request.url}`,
        signature: request.headers['x-twilio-signature'] ?? '',
        params: request.body,
      });
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
