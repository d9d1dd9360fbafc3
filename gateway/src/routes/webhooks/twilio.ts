import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** POST /api/webhooks/twilio/sms and /status: form body, X-Twilio-Signature verified by messaging. */
const routes: FastifyPluginAsyncTypebox = async () => {
  // Routes are added by the feature that owns them.
};

export default routes;
