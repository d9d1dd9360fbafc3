import { Migration } from '@mikro-orm/migrations';

const STATES = `'CREATED','DISPATCHING','OFFERED','ASSIGNED','EN_ROUTE','COMPLETED','CANCELED','FAILED'`;

/**
 * The busy flag becomes a projection that any delivery order leaves right. Job events can arrive in any
 * order (a nak'ed event is redelivered after the ones behind it; replicas race), so each job keeps the
 * newest fact known about it, versioned by the job's own clock (`at`, the job row's `updated_at`), and a
 * provider's `busy_job_id` is derived from these rows instead of being set and cleared by whichever
 * event happens to come last. Rows of the locksmiths busy today are seeded from the flag, at the oldest
 * possible version, so the first real fact about their job replaces them.
 *
 * `scheduled_task` holds the due time of periodic work that one replica at a time should do (the
 * reconciliation with dispatch): a replica claims it with one conditional update.
 */
export class Migration0004JobProjection extends Migration {
  override name = 'Registry0004JobProjection';

  override up(): void {
    this.addSql(`create table job_projection (
      job_id uuid primary key,
      provider_id uuid,
      state text not null check (state in (${STATES})),
      at timestamptz not null,
      rank smallint not null,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`comment on column job_projection.rank is
      'Orders two facts of one job with the same at (to the millisecond): the state''s place in the lifecycle for an event, above every state for a state read from dispatch by the reconciliation'`);
    // Who is busy: the open jobs of a provider. Also the reconciliation's list of open jobs, by job id.
    this.addSql(
      `create index job_projection_open_by_provider on job_projection (provider_id, at desc) where state in ('ASSIGNED', 'EN_ROUTE')`,
    );
    this.addSql(
      `create index job_projection_open on job_projection (job_id) where state in ('ASSIGNED', 'EN_ROUTE')`,
    );
    this.addSql(
      `create index job_projection_closed on job_projection (at) where state in ('COMPLETED', 'CANCELED', 'FAILED')`,
    );
    this.addSql(`insert into job_projection (job_id, provider_id, state, at, rank)
      select busy_job_id, id, 'ASSIGNED', 'epoch', 0 from provider where busy_job_id is not null
      on conflict (job_id) do nothing`);

    // The reconciliation walks the pending offers and the flagged providers without scanning the tables.
    this.addSql(`create index provider_offer_pending on provider_offer (offer_id) where status = 'PENDING'`);
    this.addSql(
      `create index provider_pending_offer on provider (pending_offer_id) where pending_offer_id is not null`,
    );

    this.addSql(`create table scheduled_task (
      name text primary key,
      due_at timestamptz not null
    )`);
  }

  override down(): void {
    this.addSql('drop table scheduled_task');
    this.addSql('drop index provider_pending_offer');
    this.addSql('drop index provider_offer_pending');
    this.addSql('drop table job_projection');
  }
}
