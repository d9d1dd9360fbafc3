import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import dashboard from './dashboard.ts';
import jobs from './jobs.ts';
import locksmiths from './locksmiths.ts';
import messages from './messages.ts';
import sessions from './sessions.ts';

/**
 * Everything under /api/admin. Operator authentication (Cloudflare Access JWT, or the local operator
 * session) is enforced here, once, for every route registered below.
 */
const admin: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(jobs);
  await app.register(dashboard);
  await app.register(locksmiths);
  await app.register(messages);
  await app.register(sessions);
};

export default admin;
