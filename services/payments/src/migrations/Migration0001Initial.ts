import { Migration } from '@mikro-orm/migrations';

export class Migration0001Initial extends Migration {
  override name = 'Payments0001Initial';

  override up(): void {
    // One deposit per booking. status only moves forward (status_rank), so a late or replayed
    // webhook never moves a payment backwards.
    this.addSql(`create table deposit (
      booking_id text primary key,
      payment_intent_id text not null unique,
      status text not null default 'pending'
        check (status in ('pending', 'authorized', 'captured', 'released', 'refunded', 'partially_refunded', 'failed')),
      stripe_status text not null,
      amount_cents integer not null check (amount_cents >= 50),
      captured_cents integer not null default 0 check (captured_cents between 0 and amount_cents),
      refunded_cents integer not null default 0 check (refunded_cents between 0 and captured_cents),
      last_error text,
      -- Why we asked Stripe to cancel the hold, written before the call so whichever path sees the
      -- cancellation first (our re-read or Stripe's webhook) reports the same reason.
      release_reason text,
      job_id uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`);

    this.addSql(`create table deposit_refund (
      stripe_refund_id text primary key,
      booking_id text not null references deposit (booking_id),
      amount_cents integer not null check (amount_cents > 0),
      reason text not null,
      actor text not null,
      created_at timestamptz not null default now()
    )`);
    this.addSql(`create index deposit_refund_booking_idx on deposit_refund (booking_id)`);

    // Every Stripe webhook event handled, by its id: a redelivery is acknowledged and ignored.
    this.addSql(`create table stripe_webhook_event (
      event_id text primary key,
      type text not null,
      payment_intent_id text,
      received_at timestamptz not null default now()
    )`);
  }
}
