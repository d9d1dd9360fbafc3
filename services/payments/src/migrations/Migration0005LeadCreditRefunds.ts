import { Migration } from '@mikro-orm/migrations';

/**
 * A credit's refund on a lead's charge: one row per credit (dispatch's credit id), written with its
 * result event in one transaction, so a redelivered approval refunds nothing twice (and the Stripe call
 * carries the idempotency key `lead-credit:<creditId>`). `failed`: Stripe refused it for good.
 */
export class Migration0005LeadCreditRefunds extends Migration {
  override name = 'Payments0005LeadCreditRefunds';

  override up(): void {
    this.addSql(`create table lead_credit_refund (
      credit_id uuid primary key,
      lead_id uuid not null,
      provider_id uuid not null,
      payment_intent_id text,
      refund_id text,
      status text not null check (status in ('refunded', 'failed')),
      amount_cents integer not null check (amount_cents > 0),
      code text,
      message text,
      created_at timestamptz not null default now()
    )`);
    this.addSql('create index lead_credit_refund_lead_idx on lead_credit_refund (lead_id, created_at)');
  }
}
