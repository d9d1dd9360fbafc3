import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, dispatch, ErrorBody, messaging, registry } from '@trades/contracts';
import Type from 'typebox';

const Dashboard = Type.Object({
  openJobs: Type.Integer(),
  jobsByState: Type.Record(Type.String(), Type.Integer()),
  availableLocksmiths: Type.Integer(),
  activeLocksmiths: Type.Integer(),
  smsLastHour: Type.Integer(),
  failedJobsToday: Type.Integer(),
  warnings: Type.Array(Type.String(), {
    description: 'Figures shown as 0 because their service did not answer',
  }),
});

const describeFailure = (error: unknown): string =>
  error instanceof AppError ? error.message : 'it did not answer';

/** GET /api/admin/dashboard (GET /api/admin/audit lives with the audit plugin). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/dashboard',
    {
      schema: {
        tags: ['admin'],
        summary: 'Open jobs, locksmiths on hand and SMS traffic at a glance',
        response: { 200: Dashboard, 401: ErrorBody, 503: ErrorBody, 504: ErrorBody },
      },
    },
    async () => {
      const warnings: string[] = [];
      const [jobs, providers, sms] = await Promise.all([
        app.callService(dispatch.DispatchDashboard, {}),
        app.callService(registry.RegistryStats, {}).catch((error: unknown) => {
          warnings.push(`Locksmith counts are missing: ${describeFailure(error)}`);
          return { activeLocksmiths: 0, availableLocksmiths: 0 };
        }),
        app.callService(messaging.MessagingStats, {}).catch((error: unknown) => {
          warnings.push(`SMS counts are missing: ${describeFailure(error)}`);
          return { smsLastHour: 0 };
        }),
      ]);
      return { ...jobs, ...providers, ...sms, warnings };
    },
  );
};

export default routes;
