import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_CATALOG } from '../domain/catalog.ts';

const STEPS = `('start', 'location', 'service', 'payment', 'complete')`;

export class Migration0001Initial extends Migration {
  override name = 'Intake0001Initial';

  override up(): void {
    this.addSql(`create table catalog_service (
      code text primary key,
      name text not null,
      description text not null,
      deposit_cents integer not null check (deposit_cents >= 50),
      price_min_cents integer not null,
      price_max_cents integer not null check (price_max_cents >= price_min_cents),
      position integer not null,
      active boolean not null default true
    )`);
    DEFAULT_CATALOG.forEach((s, position) => {
      this.addSql(
        `insert into catalog_service (code, name, description, deposit_cents, price_min_cents, price_max_cents, position)
         values ('${s.code}', '${s.name.replaceAll("'", "''")}', '${s.description.replaceAll("'", "''")}', ${s.depositCents}, ${s.priceMinCents}, ${s.priceMaxCents}, ${position})`,
      );
    });

    // One row per booking session. "step" is the next step the session expects; the job columns are
    // intake's projection of dispatch's job, kept for the live status page.
    this.addSql(`create table booking_session (
      id text primary key check (id ~ '^[A-Za-z0-9_-]{16,64}$'),
      state text not null default 'draft'
        check (state in ('draft', 'awaiting_payment', 'completed', 'expired')),
      step text not null default 'location' check (step in ${STEPS}),
      furthest_step text not null default 'start' check (furthest_step in ${STEPS}),
      referrer text,
      utm jsonb,
      user_agent_class text check (user_agent_class in ('mobile', 'desktop', 'bot')),
      address_input text,
      address_formatted text,
      lat double precision check (lat between -90 and 90),
      lng double precision check (lng between -180 and 180),
      zip text check (zip ~ '^[0-9]{5}$'),
      served boolean,
      service_code text references catalog_service (code),
      customer_name text,
      customer_phone text check (customer_phone ~ '^\\+[1-9][0-9]{6,14}$'),
      notes text,
      deposit_cents integer check (deposit_cents >= 0),
      payment_intent_id text unique,
      deposit_status text,
      tracking_token text unique,
      completed_at timestamptz,
      job_id uuid,
      job_state text,
      job_state_at timestamptz,
      job_state_rank integer,
      locksmith_name text,
      locksmith_eta_minutes integer,
      -- Millisecond precision, so the admin list's keyset cursor (an ISO time) is exact.
      created_at timestamptz not null default date_trunc('milliseconds', now()),
      updated_at timestamptz not null default now(),
      check ((state = 'completed') = (tracking_token is not null and completed_at is not null)),
      check (state <> 'awaiting_payment' or payment_intent_id is not null)
    )`);
    this.addSql(`create index booking_session_created_idx on booking_session (created_at desc, id desc)`);
    this.addSql(
      `create index booking_session_step_created_idx on booking_session (step, created_at desc, id desc)`,
    );
    this.addSql(
      `create index booking_session_abandoned_idx on booking_session (updated_at) where state in ('draft', 'awaiting_payment')`,
    );

    // The funnel: when each session first reached each step.
    this.addSql(`create table funnel_event (
      session_id text not null references booking_session (id) on delete cascade,
      step text not null check (step in ${STEPS}),
      at timestamptz not null default now(),
      primary key (session_id, step)
    )`);
    this.addSql(`create index funnel_event_step_at_idx on funnel_event (step, at)`);
  }
}
