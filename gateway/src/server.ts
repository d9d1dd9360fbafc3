import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ConfigError, createLogger } from '@trades/runtime/client';
import closeWithGrace from 'close-with-grace';
import Fastify from 'fastify';
import app, { correlationIdFor } from './app.ts';
import { loadGatewayConfig, type GatewayConfig } from './config.ts';
import { adminAuthOptions } from './plugins/admin-auth.ts';

/** proxy-addr names: 127.0.0.0/8 and ::1, 169.254.0.0/16 and fe80::/10, 10/8, 172.16/12, 192.168/16 and fc00::/7. */
export const TRUSTED_PROXIES = ['loopback', 'linklocal', 'uniquelocal'];

/** Routes whose path carries a credential (a signed link or a tracking token): never logged whole. */
const CAPABILITY_PATH = /^(\/api\/(?:lead-credits|lead-offers|plumber-card|track))\/[^/?]+/;

/** A request's URL as the log shows it: a capability link's token replaced, its query dropped. */
export function loggedUrl(url: string): string {
  if (!CAPABILITY_PATH.test(url)) return url;
  return (url.split('?')[0] ?? '').replace(CAPABILITY_PATH, '$1/[token]');
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
}

const requestSerializer = (req: LoggedRequest) => ({
  method: req.method,
  url: loggedUrl(req.url),
  host: req.host,
  remoteAddress: req.ip,
});

export function buildServer(
  config: GatewayConfig,
  options: Parameters<typeof app>[1] extends infer O ? Partial<O> : never = {},
) {
  const server = Fastify({
    // Anyone who reads the logs must not be able to open a plumber's credit or card link.
    loggerInstance: createLogger('gateway', config.LOG_LEVEL).child(
      {},
      { serializers: { req: requestSerializer } },
    ),
    genReqId: (req) => correlationIdFor(req.headers['x-correlation-id']),
    // X-Forwarded-For is believed only from proxies on the machine or the private network (ingress,
    // serve-ui, compose): trusting anyone let a client pick its own address and dodge every rate limit.
    trustProxy: TRUSTED_PROXIES,
    bodyLimit: 256 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  server.register(app, { config, ...options });
  return server;
}

export async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig();
    // The admin sign-in mode is part of the configuration: its problems are listed at boot like the rest.
    adminAuthOptions(config);
  } catch (error) {
    console.error(`gateway: ${error instanceof ConfigError ? error.message : String(error)}`);
    process.exit(1);
  }
  const server = buildServer(config);
  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
    if (err) server.log.error({ err }, 'closing because of an error');
    else server.log.info({ signal }, 'closing');
    await server.close();
  });
  await server.listen({ port: config.PORT, host: config.HOST });
}
