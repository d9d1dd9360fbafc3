import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Cursor, ErrorBody, intake, Limit, ServiceCode, Timestamp, Uuid } from '@trades/contracts';
import Type from 'typebox';

const Errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody };

const LeadDetail = Type.Object({
  ...intake.LeadView.properties,
  offers: Type.Array(
    Type.Object({
      plumberId: Uuid,
      wave: Type.Integer(),
      status: Type.String(),
      sentAt: Timestamp,
      respondedAt: Type.Optional(Timestamp),
    }),
    { description: "The lead's offers by wave (empty until dispatch sells leads)" },
  ),
});

/** GET /api/admin/leads and GET /api/admin/leads/{id} (intake's part of a lead). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/leads',
    {
      schema: {
        tags: ['admin'],
        summary: 'Leads, newest first, by status, service, urgency, ZIP, partner and period',
        querystring: Type.Object({
          status: Type.Optional(intake.LeadStatus),
          service: Type.Optional(ServiceCode),
          urgency: Type.Optional(intake.LeadUrgency),
          zip: Type.Optional(Type.String({ pattern: '^[0-9]{5}$' })),
          partnerId: Type.Optional(Uuid),
          from: Type.Optional(Timestamp),
          to: Type.Optional(Timestamp),
          cursor: Type.Optional(Cursor),
          limit: Type.Optional(Limit),
        }),
        response: { 200: intake.LeadList.reply, ...Errors },
      },
    },
    async (request) => {
      const { service, zip, ...rest } = request.query;
      const filter = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
      return app.callService(intake.LeadList, {
        ...filter,
        ...(service !== undefined ? { serviceNeeded: service } : {}),
        ...(zip !== undefined ? { zipCode: zip } : {}),
      });
    },
  );

  app.get(
    '/leads/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'One lead: homeowner, consent, price, source and timeline',
        params: Type.Object({ id: Uuid }),
        response: { 200: LeadDetail, 404: ErrorBody, ...Errors },
      },
    },
    async (request) => {
      const lead = await app.callService(intake.LeadGet, { id: request.params.id });
      return { ...lead, offers: [] };
    },
  );
};

export default routes;
