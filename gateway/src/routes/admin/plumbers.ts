import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  Cursor,
  ErrorBody,
  leads,
  Limit,
  Page,
  payments,
  registry,
  ServiceCode,
  Uuid,
} from '@trades/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';

const Plumber = Type.Object({
  ...registry.Plumber.properties,
  leadStats: Type.Union([leads.PlumberLeadStats, Type.Null()], {
    description:
      "Dispatch's numbers for them: last 30 days' offers, purchases, credits, rates, and usage against their caps now (null when dispatch does not answer)",
  }),
});
type Plumber = Static<typeof Plumber>;

/**
 * Dispatch's lead statistics of these plumbers (with their caps and time zones), by plumber id, in one
 * call; null when dispatch does not answer (the page shows the registry's part alone).
 */
export async function leadStatsOf(
  app: FastifyInstance,
  plumbers: readonly ({ plumberId: string } & registry.PlumberCaps)[],
): Promise<Map<string, leads.PlumberLeadStats> | null> {
  if (plumbers.length === 0) return new Map();
  return app
    .callService(leads.PlumberLeadStatsGet, {
      plumbers: plumbers.map((p) => ({
        plumberId: p.plumberId,
        dailyCap: p.dailyCap,
        weeklyCap: p.weeklyCap,
        monthlyCap: p.monthlyCap,
        monthlySpendCapCents: p.monthlySpendCapCents,
        timeZone: p.timeZone,
      })),
    })
    .then(
      (reply) => new Map(reply.items.map((s) => [s.plumberId, s])),
      (error: unknown) => {
        if (error instanceof AppError && error.status >= 500) return null;
        throw error;
      },
    );
}

async function withLeadStats(app: FastifyInstance, plumbers: registry.Plumber[]): Promise<Plumber[]> {
  const stats = await leadStatsOf(
    app,
    plumbers.map((p) => ({ ...p, plumberId: p.id })),
  );
  return plumbers.map((p) => ({ ...p, leadStats: stats?.get(p.id) ?? null }));
}
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
// The registry's own limits and wording for the other caps and the time zone.
const { weeklyCap, monthlyCap, monthlySpendCapCents, timeZone } = registry.PlumberCreate.request.properties;
const Caps = { dailyCap: Type.Optional(DailyCap), weeklyCap, monthlyCap, monthlySpendCapCents, timeZone };

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
    ...Caps,
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
    ...Caps,
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
        summary:
          'Plumbers, newest first, by text or ZIP, status, availability and card status, each with its lead statistics',
        querystring: ListQuery,
        response: { 200: Page(Plumber), 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const page = await app.callService(registry.PlumberList, request.query);
      return { ...page, items: await withLeadStats(app, page.items) };
    },
  );

  app.get(
    '/plumbers/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'One plumber with coverage, caps, card status and lead statistics',
        params: IdParams,
        response: { 200: Plumber, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const [plumber] = await withLeadStats(app, [
        await app.callService(registry.PlumberGet, { id: request.params.id }),
      ]);
      return plumber;
    },
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
          201: registry.Plumber,
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
          'Change a plumber: names, contact, base ZIP, services, coverage, radius, caps and time zone, status or availability',
        params: IdParams,
        body: UpdateBody,
        response: {
          200: registry.Plumber,
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
