import { Svcm } from '@nats-io/services';
import type { EndpointContract, ReplyOf, RequestOf } from '@trades/contracts';
import { call, connectNats, type NatsConnection } from '@trades/runtime/client';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    nats: NatsConnection;
    /** False from a disconnect until the client has reconnected (the connection object stays open meanwhile). */
    natsConnected(): boolean;
    /** Calls a service endpoint over NATS with the request's correlation id. */
    callService<E extends EndpointContract>(contract: E, request: RequestOf<E>): Promise<ReplyOf<E>>;
    /** Pings every service through `$SRV.PING`: which instances answer, by service name. */
    discoverServices(maxWaitMs?: number): Promise<Map<string, { id: string; version: string }[]>>;
  }
}

export interface NatsPluginOptions {
  url: string;
  timeoutMs: number;
  connection?: NatsConnection;
}

async function natsPlugin(app: FastifyInstance, options: NatsPluginOptions): Promise<void> {
  const nc = options.connection ?? (await connectNats(options.url, 'gateway', app.log));
  app.decorate('nats', nc);
  let connected = !nc.isClosed();
  // Ends when the connection closes.
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') connected = false;
      else if (status.type === 'reconnect') connected = true;
    }
  })();
  app.decorate('natsConnected', () => connected && !nc.isClosed());
  app.decorate('callService', <E extends EndpointContract>(contract: E, request: RequestOf<E>) =>
    call(nc, contract, request, { timeoutMs: options.timeoutMs }),
  );
  app.decorate('discoverServices', async (maxWaitMs = 500) => {
    const found = new Map<string, { id: string; version: string }[]>();
    const replies = await new Svcm(nc).client({ maxWait: maxWaitMs, strategy: 'timer' }).ping();
    for await (const identity of replies) {
      const list = found.get(identity.name) ?? [];
      list.push({ id: identity.id, version: identity.version });
      found.set(identity.name, list);
    }
    return found;
  });
  app.addHook('onClose', async () => {
    if (!options.connection) await nc.drain().catch(() => undefined);
  });
}

export default fp(natsPlugin, { name: 'nats' });
