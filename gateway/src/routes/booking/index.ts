import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** Customer booking flow: /api/request/*, /api/track/* (intake, payments). */
const routes: FastifyPluginAsyncTypebox = async () => {
  // Routes are added by the feature that owns them.
};

export default routes;
