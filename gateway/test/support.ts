// Helpers for the gateway's tests: a configuration for this run, and the gateway built in-process on a
// NATS connection the test owns.
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { natsUrl } from '@trades/testkit';
import { loadGatewayConfig, type GatewayConfig } from '../src/config.ts';
import { buildServer } from '../src/server.ts';

export const CUSTOMER_UI = 'http://localhost:3000';
export const ADMIN_UI = 'http://localhost:3001';

export function testConfig(extra: Record<string, string> = {}): GatewayConfig {
  return loadGatewayConfig({
    APP_ENV: 'test',
    LOG_LEVEL: 'fatal',
    NATS_URL: natsUrl(),
    FRONTEND_URL: CUSTOMER_UI,
    ADMIN_URL: ADMIN_UI,
    NATS_REQUEST_TIMEOUT_MS: '2000',
    ...extra,
  });
}

export type Gateway = ReturnType<typeof buildServer>;

export function gateway(nc: NatsConnection, extra: Record<string, string> = {}): Gateway {
  return buildServer(testConfig(extra), { natsConnection: nc });
}

/** Gateway replicas as production runs them: each its own process-like instance and NATS connection. */
export async function replicas(
  count: number,
  extra: Record<string, string> = {},
): Promise<{ gateways: Gateway[]; close: () => Promise<void> }> {
  const connections = await Promise.all(Array.from({ length: count }, () => connect({ servers: natsUrl() })));
  const gateways = connections.map((nc) => gateway(nc, extra));
  await Promise.all(gateways.map((g) => g.ready()));
  return {
    gateways,
    close: async () => {
      await Promise.all(gateways.map((g) => g.close()));
      await Promise.all(connections.map((nc) => nc.close()));
    },
  };
}
