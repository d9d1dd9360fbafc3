import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** Operations on jobs: list, detail, assign, dispatch control, refund (dispatch, payments, messaging). */
const routes: FastifyPluginAsyncTypebox = async () => {
  // Routes are added by the feature that owns them.
};

export default routes;
