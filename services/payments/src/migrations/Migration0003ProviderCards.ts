import { Migration } from '@mikro-orm/migrations';

export class Migration0003ProviderCards extends Migration {
  override name = 'Payments0003ProviderCards';

  override up(): void {
    // One Stripe customer per provider, and the card on file as the last SetupIntent folded in left it.
    // setup_intent_created orders the folds: a late webhook for an older SetupIntent changes nothing.
    this.addSql(`create table provider_customer (
      provider_id uuid primary key,
      stripe_customer_id text not null unique,
      default_payment_method text,
      card_status text not null default 'none' check (card_status in ('none', 'saved', 'needs_update')),
      card_brand text,
      card_last4 text,
      setup_intent_id text,
      setup_intent_created bigint,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`);

    // Single-use links to save a card. Only the token's SHA-256 is kept; a newer link supersedes the
    // provider's older unused ones.
    this.addSql(`create table card_link (
      id uuid primary key,
      provider_id uuid not null references provider_customer (provider_id),
      token_hash text not null unique,
      first_name text not null,
      setup_intent_id text unique,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      used_at timestamptz,
      superseded_at timestamptz
    )`);
    this.addSql(`create index card_link_provider_idx on card_link (provider_id, created_at desc)`);
  }
}
