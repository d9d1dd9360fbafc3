import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, AUDIT_STREAM, AuditEntry, auditSubject, ErrorBody } from '@trades/contracts';
import { maskPhone } from '@trades/runtime/client';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import Type from 'typebox';
import { Compile } from 'typebox/compile';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SECRET_KEY = /pass|secret|token|card|cvc|authorization|cookie|signature/i;
const PHONE_LIKE = /^\+?[0-9 ().-]{7,20}$/;
const MAX_SUMMARY_KEYS = 20;
const MAX_VALUE_LENGTH = 80;
const VERB_OF: Record<string, string> = { POST: 'create', PUT: 'replace', PATCH: 'update', DELETE: 'delete' };

/**
 * The action an admin route performs, from its route pattern: `POST /api/admin/jobs/:id/assign` →
 * `jobs.assign`, `POST /api/admin/locksmiths` → `locksmiths.create`, `PATCH …/locksmiths/:id` → `locksmiths.update`.
 */
export function actionOf(method: string, routeUrl: string): string {
  const segments = routeUrl
    .replace(/^\/api\/admin\/?/, '')
    .split('/')
    .filter(Boolean);
  const last = segments.at(-1);
  const named = segments.filter((s) => !s.startsWith(':'));
  // A DELETE always says so: `DELETE …/operators/:email/sessions` → `operators.sessions.delete`.
  if (last === undefined || last.startsWith(':') || named.length === 1 || method === 'DELETE')
    named.push(VERB_OF[method] ?? method.toLowerCase());
  return named.join('.');
}

/** Keys and short values only: secrets redacted, phone numbers masked, nested values reduced to their shape. */
export function summarize(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const summary: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body).slice(0, MAX_SUMMARY_KEYS)) {
    if (SECRET_KEY.test(key)) summary[key] = '[redacted]';
    else if (typeof value === 'string') {
      const shown =
        PHONE_LIKE.test(value) && /\d{7}/.test(value.replace(/\D/g, '')) ? maskPhone(value) : value;
      summary[key] = shown.length > MAX_VALUE_LENGTH ? `${shown.slice(0, MAX_VALUE_LENGTH)}…` : shown;
    } else if (typeof value === 'number' || typeof value === 'boolean' || value === null)
      summary[key] = value;
    else if (Array.isArray(value)) summary[key] = `[${value.length} items]`;
    else summary[key] = '[object]';
  }
  return summary;
}

/** What an action was done to: the route's `:id`, or the operator's `:email`. */
function targetOf(request: FastifyRequest): string | null {
  const params = request.params;
  if (typeof params !== 'object' || params === null) return null;
  if ('id' in params && typeof params.id === 'string') return params.id;
  if ('email' in params && typeof params.email === 'string') return params.email;
  return null;
}

const auditEntryCheck = Compile(AuditEntry);
const AuditQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});

/**
 * The operators' audit trail: every mutating admin request (login and logout aside) is published to the
 * AUDIT stream once answered, with who, what, which target, the status and a payload summary; and
 * GET /api/admin/audit reads the latest entries back, newest first.
 */
const audit: FastifyPluginAsyncTypebox = async (app) => {
  const js = jetstream(app.nats);
  let manager: JetStreamManager | undefined;

  app.addHook('onResponse', async (request, reply) => {
    if (!MUTATING.has(request.method) || !request.operator) return;
    if (request.routeOptions.config.audit === false || !request.routeOptions.url) return;
    const action = actionOf(request.method, request.routeOptions.url);
    const entry: AuditEntry = {
      id: randomUUID(),
      at: new Date().toISOString(),
      operator: request.operator.email,
      via: request.operator.via,
      action,
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      target: targetOf(request),
      status: reply.statusCode,
      // A DELETE names what it removes in the query (`DELETE /lead-prices?serviceCode&…`): keep that.
      summary: summarize(request.body ?? request.query),
      correlationId: request.id,
    };
    try {
      await js.publish(auditSubject(action), JSON.stringify(entry), { msgID: entry.id });
    } catch (error) {
      // The action itself is done; losing its audit line is logged loudly rather than failing the request.
      request.log.error({ err: error, action, target: entry.target }, 'audit entry could not be written');
    }
  });

  app.get(
    '/audit',
    {
      schema: {
        tags: ['admin'],
        summary: 'The latest operator actions, newest first',
        querystring: AuditQuery,
        response: { 200: Type.Object({ items: Type.Array(AuditEntry) }), 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      try {
        manager ??= await jetstreamManager(app.nats);
        const { state } = await manager.streams.info(AUDIT_STREAM.name);
        const items: AuditEntry[] = [];
        if (state.messages === 0) return { items };
        const from = Math.max(state.first_seq, state.last_seq - limit + 1);
        const sequences = Array.from({ length: state.last_seq - from + 1 }, (_, i) => state.last_seq - i);
        const stored = await Promise.all(
          sequences.map((seq) => manager?.streams.getMessage(AUDIT_STREAM.name, { seq }).catch(() => null)),
        );
        for (const message of stored) {
          if (!message) continue;
          let value: unknown;
          try {
            value = message.json();
          } catch {
            continue;
          }
          if (auditEntryCheck.Check(value)) items.push(value);
        }
        return { items };
      } catch (error) {
        request.log.error({ err: error }, 'audit log could not be read');
        throw new AppError(
          503,
          'AUDIT_UNAVAILABLE',
          'The audit log cannot be read right now; try again shortly.',
        );
      }
    },
  );
};

export default fp(audit, { name: 'admin-audit', dependencies: ['admin-auth', 'nats'] });
