import { Migration } from '@mikro-orm/migrations';

const STATES = `'NEW','DISPATCHING','OFFERED','CHARGING','ASSIGNED','COMPLETED','UNSOLD','CREDITED'`;
const REASONS = `'wrong_number','duplicate','outside_area','not_my_service','not_real','could_not_reach','other'`;

/**
 * What runs after a sale. Caps: `sold_at` is the moment of sale (the current buyer's charge started),
 * what a plumber's caps count, in their time zone, by `(buyer_id, sold_at)`; the caps an offer was made
 * under ride on the offer (`provider_caps`, from the registry's candidates). Credits: a lead is
 * CREDITED when its credits reach its price (`credited_cents`); each request is a `lead_credit` row;
 * the facts the automatic checks use are on the lead: whether the buyer covered its ZIP and bought its
 * service at the moment of sale, and the homeowner's dead number or NO.
 */
export class Migration0004LeadOperations extends Migration {
  override name = 'Dispatch0004LeadOperations';

  override up(): void {
    this.addSql('alter table lead drop constraint lead_state_check');
    this.addSql(`alter table lead add constraint lead_state_check check (state in (${STATES}))`);
    this.addSql('alter table lead drop constraint lead_sold_has_buyer');
    this.addSql(
      `alter table lead add constraint lead_sold_has_buyer check (state not in ('CHARGING','ASSIGNED','COMPLETED','CREDITED') or buyer_id is not null)`,
    );
    this.addSql('alter table lead_timeline drop constraint lead_timeline_state_check');
    this.addSql(
      `alter table lead_timeline add constraint lead_timeline_state_check check (state in (${STATES}))`,
    );
    this.addSql('alter table lead_timeline drop constraint lead_timeline_previous_state_check');
    this.addSql(
      `alter table lead_timeline add constraint lead_timeline_previous_state_check check (previous_state in (${STATES}))`,
    );

    this.addSql(`alter table lead
      add column sold_at timestamptz,
      add column credited_cents integer not null default 0 check (credited_cents >= 0),
      add column buyer_covered_zip boolean,
      add column buyer_buys_service boolean,
      add column homeowner_unreachable_code text,
      add column homeowner_unreachable_at timestamptz,
      add column homeowner_denied_at timestamptz`);
    this.addSql(
      `create index lead_buyer_sold_idx on lead (buyer_id, sold_at) where buyer_id is not null and sold_at is not null`,
    );
    this.addSql('alter table offer add column provider_caps jsonb');

    this.addSql(`create table lead_credit (
      id uuid primary key,
      lead_id uuid not null references lead (id),
      plumber_id uuid not null,
      reason text not null check (reason in (${REASONS})),
      note text,
      channel text not null check (channel in ('sms','email','console','homeowner')),
      status text not null check (status in ('review','approved','credited','denied','failed')),
      amount_cents integer not null check (amount_cents > 0),
      automatic boolean not null default false,
      evidence text,
      return_rate double precision,
      flagged boolean not null default false,
      requested_by text not null,
      decided_by text,
      decision_note text,
      refund_id text,
      failure text,
      requested_at timestamptz not null default date_trunc('milliseconds', clock_timestamp()),
      decided_at timestamptz,
      credited_at timestamptz
    )`);
    // At most one credit of a lead waiting (for an operator or for its refund) at a time.
    this.addSql(
      `create unique index lead_credit_one_open_uq on lead_credit (lead_id) where status in ('review','approved')`,
    );
    this.addSql('create index lead_credit_status_idx on lead_credit (status, requested_at desc, id desc)');
    this.addSql('create index lead_credit_plumber_idx on lead_credit (plumber_id, requested_at desc)');
    this.addSql('create index lead_credit_lead_idx on lead_credit (lead_id, requested_at desc)');
  }
}
