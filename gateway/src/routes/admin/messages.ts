import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Cursor, ErrorBody, Limit, messaging, Page, Uuid } from '@trades/contracts';
import Type from 'typebox';

const ListQuery = Type.Object({
  phone: Type.Optional(Type.String({ maxLength: 40, description: 'A number in E.164, or its last digits' })),
  direction: Type.Optional(messaging.MessageDirection),
  status: Type.Optional(messaging.MessageStatus),
  jobId: Type.Optional(Uuid),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});

/** GET /api/admin/messages: the SMS log (messaging). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/messages',
    {
      schema: {
        tags: ['admin'],
        summary: 'Every SMS in and out, newest first, with delivery status',
        querystring: ListQuery,
        response: { 200: Page(messaging.Message), 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => app.callService(messaging.MessageList, request.query),
  );
};

export default routes;
