import { Migration } from '@mikro-orm/migrations';

export class Migration0002AwaitingRegistry extends Migration {
  override name = 'Messaging0002AwaitingRegistry';

  override up(): void {
    // An inbound SMS that arrived while the registry could not say who sent it: kept (Twilio does not
    // retry an inbound webhook), and handed on once the registry answers again.
    this.addSql('alter table message add column awaiting_registry boolean not null default false');
    this.addSql('create index message_awaiting_registry on message (created_at) where awaiting_registry');
  }

  override down(): void {
    this.addSql('drop index message_awaiting_registry');
    this.addSql('alter table message drop column awaiting_registry');
  }
}
