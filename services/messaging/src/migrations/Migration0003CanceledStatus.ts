import { Migration } from '@mikro-orm/migrations';

const STATUSES = `'received', 'pending', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'suppressed'`;

export class Migration0003CanceledStatus extends Migration {
  override name = 'Messaging0003CanceledStatus';

  override up(): void {
    // `canceled`: an offer SMS withdrawn before it left, because its offer closed first. Added NOT VALID
    // and validated apart, so the log is not locked against writes while its rows are checked.
    this.addSql('alter table message drop constraint message_status_check');
    this.addSql(
      `alter table message add constraint message_status_check check (status in (${STATUSES}, 'canceled')) not valid`,
    );
    this.addSql('alter table message validate constraint message_status_check');
  }

  override down(): void {
    this.addSql("update message set status = 'failed', error_code = 'CANCELED' where status = 'canceled'");
    this.addSql('alter table message drop constraint message_status_check');
    this.addSql(`alter table message add constraint message_status_check check (status in (${STATUSES}))`);
  }
}
