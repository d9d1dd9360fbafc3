import { Migration } from '@mikro-orm/migrations';

/**
 * Plumbers are offered leads through dispatch's offer machinery: an offer in the log is a job's or a
 * lead's, and a pending lead offer holds a plumber like a pending job offer does.
 */
export class Migration0007LeadOffers extends Migration {
  override name = 'Registry0007LeadOffers';

  override up(): void {
    this.addSql('alter table provider_offer alter column job_id drop not null');
    this.addSql('alter table provider_offer add column lead_id uuid');
  }
}
