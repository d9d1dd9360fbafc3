import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** POST /api/webhooks/stripe: raw body, signature verified by payments. */
const routes: FastifyPluginAsyncTypebox = async () => {
  // Routes are added by the feature that owns them.
};

export default routes;
