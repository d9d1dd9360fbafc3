import { badRequest, intake } from '@trades/contracts';
import { endpoint, type EndpointBinding, type ServiceContext } from '@trades/runtime';
import { keysetPage, resumeAfter } from '../domain/keyset.ts';
import { FUNNEL_ORDER } from '../domain/session.ts';
import { toSessionSummary, type SessionRow } from '../store/sessions.ts';

const DEFAULT_FUNNEL_DAYS = 30;
/** Session ids are not UUIDs: 192 random bits in base64url. */
const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;

/** Booking sessions and funnel analytics for the operations console. */
export function adminEndpoints(ctx: ServiceContext<unknown>): EndpointBinding[] {
  return [
    endpoint(intake.SessionList, async ({ step, cursor, limit }) => {
      const pageSize = limit ?? 50;
      const conditions: string[] = [];
      const params: unknown[] = [];
      if (step !== undefined) {
        conditions.push('step = ?');
        params.push(step);
      }
      const position = resumeAfter(cursor, SESSION_ID);
      if (position !== undefined) {
        conditions.push('(created_at, id) < (?::timestamptz, ?)');
        params.push(position.createdAt, position.id);
      }
      const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
      const rows = await ctx.orm.em
        .fork()
        .execute<SessionRow[]>(
          `select * from intake.booking_session ${where} order by created_at desc, id desc limit ?`,
          [...params, pageSize + 1],
        );
      return keysetPage(rows, pageSize, toSessionSummary);
    }),

    endpoint(intake.FunnelSummary, async ({ from, to }) => {
      const until = to ? new Date(to) : new Date();
      const since = from
        ? new Date(from)
        : new Date(until.getTime() - DEFAULT_FUNNEL_DAYS * 24 * 60 * 60 * 1000);
      if (since > until) throw badRequest('INVALID_PERIOD', '"from" must be before "to".');
      // Sessions started in the period, by the furthest step each reached.
      const rows = await ctx.orm.em.fork().execute<{ step: string; sessions: number }[]>(
        `select f.step, count(*)::int as sessions
           from intake.funnel_event f join intake.booking_session s on s.id = f.session_id
          where s.created_at >= ? and s.created_at < ?
          group by f.step`,
        [since.toISOString(), until.toISOString()],
      );
      const counts = new Map(rows.map((row) => [row.step, row.sessions]));
      return { steps: FUNNEL_ORDER.map((step) => ({ step, sessions: counts.get(step) ?? 0 })) };
    }),
  ];
}
