import { Migration } from '@mikro-orm/migrations';

const STATES = `'NEW','DISPATCHING','OFFERED','CHARGING','ASSIGNED','COMPLETED','UNSOLD'`;
/** States in which a lead's code is still quoted by SMS (YES / DONE <code>). */
const OPEN = `'NEW','DISPATCHING','OFFERED','CHARGING','ASSIGNED'`;

/**
 * Plumbing leads are a second thing dispatch offers: a `lead` aggregate (id = intake's lead id) with its
 * timeline, on the same `offer` table as jobs. An offer belongs to exactly one job or one lead; a
 * provider still holds at most one pending offer of either kind (the global partial unique index).
 */
export class Migration0003Leads extends Migration {
  override name = 'Dispatch0003Leads';

  override up(): void {
    this.addSql(`create table lead (
      id uuid primary key,
      code text not null check (code ~ '^[0-9]{4}$'),
      state text not null check (state in (${STATES})),
      service_code text not null,
      service_name text not null,
      urgency text not null check (urgency in ('day','week','month')),
      zip text not null,
      lat double precision not null,
      lng double precision not null,
      price_cents integer not null check (price_cents >= 0),
      homeowner jsonb not null,
      description text,
      source text not null,
      partner_id uuid,
      wave integer not null default 0 check (wave >= 0),
      next_action_at timestamptz,
      buyer_id uuid,
      buyer_name text,
      buyer_phone text,
      buyer_email text,
      charge_attempt integer not null default 0 check (charge_attempt >= 0),
      created_at timestamptz not null default date_trunc('milliseconds', now()),
      updated_at timestamptz not null default clock_timestamp(),
      constraint lead_sold_has_buyer check (state not in ('CHARGING','ASSIGNED','COMPLETED') or buyer_id is not null),
      constraint lead_unsold_has_none check (state not in ('NEW','DISPATCHING','OFFERED','UNSOLD') or buyer_id is null)
    )`);
    this.addSql(`create unique index lead_open_code_uq on lead (code) where state in (${OPEN})`);
    this.addSql(`create index lead_due_idx on lead (next_action_at) where next_action_at is not null`);
    this.addSql(`create index lead_buyer_idx on lead (buyer_id, updated_at desc) where buyer_id is not null`);

    this.addSql(`create table lead_timeline (
      id bigint generated always as identity primary key,
      lead_id uuid not null references lead (id),
      state text not null check (state in (${STATES})),
      previous_state text check (previous_state in (${STATES})),
      at timestamptz not null default clock_timestamp(),
      cause text not null,
      actor text not null
    )`);
    this.addSql(`create index lead_timeline_lead_idx on lead_timeline (lead_id, id)`);

    this.addSql(`alter table offer alter column job_id drop not null`);
    this.addSql(`alter table offer add column lead_id uuid references lead (id)`);
    this.addSql(`alter table offer add column provider_email text`);
    // A YES that arrived while the lead was being charged to someone who answered first: in line.
    this.addSql(`alter table offer add column yes_at timestamptz`);
    this.addSql(
      `alter table offer add constraint offer_job_or_lead check ((job_id is null) <> (lead_id is null))`,
    );
    this.addSql(`alter table offer add constraint offer_once_per_lead unique (lead_id, provider_id)`);
    this.addSql(`create index offer_lead_idx on offer (lead_id, wave) where lead_id is not null`);
  }
}
