import { Migration } from '@mikro-orm/migrations';

export class Migration0001Initial extends Migration {
  override name = 'Payments0001Initial';

  override up(): void {
    this.addSql(`create table deposit (
      booking_id text primary key,
      payment_intent_id text not null unique,
      status text not null,
      stripe_status text not null,
      amount_cents integer not null,
      captured_cents integer not null default 0,
      refunded_cents integer not null default 0,
      last_error text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`);
  }
}
