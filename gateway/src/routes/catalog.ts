import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, intake } from '@trades/contracts';
import Type from 'typebox';

const CatalogReply = Type.Object({ items: Type.Array(intake.CatalogItem) });

const catalogRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/services',
    {
      schema: {
        tags: ['booking'],
        summary: 'The services customers can book, with deposit and price range',
        response: { 200: CatalogReply, 503: ErrorBody },
      },
    },
    async () => app.callService(intake.CatalogList, {}),
  );
};

export default catalogRoutes;
