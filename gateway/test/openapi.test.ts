import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { natsUrl } from '@trades/testkit';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { RouteOptions } from 'fastify';
import { gateway, type Gateway } from './support.ts';

jest.setTimeout(30_000);

interface Operation {
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

let nc: NatsConnection;
let app: Gateway;
const routes: RouteOptions[] = [];
let doc: Record<string, unknown>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

beforeAll(async () => {
  nc = await connect({ servers: natsUrl() });
  app = gateway(nc);
  app.addHook('onRoute', (route) => void routes.push(route));
  await app.ready();
  const response = await app.inject({ method: 'GET', url: '/docs/json' });
  expect(response.statusCode).toBe(200);
  const parsed: unknown = response.json();
  if (!isRecord(parsed)) throw new Error('/docs/json is not an object');
  doc = parsed;
});

afterAll(async () => {
  await app?.close();
  await nc?.close();
});

/** Every documented operation as [method, path, operation]. */
function operations(): [string, string, Operation][] {
  const paths = doc['paths'];
  if (!isRecord(paths)) return [];
  return Object.entries(paths).flatMap(([path, item]) =>
    isRecord(item)
      ? Object.entries(item)
          .filter(([method]) => ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'].includes(method))
          .map(([method, op]): [string, string, Operation] => [method, path, isRecord(op) ? op : {}])
      : [],
  );
}

/** The routes the gateway itself registers: not the docs plugin's own pages, not CORS's catch-all preflight. */
const ownRoutes = (): RouteOptions[] => routes.filter((r) => !r.url.startsWith('/docs') && r.url !== '*');

const methodsOf = (route: RouteOptions): string[] =>
  Array.isArray(route.method) ? route.method : [route.method];

describe('the OpenAPI document at /docs/json', () => {
  it('is OpenAPI 3.1 with an info block and paths', () => {
    expect(doc['openapi']).toMatch(/^3\.1\.\d+$/);
    expect(doc['info']).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(operations().length).toBeGreaterThan(0);
  });

  it('gives every operation a success response, and every response body a valid JSON Schema', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    const components = doc['components'] ?? {};
    const problems: string[] = [];
    for (const [method, path, op] of operations()) {
      const responses = Object.entries(op.responses ?? {});
      if (!responses.some(([status]) => /^2\d\d$/.test(status)))
        problems.push(`${method} ${path}: no 2xx response`);
      for (const [status, response] of responses) {
        if (typeof response.description !== 'string')
          problems.push(`${method} ${path} ${status}: no description`);
        for (const [type, media] of Object.entries(response.content ?? {})) {
          if (!isRecord(media.schema)) {
            problems.push(`${method} ${path} ${status} ${type}: no schema`);
            continue;
          }
          try {
            // Components travel along so `#/components/...` references resolve.
            ajv.compile({ ...media.schema, components });
          } catch (error) {
            problems.push(
              `${method} ${path} ${status}: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
        }
        if (!response.content && status !== '204')
          problems.push(`${method} ${path} ${status}: no body schema`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('documents every route the gateway registers that is not hidden', () => {
    const documented = new Set(operations().map(([method, path]) => `${method.toUpperCase()} ${path}`));
    const missing = ownRoutes()
      .filter((r) => !(isRecord(r.schema) && r.schema['hide'] === true))
      .flatMap((r) => methodsOf(r).map((m) => `${m} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`))
      .filter((key) => !key.startsWith('HEAD ') && !documented.has(key));
    expect(missing).toEqual([]);
  });
});

describe('the gateway’s routes', () => {
  it('all declare a response schema', () => {
    expect(ownRoutes().length).toBeGreaterThan(0);
    const without = ownRoutes()
      .filter(
        (r) =>
          !(
            isRecord(r.schema) &&
            isRecord(r.schema['response']) &&
            Object.keys(r.schema['response']).length > 0
          ),
      )
      .map((r) => `${methodsOf(r).join(',')} ${r.url}`);
    expect(without).toEqual([]);
  });
});
