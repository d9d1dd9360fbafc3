import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** GET/POST /api/admin/locksmiths, PATCH /api/admin/locksmiths/{id} (locksmith-registry). */
const routes: FastifyPluginAsyncTypebox = async () => {
  // Routes are added by the feature that owns them.
};

export default routes;
