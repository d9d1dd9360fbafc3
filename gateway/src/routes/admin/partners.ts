import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Cursor, ErrorBody, intake, Limit, Uuid } from '@trades/contracts';
import Type from 'typebox';

const Errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody };
const IdParams = Type.Object({ id: Uuid });

/** GET/POST /api/admin/partners, GET /api/admin/partners/{id}, partner API keys (intake). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/partners',
    {
      schema: {
        tags: ['admin'],
        summary: 'Lead partners, newest first, with their API keys (prefixes only)',
        querystring: Type.Object({ cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) }),
        response: { 200: intake.PartnerList.reply, ...Errors },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      return app.callService(intake.PartnerList, {
        ...(cursor !== undefined ? { cursor } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
    },
  );

  app.post(
    '/partners',
    {
      schema: {
        tags: ['admin'],
        summary: 'Add a lead partner (then give it an API key)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 120 }),
            email: Type.Optional(Type.String({ maxLength: 254 })),
            rateLimitPerMinute: Type.Optional(
              Type.Integer({ minimum: 1, maximum: 100_000, description: 'Leads per minute (default 120)' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: intake.Partner, ...Errors },
      },
    },
    async (request, reply) => {
      const { name, email, rateLimitPerMinute } = request.body;
      const partner = await app.callService(intake.PartnerCreate, {
        name,
        ...(email !== undefined ? { email } : {}),
        ...(rateLimitPerMinute !== undefined ? { rateLimitPerMinute } : {}),
      });
      return reply.status(201).send(partner);
    },
  );

  app.get(
    '/partners/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'One partner with its API keys',
        params: IdParams,
        response: { 200: intake.Partner, 404: ErrorBody, ...Errors },
      },
    },
    async (request) => app.callService(intake.PartnerGet, { id: request.params.id }),
  );

  app.post(
    '/partners/:id/keys',
    {
      schema: {
        tags: ['admin'],
        summary: 'A new API key for the partner: the key is in this answer only (only its hash is kept)',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
            test: Type.Optional(
              Type.Boolean({ description: 'A test key: leads are validated and answered, never offered' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: intake.PartnerKeyCreate.reply, 404: ErrorBody, ...Errors },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      const created = await app.callService(intake.PartnerKeyCreate, {
        partnerId: request.params.id,
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.test !== undefined ? { test: body.test } : {}),
      });
      return reply.header('cache-control', 'no-store').status(201).send(created);
    },
  );

  app.delete(
    '/partners/:id/keys/:keyId',
    {
      schema: {
        tags: ['admin'],
        summary: 'Revoke an API key at once',
        params: Type.Object({ id: Uuid, keyId: Uuid }),
        response: { 204: Type.Null(), 404: ErrorBody, ...Errors },
      },
    },
    async (request, reply) => {
      await app.callService(intake.PartnerKeyRevoke, {
        partnerId: request.params.id,
        keyId: request.params.keyId,
      });
      return reply.status(204).send(null);
    },
  );
};

export default routes;
