import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** GET /api/admin/dashboard and GET /api/admin/audit. */
const routes: FastifyPluginAsyncTypebox = async () => {
  // Routes are added by the feature that owns them.
};

export default routes;
