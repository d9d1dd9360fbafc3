import { badRequest, notFound, type dispatch } from '@trades/contracts';
import { pgArray, type EntityManager } from '@trades/runtime';
import { iso, toJob, toOffer, type JobRow, type OfferRow, type TimelineRow } from './rows.ts';

/** A PostgreSQL array literal of uuids (the driver binds `?` placeholders one value at a time). */
export const uuidArray = pgArray;
/** A PostgreSQL array literal of text values (quotes and backslashes dropped). */
export const textArray = (values: readonly string[]): string =>
  `{${values.map((v) => `"${v.replace(/["\\]/g, '')}"`).join(',')}}`;

export async function findJob(em: EntityManager, id: string): Promise<JobRow | undefined> {
  const rows = await em.execute<JobRow[]>('select * from dispatch.job where id = ?', [id]);
  return rows[0];
}

const jobNotFound = (id: string) => notFound('JOB_NOT_FOUND', `There is no job ${id}.`);

/** The job row, locked for the rest of the transaction; 404 when there is none. */
export async function lockJob(em: EntityManager, id: string): Promise<JobRow> {
  const rows = await em.execute<JobRow[]>('select * from dispatch.job where id = ? for update', [id]);
  const job = rows[0];
  if (!job) throw jobNotFound(id);
  return job;
}

/**
 * The job `id` and the `others`, locked in id order, so two transactions that lock the same jobs never
 * wait for each other in a circle; 404 when `id` does not exist.
 */
export async function lockJobs(
  em: EntityManager,
  id: string,
  others: readonly string[],
): Promise<{ job: JobRow; others: Map<string, JobRow> }> {
  const rows = await em.execute<JobRow[]>(
    'select * from dispatch.job where id = any(?::uuid[]) order by id for update',
    [uuidArray([...new Set([id, ...others])])],
  );
  const job = rows.find((row) => row.id === id);
  if (!job) throw jobNotFound(id);
  return { job, others: new Map(rows.filter((row) => row.id !== id).map((row) => [row.id, row])) };
}

/** The job a locksmith is on (ASSIGNED or EN_ROUTE): at most one, by the unique index below. */
export async function openJobOf(em: EntityManager, locksmithId: string): Promise<JobRow | undefined> {
  const rows = await em.execute<JobRow[]>(
    `select * from dispatch.job where locksmith_id = ? and state in ('ASSIGNED', 'EN_ROUTE')`,
    [locksmithId],
  );
  return rows[0];
}

/** The unique partial index that keeps a locksmith on one open job (Dispatch0002OneOpenJobPerLocksmith). */
const ONE_OPEN_JOB_PER_LOCKSMITH = 'job_one_open_per_locksmith';

/** Whether a failed statement broke the one-open-job-per-locksmith index. */
export function isSecondOpenJob(error: unknown): boolean {
  return error instanceof Error && 'constraint' in error && error.constraint === ONE_OPEN_JOB_PER_LOCKSMITH;
}

export async function insertTimeline(
  em: EntityManager,
  jobId: string,
  state: dispatch.JobState,
  previousState: dispatch.JobState | null,
  cause: string,
  actor: string,
): Promise<void> {
  await em.execute(
    'insert into dispatch.job_timeline (job_id, state, previous_state, cause, actor) values (?, ?, ?, ?, ?)',
    [jobId, state, previousState, cause, actor],
  );
}

export async function jobDetail(em: EntityManager, id: string): Promise<dispatch.JobDetail> {
  const job = await findJob(em, id);
  if (!job) throw notFound('JOB_NOT_FOUND', `There is no job ${id}.`);
  const timeline = await em.execute<TimelineRow[]>(
    'select state, at, cause, actor from dispatch.job_timeline where job_id = ? order by id',
    [id],
  );
  const offers = await em.execute<OfferRow[]>(
    'select * from dispatch.offer where job_id = ? order by wave, sent_at, id',
    [id],
  );
  return {
    ...toJob(job),
    timeline: timeline.map((t) => ({ state: t.state, at: iso(t.at), cause: t.cause, actor: t.actor })),
    offers: offers.map(toOffer),
  };
}

export type JobListQuery = dispatch.JobListRequest;

interface CursorPosition {
  createdAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  const invalid = badRequest(
    'INVALID_CURSOR',
    'The cursor is not one this list handed out; start again without it.',
  );
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid;
  const [createdAt, id]: unknown[] = value;
  if (
    typeof createdAt !== 'string' ||
    Number.isNaN(Date.parse(createdAt)) ||
    typeof id !== 'string' ||
    !UUID.test(id)
  ) {
    throw invalid;
  }
  return { createdAt, id };
}

/** Jobs filtered and keyset-paginated over (created_at, id). */
export async function listJobs(em: EntityManager, query: JobListQuery): Promise<dispatch.JobPage> {
  const limit = query.limit ?? 50;
  const ascending = query.sort === 'createdAt:asc';
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.state && query.state.length > 0) {
    where.push('state = any(?::text[])');
    params.push(textArray(query.state));
  }
  if (query.from) {
    where.push('created_at >= ?::timestamptz');
    params.push(query.from);
  }
  if (query.to) {
    where.push('created_at <= ?::timestamptz');
    params.push(query.to);
  }
  const q = query.q?.trim();
  if (q) {
    const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(`(code = ? or customer_name ilike ? or address->>'formatted' ilike ?)`);
    params.push(q, like, like);
  }
  if (query.cursor) {
    const position = decodeCursor(query.cursor);
    where.push(`(created_at, id) ${ascending ? '>' : '<'} (?::timestamptz, ?::uuid)`);
    params.push(position.createdAt, position.id);
  }
  const direction = ascending ? 'asc' : 'desc';
  const rows = await em.execute<JobRow[]>(
    `select * from dispatch.job ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
     order by created_at ${direction}, id ${direction} limit ?`,
    [...params, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toJob),
    nextCursor:
      rows.length > limit && last ? encodeCursor({ createdAt: iso(last.created_at), id: last.id }) : null,
  };
}
