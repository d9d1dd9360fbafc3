import { Migration } from '@mikro-orm/migrations';

/**
 * Caps at the moment of sale. `lead.buyer_caps`: the caps the current buyer's sale was checked against
 * (their offer's `provider_caps`, or the registry's plumber for an operator sale), what the sale's
 * "you reached your cap" notice is measured with. `plumber_cap_notice`: one row per plumber, cap and
 * window, so that notice goes out once per window.
 */
export class Migration0005PlumberCaps extends Migration {
  override name = 'Dispatch0005PlumberCaps';

  override up(): void {
    this.addSql('alter table lead add column buyer_caps jsonb');
    this.addSql(`create table plumber_cap_notice (
      plumber_id uuid not null,
      cap text not null check (cap in ('daily','weekly','monthly','monthly_spend')),
      window_start timestamptz not null,
      cap_limit integer not null,
      used integer not null,
      at timestamptz not null default clock_timestamp(),
      primary key (plumber_id, cap, window_start)
    )`);
  }
}
