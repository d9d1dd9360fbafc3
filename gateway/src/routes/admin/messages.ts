import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** GET /api/admin/messages: the SMS log (messaging). */
const routes: FastifyPluginAsyncTypebox = async () => {
  // Routes are added by the feature that owns them.
};

export default routes;
