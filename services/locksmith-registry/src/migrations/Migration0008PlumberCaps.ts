import { Migration } from '@mikro-orm/migrations';

/** A plumber's caps beyond the daily one, and the time zone every cap is counted in. */
export class Migration0008PlumberCaps extends Migration {
  override name = 'Registry0008PlumberCaps';

  override up(): void {
    this.addSql(`alter table provider
      add column weekly_cap integer not null default 0 check (weekly_cap >= 0),
      add column monthly_cap integer not null default 0 check (monthly_cap >= 0),
      add column monthly_spend_cap_cents integer not null default 0 check (monthly_spend_cap_cents >= 0),
      add column time_zone text not null default 'America/New_York'`);
  }
}
