import { Migration } from '@mikro-orm/migrations';

/**
 * A lead's public status follows dispatch's sale (`evt.dispatch.lead.*`): `sale_state_at` is the time
 * of the sale event the status was last taken from, so a late, older event changes nothing.
 */
export class Migration0003LeadStatus extends Migration {
  override name = 'Intake0003LeadStatus';

  override up(): void {
    this.addSql('alter table lead add column sale_state_at timestamptz');
  }
}
