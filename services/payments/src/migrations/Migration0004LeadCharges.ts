import { Migration } from '@mikro-orm/migrations';

/**
 * A plumber's charge for a lead they said YES to: one row per (lead, plumber), written with its result
 * event in one transaction, so a redelivered request charges nobody twice (and the Stripe call itself
 * carries the idempotency key `lead-charge:<leadId>:<providerId>`).
 */
export class Migration0004LeadCharges extends Migration {
  override name = 'Payments0004LeadCharges';

  override up(): void {
    this.addSql(`create table lead_charge (
      lead_id uuid not null,
      provider_id uuid not null,
      charge_attempt integer not null check (charge_attempt >= 0),
      idempotency_key text not null,
      payment_intent_id text,
      status text not null check (status in ('succeeded', 'failed', 'refunded')),
      amount_cents integer not null check (amount_cents >= 0),
      code text,
      message text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (lead_id, provider_id)
    )`);
    this.addSql(
      'create index lead_charge_intent_idx on lead_charge (payment_intent_id) where payment_intent_id is not null',
    );
  }
}
