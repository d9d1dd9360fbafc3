import { Migration } from '@mikro-orm/migrations';

/**
 * Plumbers are providers with trade `plumber` and what a lead buyer needs besides: first and last name,
 * an email unique among plumbers (case-insensitive), the ZIP codes they buy leads in (none listed: every
 * ZIP within their radius of their base ZIP), a daily lead cap (0 = none), and their card on file as
 * payments last reported it (`card_updated_at` orders those reports, so a late, older one is ignored).
 * The GIN index answers "who lists this ZIP"; the radius case uses the earth-point GiST index.
 */
export class Migration0006Plumbers extends Migration {
  override name = 'Registry0006Plumbers';

  override up(): void {
    this.addSql(`alter table provider
      add column first_name text check (length(first_name) between 1 and 60),
      add column last_name text check (length(last_name) between 1 and 60),
      add column coverage_zips text[] not null default '{}'
        check (array_to_string(coverage_zips, ',') ~ '^([0-9]{5}(,[0-9]{5})*)?$'),
      add column daily_cap integer not null default 0 check (daily_cap >= 0),
      add column stripe_customer_id text,
      add column card_status text not null default 'none' check (card_status in ('none', 'saved', 'needs_update')),
      add column card_brand text,
      add column card_last4 text check (card_last4 ~ '^[0-9]{4}$'),
      add column card_updated_at timestamptz`);
    this.addSql(
      `create unique index provider_plumber_email_unique on provider (lower(email)) where trade = 'plumber'`,
    );
    this.addSql(
      `create index provider_plumber_coverage_gin on provider using gin (coverage_zips) where trade = 'plumber'`,
    );
  }

  override down(): void {
    this.addSql('drop index provider_plumber_coverage_gin');
    this.addSql('drop index provider_plumber_email_unique');
    this.addSql(`alter table provider
      drop column first_name, drop column last_name, drop column coverage_zips, drop column daily_cap,
      drop column stripe_customer_id, drop column card_status, drop column card_brand, drop column card_last4,
      drop column card_updated_at`);
  }
}
