import { DEPLOYABLE_OF, SERVICE_NAMES } from '@trades/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';

const ServiceHealth = Type.Object({
  name: Type.String(),
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  instances: Type.Integer({ minimum: 0 }),
  version: Type.Union([Type.String(), Type.Null()]),
});

const HealthReply = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  nats: Type.Union([Type.Literal('connected'), Type.Literal('disconnected')]),
  services: Type.Array(ServiceHealth),
});

/** Each service as seen through NATS discovery (`$SRV.PING`): up when at least one instance answers. */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['health'],
        summary: 'Every service as seen through NATS discovery',
        response: { 200: HealthReply, 503: HealthReply },
      },
    },
    async (_request, reply) => {
      const connected = app.natsConnected();
      const found = connected ? await app.discoverServices(300).catch(() => new Map()) : new Map();
      const services = SERVICE_NAMES.map((s) => DEPLOYABLE_OF[s]).map((name) => {
        const instances: { version: string }[] = found.get(name) ?? [];
        return {
          name,
          status: instances.length > 0 ? ('up' as const) : ('down' as const),
          instances: instances.length,
          version: instances[0]?.version ?? null,
        };
      });
      const ok = connected && services.every((s) => s.status === 'up');
      return reply
        .status(ok ? 200 : 503)
        .send({ status: ok ? 'ok' : 'degraded', nats: connected ? 'connected' : 'disconnected', services });
    },
  );

  app.get(
    '/livez',
    { schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
};

export default healthRoutes;
