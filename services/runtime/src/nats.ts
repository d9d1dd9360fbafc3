import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { CORRELATION_HEADER } from '@trades/contracts';
import { correlationId } from './context.ts';
import type { Logger } from './logger.ts';

export type { NatsConnection };

/** Connects with endless reconnects: a NATS restart is an outage to ride out, not a reason to exit. */
export async function connectNats(
  url: string,
  name: string,
  log: Pick<Logger, 'info' | 'warn'>,
): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(',').map((s) => s.trim()),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    pingInterval: 10_000,
    // Without this the client builds two Error objects (stack traces included) for every request, in
    // case it times out: ≈7 % of the gateway's CPU under load. A timeout still rejects with the
    // client's TimeoutError, which `call()` turns into SERVICE_TIMEOUT with the subject; only the
    // stack of the line that sent the request is lost.
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
        log.warn(
          { nats: status.type, server: 'server' in status ? status.server : undefined },
          'nats connection status',
        );
      }
    }
  })();
  log.info({ server: nc.getServer() }, 'connected to NATS');
  return nc;
}

/** Headers for an outgoing message, carrying the current correlation id. */
export function outgoingHeaders(extra: Record<string, string> = {}): MsgHdrs {
  const h = natsHeaders();
  const id = correlationId();
  if (id) h.set(CORRELATION_HEADER, id);
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return h;
}

export const encodeJson = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
