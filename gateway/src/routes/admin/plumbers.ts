import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Cursor, ErrorBody, Limit, Page, payments, registry, ServiceCode, Uuid } from '@trades/contracts';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';

const Plumber = registry.Plumber;
const Name = Type.String({ minLength: 1, maxLength: 60 });
const Email = Type.String({ format: 'email', maxLength: 254 });
const Phone = Type.String({ minLength: 4, maxLength: 40, description: 'Mobile number; stored in E.164' });
const Services = Type.Array(ServiceCode, {
  minItems: 1,
  maxItems: 30,
  description: 'Plumbing catalogue codes (GET /api/leads/services)',
});
const CoverageZips = Type.Array(registry.ZipCode, {
  maxItems: 500,
  description: 'ZIP codes they buy leads in; empty or left out: every ZIP within radiusKm of their base ZIP',
});
const Radius = Type.Number({ exclusiveMinimum: 0, maximum: 200, description: 'Kilometres (default 15)' });
const DailyCap = Type.Integer({ minimum: 0, maximum: 1000, description: 'Most leads a day; 0 = no cap' });

const CreateBody = Type.Object(
  {
    firstName: Name,
    lastName: Name,
    email: Email,
    phone: Phone,
    zipCode: registry.ZipCode,
    services: Services,
    coverageZips: Type.Optional(CoverageZips),
    radiusKm: Type.Optional(Radius),
    dailyCap: Type.Optional(DailyCap),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    firstName: Type.Optional(Name),
    lastName: Type.Optional(Name),
    email: Type.Optional(Email),
    phone: Type.Optional(Phone),
    zipCode: Type.Optional(registry.ZipCode),
    services: Type.Optional(Services),
    coverageZips: Type.Optional(CoverageZips),
    radiusKm: Type.Optional(Radius),
    dailyCap: Type.Optional(DailyCap),
    status: Type.Optional(registry.ProviderStatus),
    available: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

const IdParams = Type.Object({ id: Uuid });

const ListQuery = Type.Object({
  q: Type.Optional(
    Type.String({ maxLength: 120, description: 'Part of a name, phone number or email, or a ZIP code' }),
  ),
  status: Type.Optional(registry.ProviderStatus),
  available: Type.Optional(Type.Boolean()),
  cardStatus: Type.Optional(payments.CardStatus),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});

/** Who made an admin change: the operator the auth plugin identified ('admin' if none did). */
const actorOf = (request: FastifyRequest): string => request.operator?.email ?? 'admin';

/**
 * GET/POST /api/admin/plumbers, GET/PATCH /api/admin/plumbers/{id} (locksmith-registry), and
 * POST /api/admin/plumbers/{id}/card-link (payments).
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/plumbers',
    {
      schema: {
        tags: ['admin'],
        summary: 'Plumbers, newest first, by text or ZIP, status, availability and card status',
        querystring: ListQuery,
        response: { 200: Page(Plumber), 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => app.callService(registry.PlumberList, request.query),
  );

  app.get(
    '/plumbers/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'One plumber with coverage and card status',
        params: IdParams,
        response: { 200: Plumber, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => app.callService(registry.PlumberGet, { id: request.params.id }),
  );

  app.post(
    '/plumbers',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Register a plumber (phone and email unique, ZIP codes that exist, plumbing services; located at the base ZIP)',
        body: CreateBody,
        response: {
          201: Plumber,
          400: ErrorBody,
          401: ErrorBody,
          409: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const plumber = await app.callService(registry.PlumberCreate, {
        ...request.body,
        actor: actorOf(request),
      });
      return reply.status(201).send(plumber);
    },
  );

  app.patch(
    '/plumbers/:id',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Change a plumber: names, contact, base ZIP, services, coverage, radius, daily cap, status or availability',
        params: IdParams,
        body: UpdateBody,
        response: {
          200: Plumber,
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) =>
      app.callService(registry.PlumberUpdate, {
        ...request.body,
        id: request.params.id,
        actor: actorOf(request),
      }),
  );

  app.post(
    '/plumbers/:id/card-link',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Send the plumber a new single-use link (7 days) to save their card, by SMS and email; older unused links stop working',
        params: IdParams,
        response: {
          200: payments.ProviderCardLink.reply,
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => {
      const plumber = await app.callService(registry.PlumberGet, { id: request.params.id });
      return app.callService(payments.ProviderCardLink, {
        providerId: plumber.id,
        firstName: plumber.firstName,
        email: plumber.email,
        phone: plumber.phone,
      });
    },
  );
};

export default routes;
