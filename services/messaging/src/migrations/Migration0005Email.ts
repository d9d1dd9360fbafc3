import { Migration } from '@mikro-orm/migrations';

export class Migration0005Email extends Migration {
  override name = 'Messaging0005Email';

  override up(): void {
    // Email joins SMS in the one message log: `channel` says which, from_phone / to_phone hold the
    // addresses of an email, `subject` and `html_body` its other parts (`body` is the plain-text part).
    // A constant default adds the column without rewriting the table; the check is added NOT VALID and
    // validated apart, so the log is not locked against writes while its rows are checked.
    this.addSql(`alter table message add column channel text not null default 'sms'`);
    this.addSql(
      `alter table message add constraint message_channel_check check (channel in ('sms', 'email')) not valid`,
    );
    this.addSql('alter table message validate constraint message_channel_check');
    this.addSql('alter table message add column subject text');
    this.addSql('alter table message add column html_body text');
    // The lead a message is about (the lead sale sends offers, contact details and confirmations).
    this.addSql('alter table message add column lead_id uuid');
    // Each channel's sender claims only its own pending rows.
    this.addSql(
      "create index message_pending_channel on message (channel, next_attempt_at) where status = 'pending'",
    );
    this.addSql('drop index message_pending');
    this.addSql('create index message_channel on message (channel, created_at desc, id desc)');
    this.addSql('create index message_lead on message (lead_id, created_at desc) where lead_id is not null');
  }

  override down(): void {
    this.addSql('drop index message_lead');
    this.addSql('drop index message_channel');
    this.addSql("create index message_pending on message (next_attempt_at) where status = 'pending'");
    this.addSql('drop index message_pending_channel');
    this.addSql("delete from message where channel = 'email'");
    this.addSql('alter table message drop column lead_id');
    this.addSql('alter table message drop column html_body');
    this.addSql('alter table message drop column subject');
    this.addSql('alter table message drop constraint message_channel_check');
    this.addSql('alter table message drop column channel');
  }
}
