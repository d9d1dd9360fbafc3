import { dispatch } from '@trades/contracts';
import { defineService, endpoint } from '@trades/runtime';
import { migrations } from './migrations/index.ts';

const OPEN_STATES = ['CREATED', 'DISPATCHING', 'OFFERED', 'ASSIGNED', 'EN_ROUTE'];

/** Dispatch: jobs, their state machine, offers and waves; first YES wins. */
export const dispatchService = defineService({
  name: 'dispatch',
  version: '0.1.0',
  description: 'Jobs, offers and waves: who gets the job',
  schema: 'dispatch',
  config: {},
  entities: [],
  migrations,
  setup: (ctx) => ({
    endpoints: [
      endpoint(dispatch.DispatchDashboard, async () => {
        const rows = await ctx.orm.em
          .fork()
          .execute<{ state: string; n: number; today_failed: number }[]>(
            `select state, count(*)::int as n,
                    count(*) filter (where state = 'FAILED' and updated_at >= date_trunc('day', now()))::int as today_failed
             from dispatch.job group by state`,
          );
        const jobsByState = Object.fromEntries(rows.map((r) => [r.state, r.n]));
        return {
          openJobs: rows.filter((r) => OPEN_STATES.includes(r.state)).reduce((sum, r) => sum + r.n, 0),
          jobsByState,
          failedJobsToday: rows.reduce((sum, r) => sum + r.today_failed, 0),
        };
      }),
    ],
    consumers: [],
  }),
});
