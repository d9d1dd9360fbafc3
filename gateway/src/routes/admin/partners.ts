import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Cursor, ErrorBody, intake, Limit, partners, Timestamp, Uuid } from '@trades/contracts';
import Type from 'typebox';
import { operatorOf } from '../../plugins/admin-auth.ts';
import { strictValidator } from '../booking/strict-validation.ts';

const Errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody };
const IdParams = Type.Object({ id: Uuid });

const { id: _id, actor: _actor, ...updatable } = partners.PartnerUpdate.request.properties;
/** PATCH body: the contract's fields but the partner id (the path) and the actor (the operator). */
const UpdateBody = Type.Object(updatable, { additionalProperties: false, minProperties: 1 });

const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 120 }),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    contactName: Type.Optional(Type.String({ maxLength: 120 })),
    phone: Type.Optional(Type.String({ maxLength: 40 })),
    rateLimitPerMinute: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100_000, description: 'Leads per minute (default 120)' }),
    ),
    payoutCentsPerLead: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Paid to the partner per accepted lead' }),
    ),
    webhookUrl: Type.Optional(
      Type.String({ maxLength: 2000, description: 'http(s) URL every outcome of its leads is POSTed to' }),
    ),
  },
  { additionalProperties: false },
);

/** Who made an admin change: the operator the auth plugin identified ('admin' if none did). */
/**
 * GET/POST /api/admin/partners, GET/PATCH /api/admin/partners/{id}, partner API keys, webhook secret,
 * deliveries and stats (intake).
 */
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
      validatorCompiler: strictValidator,
      schema: {
        tags: ['admin'],
        summary: 'Add a lead partner (then give it an API key)',
        body: CreateBody,
        response: { 201: intake.Partner, ...Errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const partner = await app.callService(intake.PartnerCreate, {
        name: body.name,
        ...(body.email !== undefined ? { email: body.email } : {}),
        ...(body.contactName !== undefined ? { contactName: body.contactName } : {}),
        ...(body.phone !== undefined ? { phone: body.phone } : {}),
        ...(body.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: body.rateLimitPerMinute } : {}),
        ...(body.payoutCentsPerLead !== undefined ? { payoutCentsPerLead: body.payoutCentsPerLead } : {}),
        ...(body.webhookUrl !== undefined ? { webhookUrl: body.webhookUrl } : {}),
        actor: operatorOf(request).email,
      });
      return reply.status(201).send(partner);
    },
  );

  app.patch(
    '/partners/:id',
    {
      // Exact types: null clears a field here, and the gateway's coercion would make it 0 or "".
      validatorCompiler: strictValidator,
      schema: {
        tags: ['admin'],
        summary:
          'Change a partner: name, contact, status (suspended: its keys stop working at once), rate limit, payout per accepted lead, webhook URL (null removes it)',
        params: IdParams,
        body: UpdateBody,
        response: { 200: intake.Partner, 404: ErrorBody, ...Errors },
      },
    },
    async (request) =>
      app.callService(partners.PartnerUpdate, {
        ...request.body,
        id: request.params.id,
        actor: operatorOf(request).email,
      }),
  );

  app.post(
    '/partners/:id/webhook-secret',
    {
      schema: {
        tags: ['admin'],
        summary:
          'A new webhook signing secret (whsec_…): in this answer only; the old one stops signing at once',
        params: IdParams,
        response: { 201: partners.PartnerWebhookSecretRotate.reply, 404: ErrorBody, ...Errors },
      },
    },
    async (request, reply) => {
      const created = await app.callService(partners.PartnerWebhookSecretRotate, {
        id: request.params.id,
        actor: operatorOf(request).email,
      });
      return reply.header('cache-control', 'no-store').status(201).send(created);
    },
  );

  app.get(
    '/partners/:id/stats',
    {
      schema: {
        tags: ['admin'],
        summary:
          "A partner's stats over the leads it posted in [from, to) (default all time): posted, accepted, rejected by reason, sold, unsold, credited, revenue, payout",
        params: IdParams,
        querystring: Type.Object({ from: Type.Optional(Timestamp), to: Type.Optional(Timestamp) }),
        response: { 200: partners.PartnerStats, 404: ErrorBody, ...Errors },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      return app.callService(partners.PartnerStatsGet, {
        id: request.params.id,
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      });
    },
  );

  app.get(
    '/partners/:id/deliveries',
    {
      schema: {
        tags: ['admin'],
        summary: "A partner's webhook deliveries, newest first, optionally one status",
        params: IdParams,
        querystring: Type.Object({
          status: Type.Optional(partners.WebhookDeliveryStatus),
          cursor: Type.Optional(Cursor),
          limit: Type.Optional(Limit),
        }),
        response: { 200: partners.PartnerDeliveries.reply, 404: ErrorBody, ...Errors },
      },
    },
    async (request) => {
      const { status, cursor, limit } = request.query;
      return app.callService(partners.PartnerDeliveries, {
        partnerId: request.params.id,
        ...(status !== undefined ? { status } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
    },
  );

  app.post(
    '/partners/:id/deliveries/:deliveryId/retry',
    {
      schema: {
        tags: ['admin'],
        summary: 'Send a webhook delivery again now (after the partner fixed their endpoint)',
        params: Type.Object({ id: Uuid, deliveryId: Uuid }),
        response: { 200: partners.WebhookDelivery, 404: ErrorBody, ...Errors },
      },
    },
    async (request) =>
      app.callService(partners.PartnerDeliveryRetry, {
        partnerId: request.params.id,
        deliveryId: request.params.deliveryId,
        actor: operatorOf(request).email,
      }),
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
