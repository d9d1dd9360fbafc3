import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthChecks {
  /** Named dependency checks; each resolves or throws. */
  checks: Record<string, () => Promise<void>>;
  /** False once shutdown starts, so load balancers stop sending work. */
  accepting: () => boolean;
  registry: Registry;
}

const withTimeout = async (check: () => Promise<void>, ms: number): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

/** `/livez` (the process runs), `/readyz` (its dependencies answer), `/metrics` (Prometheus). */
export async function startHealthServer(
  port: number,
  health: HealthChecks,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown, type = 'application/json'): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(type === 'application/json' ? JSON.stringify(body) : String(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, { code: 'METHOD_NOT_ALLOWED', message: 'Use GET.' });
    if (path === '/livez') return send(200, { status: 'ok' });
    if (path === '/metrics') {
      health.registry
        .metrics()
        .then((text) => send(200, text, health.registry.contentType))
        .catch(() => send(500, { code: 'INTERNAL', message: 'metrics unavailable' }));
      return;
    }
    if (path === '/readyz') {
      const names = Object.keys(health.checks);
      Promise.allSettled(names.map((n) => withTimeout(health.checks[n] as () => Promise<void>, 2_000))).then(
        (results) => {
          const checks: Record<string, string> = {};
          results.forEach((r, i) => {
            checks[names[i] as string] =
              r.status === 'fulfilled'
                ? 'ok'
                : String(r.reason instanceof Error ? r.reason.message : r.reason);
          });
          const ready = health.accepting() && results.every((r) => r.status === 'fulfilled');
          send(ready ? 200 : 503, {
            status: ready ? 'ok' : health.accepting() ? 'unavailable' : 'shutting-down',
            checks,
          });
        },
      );
      return;
    }
    send(404, { code: 'NOT_FOUND', message: 'Try /livez, /readyz or /metrics.' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
