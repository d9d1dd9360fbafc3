import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { GatewayConfig } from '../../config.ts';
import adminAuth, { adminAuthOptions, type AdminAuthOptions } from '../../plugins/admin-auth.ts';
import audit from '../../plugins/audit.ts';
import { OperatorSessions } from '../../plugins/operator-sessions.ts';
import credits from './credits.ts';
import dashboard from './dashboard.ts';
import jobs from './jobs.ts';
import leadAnalytics from './lead-analytics.ts';
import leadPrices from './lead-prices.ts';
import leads from './leads.ts';
import locksmiths from './locksmiths.ts';
import messages from './messages.ts';
import partners from './partners.ts';
import plumbers from './plumbers.ts';
import sessions from './sessions.ts';

export interface AdminRoutesOptions {
  config: GatewayConfig;
  /** Replaces what the configuration says about access (tests: a local Cloudflare key set). */
  auth?: AdminAuthOptions;
}

/**
 * Everything under /api/admin. Operator authentication (Cloudflare Access JWT, or the local operator
 * session) is enforced here, once, for every route registered below: the auth hook is added to this
 * scope before any route file is registered, and every mutating request is written to the audit log.
 */
const admin: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, options) => {
  const auth = options.auth ?? adminAuthOptions(options.config);
  await app.register(adminAuth, {
    ...auth,
    ...(auth.local && !auth.sessions
      ? { sessions: new OperatorSessions(app.shared, auth.local.sessionSecret) }
      : {}),
  });
  await app.register(audit);
  // Inside the boundary even a wrong path needs an operator: strangers cannot map the admin API by its 404s.
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      code: 'NOT_FOUND',
      message: `There is no route ${request.method} ${request.url.split('?')[0]}.`,
    });
  });
  await app.register(jobs);
  await app.register(dashboard);
  await app.register(locksmiths);
  await app.register(messages);
  await app.register(plumbers);
  await app.register(sessions);
  await app.register(partners);
  await app.register(leads);
  await app.register(leadPrices);
  await app.register(leadAnalytics);
  await app.register(credits);
};

export default admin;
