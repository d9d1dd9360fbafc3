import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Helmet's security headers (CSP, HSTS, nosniff, frame and referrer policies…) on every response, 404s and
 * errors included. Helmet is configured once, here: `@fastify/helmet` calls `helmet(options)` again on
 * every request, parsing the CSP directives each time, which cost the gateway about as much CPU as
 * Fastify's own routing under the dispatch bench's webhook load. Its CSP nonces and per-route options
 * are not used by this gateway.
 */
async function securityHeaders(app: FastifyInstance, options: HelmetOptions): Promise<void> {
  const apply = helmet(options);
  app.addHook('onRequest', (request, reply, done) => {
    apply(request.raw, reply.raw, (error?: unknown) => {
      done(error instanceof Error ? error : undefined);
    });
  });
}

export default fp(securityHeaders, { name: 'security-headers' });
