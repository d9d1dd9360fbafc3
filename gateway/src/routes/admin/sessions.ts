import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Cursor, ErrorBody, Limit, Timestamp, intake } from '@trades/contracts';
import Type from 'typebox';

const Errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody };

/** GET /api/admin/sessions and GET /api/admin/analytics/funnel (intake). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/sessions',
    {
      schema: {
        tags: ['admin'],
        summary: 'Booking sessions, newest first, with the step each is on and the furthest it reached',
        querystring: Type.Object({
          step: Type.Optional(intake.FunnelStep),
          cursor: Type.Optional(Cursor),
          limit: Type.Optional(Limit),
        }),
        response: { 200: intake.SessionList.reply, ...Errors },
      },
    },
    async (request) => {
      const { step, cursor, limit } = request.query;
      return app.callService(intake.SessionList, {
        ...(step !== undefined ? { step } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
    },
  );

  app.get(
    '/analytics/funnel',
    {
      schema: {
        tags: ['admin'],
        summary:
          'How many sessions started in a period reached each booking step (default: the last 30 days)',
        querystring: Type.Object({ from: Type.Optional(Timestamp), to: Type.Optional(Timestamp) }),
        response: { 200: intake.FunnelSummary.reply, ...Errors },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      return app.callService(intake.FunnelSummary, {
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      });
    },
  );
};

export default routes;
