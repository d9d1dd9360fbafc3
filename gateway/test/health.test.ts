import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { dispatchService } from '@trades/dispatch';
import { intakeService } from '@trades/intake';
import { registryService } from '@trades/locksmith-registry';
import { messagingService } from '@trades/messaging';
import { paymentsService } from '@trades/payments';
import { startService, type ServiceDefinition } from '@trades/runtime';
import {
  migrateService,
  natsUrl,
  resetJetStream,
  serviceEnv,
  spawnNode,
  waitFor,
  type ChildService,
} from '@trades/testkit';
import type { TProperties } from 'typebox';
import { gateway, type Gateway } from './support.ts';

jest.setTimeout(120_000);

const DEPLOYABLES = ['intake', 'dispatch', 'messaging', 'payments', 'locksmith-registry'];
const REGISTRY_MAIN = 'services/locksmith-registry/src/main.ts';

interface HealthBody {
  status: string;
  nats: string;
  services: { name: string; status: string; instances: number; version: string | null }[];
}

let nc: NatsConnection;
let app: Gateway;
const stops: (() => Promise<void>)[] = [];
let registry: ChildService | undefined;

/** locksmith-registry runs as its own process, so the test can kill it outright. */
async function startRegistry(): Promise<ChildService> {
  const child = spawnNode(REGISTRY_MAIN, serviceEnv({ LOG_LEVEL: 'info' }));
  await child.waitForOutput(/registry is up/);
  return child;
}

async function health(): Promise<{ status: number; body: HealthBody }> {
  const response = await app.inject({ method: 'GET', url: '/health' });
  return { status: response.statusCode, body: response.json<HealthBody>() };
}

const statusOf = (body: HealthBody, name: string): string | undefined =>
  body.services.find((s) => s.name === name)?.status;

async function startInProcess<P extends TProperties>(definition: ServiceDefinition<P>): Promise<void> {
  await migrateService(definition);
  const running = await startService(definition, serviceEnv({ LOG_LEVEL: 'fatal' }));
  stops.push(() => running.stop());
}

beforeAll(async () => {
  await resetJetStream();
  await migrateService(registryService);
  await startInProcess(intakeService);
  await startInProcess(dispatchService);
  await startInProcess(messagingService);
  await startInProcess(paymentsService);
  registry = await startRegistry();
  nc = await connect({ servers: natsUrl() });
  app = gateway(nc);
  await app.ready();
});

afterAll(async () => {
  if (registry) {
    registry.kill('SIGTERM');
    await registry.exited;
  }
  await app?.close();
  await Promise.all(stops.map((stop) => stop()));
  await nc?.close();
});

describe('GET /health', () => {
  it('lists all five deployables as up when they run', async () => {
    const { status, body } = await waitFor(
      async () => {
        const result = await health();
        return result.status === 200 ? result : undefined;
      },
      { what: 'every service to answer discovery' },
    );
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.nats).toBe('connected');
    expect(body.services.map((s) => s.name).sort()).toEqual([...DEPLOYABLES].sort());
    for (const service of body.services) {
      expect(service).toMatchObject({ status: 'up', instances: 1, version: expect.any(String) });
    }
  });

  it('reports a killed service as down, and up again once it is restarted', async () => {
    registry?.kill('SIGKILL');
    await registry?.exited;
    registry = undefined;

    const down = await waitFor(
      async () => {
        const result = await health();
        return statusOf(result.body, 'locksmith-registry') === 'down' ? result : undefined;
      },
      { what: 'locksmith-registry to be reported down' },
    );
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('degraded');
    expect(down.body.services.find((s) => s.name === 'locksmith-registry')).toMatchObject({
      instances: 0,
      version: null,
    });
    for (const name of DEPLOYABLES.filter((n) => n !== 'locksmith-registry')) {
      expect(statusOf(down.body, name)).toBe('up');
    }

    registry = await startRegistry();
    const up = await waitFor(
      async () => {
        const result = await health();
        return result.status === 200 ? result : undefined;
      },
      { what: 'locksmith-registry to be reported up again' },
    );
    expect(up.body.status).toBe('ok');
    expect(statusOf(up.body, 'locksmith-registry')).toBe('up');
  });
});
