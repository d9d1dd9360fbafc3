import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** GET /api/admin/sessions and GET /api/admin/analytics/funnel (intake). */
const routes: FastifyPluginAsyncTypebox = async () => {
  // Routes are added by the feature that owns them.
};

export default routes;
