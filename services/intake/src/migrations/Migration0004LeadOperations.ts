import { Migration } from '@mikro-orm/migrations';

/**
 * Partners as operators run them (contact, payout, webhook and its deliveries), what partner stats and
 * lead analytics count (every rejected submission by reason; when a lead was sold; what was credited),
 * and the price table's audit trail.
 */
export class Migration0004LeadOperations extends Migration {
  override name = 'Intake0004LeadOperations';

  override up(): void {
    this.addSql(`alter table partner
      add column contact_name text,
      add column phone text,
      add column payout_cents_per_lead integer check (payout_cents_per_lead >= 0),
      add column webhook_url text,
      add column webhook_secret text,
      add column updated_at timestamptz not null default date_trunc('milliseconds', now())`);

    this.addSql(`alter table lead
      add column offered_at timestamptz,
      add column sold_at timestamptz,
      add column completed_at timestamptz,
      add column credited_cents integer not null default 0 check (credited_cents >= 0)`);

    // A submission intake refused (invalid, duplicate, not served): not a lead, but partners' stats and
    // the funnel count it. Nothing personal is kept.
    this.addSql(`create table lead_rejection (
      id bigint generated always as identity primary key,
      source text not null check (source in ('form', 'partner')),
      partner_id uuid references partner (id),
      reason text not null check (reason in ('invalid', 'duplicate', 'not_served')),
      service_code text,
      at timestamptz not null default now()
    )`);
    this.addSql('create index lead_rejection_at_idx on lead_rejection (at)');
    this.addSql('create index lead_rejection_partner_idx on lead_rejection (partner_id, at)');

    this.addSql(`create table partner_webhook_delivery (
      id uuid primary key,
      partner_id uuid not null references partner (id),
      lead_id uuid not null references lead (id),
      outcome text not null check (outcome in ('accepted', 'sold', 'unsold', 'credited')),
      -- One delivery per outcome of a lead (a credit can happen more than once: its credit id).
      outcome_key text not null unique,
      url text not null,
      body text not null,
      status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
      attempts integer not null default 0,
      last_status_code integer,
      last_error text,
      next_attempt_at timestamptz default now(),
      created_at timestamptz not null default date_trunc('milliseconds', now()),
      delivered_at timestamptz
    )`);
    this.addSql(
      `create index partner_webhook_delivery_due_idx on partner_webhook_delivery (next_attempt_at) where status = 'pending'`,
    );
    this.addSql(
      'create index partner_webhook_delivery_partner_idx on partner_webhook_delivery (partner_id, created_at desc, id desc)',
    );

    this.addSql(`alter table lead_price
      add column updated_at timestamptz,
      add column updated_by text`);
    this.addSql(`create table lead_price_change (
      id bigint generated always as identity primary key,
      service_code text not null,
      urgency text not null,
      zip_prefix text,
      old_price_cents integer,
      new_price_cents integer,
      actor text not null,
      at timestamptz not null default date_trunc('milliseconds', now())
    )`);
  }
}
