import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Cursor, ErrorBody, Limit, Page, registry, ServiceCode, Uuid } from '@trades/contracts';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';

const Locksmith = registry.Provider;
const Services = Type.Array(ServiceCode, { minItems: 1, maxItems: 30 });
const Radius = Type.Number({ exclusiveMinimum: 0, maximum: 200 });

const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 120 }),
    phone: Type.String({ minLength: 4, maxLength: 40, description: 'Mobile number; stored in E.164' }),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    services: Services,
    address: Type.String({ minLength: 3, maxLength: 300, description: 'Base address; geocoded' }),
    radiusKm: Type.Optional(Radius),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
    email: Type.Optional(Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()])),
    services: Type.Optional(Services),
    address: Type.Optional(Type.String({ minLength: 3, maxLength: 300 })),
    radiusKm: Type.Optional(Radius),
    status: Type.Optional(registry.ProviderStatus),
    available: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

const IdParams = Type.Object({ id: Uuid });

const ListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 120, description: 'Part of a name, phone number or email' })),
  status: Type.Optional(registry.ProviderStatus),
  available: Type.Optional(Type.Boolean()),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});

/** Who made an admin change: the operator the auth plugin identified ('admin' if none did). */
const actorOf = (request: FastifyRequest): string => request.operator?.email ?? 'admin';

/** GET/POST /api/admin/locksmiths, GET/PATCH /api/admin/locksmiths/{id} (locksmith-registry). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/locksmiths',
    {
      schema: {
        tags: ['admin'],
        summary: 'Locksmiths, newest first, by text, status and availability',
        querystring: ListQuery,
        response: { 200: Page(Locksmith), 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => app.callService(registry.ProviderList, { ...request.query, trade: 'locksmith' }),
  );

  app.get(
    '/locksmiths/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'One locksmith with live stats',
        params: IdParams,
        response: { 200: Locksmith, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => app.callService(registry.ProviderGet, { id: request.params.id }),
  );

  app.post(
    '/locksmiths',
    {
      schema: {
        tags: ['admin'],
        summary: 'Register a locksmith (address geocoded, phone unique)',
        body: CreateBody,
        response: {
          201: Locksmith,
          400: ErrorBody,
          401: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const locksmith = await app.callService(registry.ProviderCreate, {
        ...request.body,
        trade: 'locksmith',
        actor: actorOf(request),
      });
      return reply.status(201).send(locksmith);
    },
  );

  app.patch(
    '/locksmiths/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change a locksmith: contact, services, base, radius, status or availability',
        params: IdParams,
        body: UpdateBody,
        response: {
          200: Locksmith,
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
          422: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) =>
      app.callService(registry.ProviderUpdate, {
        ...request.body,
        id: request.params.id,
        actor: actorOf(request),
      }),
  );
};

export default routes;
