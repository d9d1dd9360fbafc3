import { Migration } from '@mikro-orm/migrations';

/**
 * Lead analytics count sales and completions by when they happened (`sold_at`, `completed_at`), not by
 * when the lead came in: a period's sales are found by these indexes instead of a scan of every lead.
 * The price table's history is read newest first.
 */
export class Migration0005LeadAnalytics extends Migration {
  override name = 'Intake0005LeadAnalytics';

  override up(): void {
    this.addSql('create index lead_sold_at_idx on lead (sold_at) where sold_at is not null');
    this.addSql('create index lead_completed_at_idx on lead (completed_at) where completed_at is not null');
    this.addSql('create index lead_price_change_at_idx on lead_price_change (at desc, id desc)');
  }
}
