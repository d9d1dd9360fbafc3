import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Cursor, ErrorBody, Limit, messaging, Page, Uuid } from '@trades/contracts';
import Type from 'typebox';

const ListQuery = Type.Object({
  channel: Type.Optional(messaging.MessageChannel),
  phone: Type.Optional(Type.String({ maxLength: 40, description: 'A number in E.164, or its last digits' })),
  email: Type.Optional(Type.String({ maxLength: 254, description: 'An email address, sender or recipient' })),
  direction: Type.Optional(messaging.MessageDirection),
  status: Type.Optional(messaging.MessageStatus),
  jobId: Type.Optional(Uuid),
  leadId: Type.Optional(Uuid),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});

/** GET /api/admin/messages: the message log, SMS and email (messaging). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/messages',
    {
      schema: {
        tags: ['admin'],
        summary: 'Every SMS in and out and every email sent, newest first, with delivery status',
        querystring: ListQuery,
        response: { 200: Page(messaging.Message), 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => app.callService(messaging.MessageList, request.query),
  );
};

export default routes;
