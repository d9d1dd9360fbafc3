import { Migration } from '@mikro-orm/migrations';

export class Migration0004SendLease extends Migration {
  override name = 'Messaging0004SendLease';

  override up(): void {
    // Until when a sender holds a pending message it is handing to Twilio. The sender claims a batch in
    // one short transaction and calls Twilio outside any: a database connection is never held across an
    // HTTP call. A sender that dies mid-call leaves a lease that simply runs out.
    this.addSql('alter table message add column leased_until timestamptz');
  }

  override down(): void {
    this.addSql('alter table message drop column leased_until');
  }
}
