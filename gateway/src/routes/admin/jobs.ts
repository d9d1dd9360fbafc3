import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  badRequest,
  Cursor,
  dispatch,
  ErrorBody,
  Limit,
  messaging,
  payments,
  Timestamp,
  Uuid,
} from '@trades/contracts';
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { operatorOf } from '../../plugins/admin-auth.ts';

const Payment = Type.Object({
  status: Type.String(),
  amountCents: Type.Integer(),
  capturedCents: Type.Integer(),
  refundedCents: Type.Integer(),
});

/** A job as the console shows it: dispatch's detail plus its SMS and its deposit, each best-effort. */
export const JobView = Type.Object({
  ...dispatch.Job.properties,
  timeline: Type.Array(dispatch.TimelineEntry),
  offers: Type.Array(dispatch.Offer),
  messages: Type.Array(messaging.Message),
  payment: Type.Union([Payment, Type.Null()]),
  warnings: Type.Array(Type.String(), {
    description: 'What could not be shown and why (a service was down)',
  }),
});
export type JobView = Static<typeof JobView>;

const IdParams = Type.Object({ id: Uuid });

const ListQuery = Type.Object({
  state: Type.Optional(
    Type.String({
      maxLength: 200,
      description: 'Comma-separated job states, e.g. OFFERED,ASSIGNED',
      examples: ['OFFERED,ASSIGNED'],
    }),
  ),
  from: Type.Optional(Timestamp),
  to: Type.Optional(Timestamp),
  q: Type.Optional(
    Type.String({ maxLength: 120, description: 'Job code, customer name or part of the address' }),
  ),
  sort: Type.Optional(Type.Union([Type.Literal('createdAt:desc'), Type.Literal('createdAt:asc')])),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});

const AssignBody = Type.Object({ locksmithId: Uuid }, { additionalProperties: false });
const DispatchBody = Type.Object(
  { action: dispatch.DispatchAction, reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
const RefundBody = Type.Object(
  {
    amountCents: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Leave out to refund everything captured' }),
    ),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);

const JOB_ERRORS = {
  400: ErrorBody,
  401: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
};

export function parseStates(value: string | undefined): dispatch.JobState[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const states: dispatch.JobState[] = [];
  const unknown: string[] = [];
  for (const part of value.split(',').map((s) => s.trim().toUpperCase())) {
    const state = dispatch.JOB_STATES.find((s) => s === part);
    if (state) states.push(state);
    else unknown.push(part);
  }
  if (unknown.length > 0) {
    throw badRequest(
      'VALIDATION_FAILED',
      `Unknown job state ${unknown.join(', ')}; use ${dispatch.JOB_STATES.join(', ')}.`,
      {
        field: 'querystring/state',
        unknown,
      },
    );
  }
  return [...new Set(states)];
}

const describeFailure = (error: unknown): string =>
  error instanceof AppError ? error.message : 'it did not answer';

/** The job with its messages and deposit; a messaging or payments outage costs a warning, not the page. */
export async function jobView(app: FastifyInstance, id: string): Promise<JobView> {
  const job = await app.callService(dispatch.JobGet, { id });
  const warnings: string[] = [];
  const [messages, payment] = await Promise.all([
    app.callService(messaging.MessageList, { jobId: id, limit: 200 }).then(
      (page) => page.items,
      (error: unknown) => {
        warnings.push(`Messages are not shown: ${describeFailure(error)}`);
        return [];
      },
    ),
    app.callService(payments.DepositGet, { bookingId: job.bookingId }).then(
      (deposit) => ({
        status: deposit.status,
        amountCents: deposit.amountCents,
        capturedCents: deposit.capturedCents,
        refundedCents: deposit.refundedCents,
      }),
      (error: unknown) => {
        if (!(error instanceof AppError && error.status === 404)) {
          warnings.push(`The payment is not shown: ${describeFailure(error)}`);
        }
        return null;
      },
    ),
  ]);
  return { ...job, messages, payment, warnings };
}

/** Operations on jobs: list, detail, assign, dispatch control, refund (dispatch, payments, messaging). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/jobs',
    {
      schema: {
        tags: ['admin'],
        summary: 'Jobs by state, date range and text, keyset-paginated',
        querystring: ListQuery,
        response: { 200: dispatch.JobList.reply, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { state, ...rest } = request.query;
      const states = parseStates(state);
      return app.callService(dispatch.JobList, { ...rest, ...(states ? { state: states } : {}) });
    },
  );

  app.get(
    '/jobs/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'A job with its timeline, offers by wave, SMS and deposit',
        params: IdParams,
        response: { 200: JobView, ...JOB_ERRORS },
      },
    },
    async (request) => jobView(app, request.params.id),
  );

  app.post(
    '/jobs/:id/assign',
    {
      schema: {
        tags: ['admin'],
        summary: 'Assign the job to a named locksmith (fails if someone already has it)',
        params: IdParams,
        body: AssignBody,
        response: { 200: JobView, ...JOB_ERRORS },
      },
    },
    async (request) => {
      await app.callService(dispatch.JobAssign, {
        id: request.params.id,
        locksmithId: request.body.locksmithId,
        actor: operatorOf(request).email,
      });
      return jobView(app, request.params.id);
    },
  );

  app.post(
    '/jobs/:id/dispatch',
    {
      schema: {
        tags: ['admin'],
        summary: 'Dispatch control: start, pause, resume, cancel or re-dispatch',
        params: IdParams,
        body: DispatchBody,
        response: { 200: JobView, ...JOB_ERRORS },
      },
    },
    async (request) => {
      await app.callService(dispatch.JobControl, {
        id: request.params.id,
        action: request.body.action,
        actor: operatorOf(request).email,
        ...(request.body.reason ? { reason: request.body.reason } : {}),
      });
      return jobView(app, request.params.id);
    },
  );

  app.post(
    '/jobs/:id/refund',
    {
      schema: {
        tags: ['admin'],
        summary: "Refund the job's captured deposit, fully or partly",
        params: IdParams,
        body: RefundBody,
        response: { 200: JobView, ...JOB_ERRORS },
      },
    },
    async (request) => {
      const job = await app.callService(dispatch.JobGet, { id: request.params.id });
      await app.callService(payments.DepositRefund, {
        bookingId: job.bookingId,
        reason: request.body.reason,
        actor: operatorOf(request).email,
        ...(request.body.amountCents !== undefined ? { amountCents: request.body.amountCents } : {}),
      });
      return jobView(app, request.params.id);
    },
  );
};

export default routes;
