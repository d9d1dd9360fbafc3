import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type Stack } from '@trades/testkit/stack';

describe('the whole platform in one process', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('reports every service up through NATS discovery and serves the catalog through the gateway', async () => {
    const health = await fetch(`${stack.gatewayUrl}/health`);
    const body = (await health.json()) as { status: string; services: { name: string; status: string }[] };
    expect(health.status).toBe(200);
    expect(body.services.map((s) => `${s.name}:${s.status}`).sort()).toEqual([
      'dispatch:up',
      'intake:up',
      'locksmith-registry:up',
      'messaging:up',
      'payments:up',
    ]);
    const catalog = await fetch(`${stack.gatewayUrl}/api/services`);
    const items = ((await catalog.json()) as { items: { code: string }[] }).items.map((i) => i.code);
    expect(items).toContain('home_lockout');
  });
});
