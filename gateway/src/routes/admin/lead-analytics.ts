import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, pricing } from '@trades/contracts';

const Errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody };

/** GET /api/admin/lead-analytics (intake): the leads' funnel, sources, services and days over a period. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/lead-analytics',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Leads received → accepted → offered → sold → completed → credited, rejections, sources, services, days, time to sale and revenue (default: the last 30 days, days in UTC)',
        querystring: pricing.LeadAnalyticsGet.request,
        response: { 200: pricing.LeadAnalytics, ...Errors },
      },
    },
    async (request) => {
      const { from, to, timeZone } = request.query;
      return app.callService(pricing.LeadAnalyticsGet, {
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(timeZone !== undefined ? { timeZone } : {}),
      });
    },
  );
};

export default routes;
