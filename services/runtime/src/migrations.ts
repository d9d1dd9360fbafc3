import { Migration } from '@mikro-orm/migrations';
import type { MigrationObject } from '@mikro-orm/core';

/**
 * The runtime's own tables, created in every service's schema before the service's migrations:
 * the transactional outbox and the inbox of handled event ids. `search_path` is the service's schema
 * while migrations run, so names are unqualified here.
 */
class RuntimeOutboxInbox extends Migration {
  override name = 'Runtime0001OutboxInbox';

  override up(): void {
    this.addSql(`create table outbox (
      id uuid primary key,
      subject text not null,
      payload jsonb not null,
      headers jsonb not null default '{}'::jsonb,
      created_at timestamptz not null default now(),
      published_at timestamptz,
      attempts integer not null default 0,
      last_error text
    )`);
    this.addSql(`create index outbox_unpublished_idx on outbox (created_at) where published_at is null`);
    this.addSql(`create table inbox (
      consumer text not null,
      event_id uuid not null,
      subject text not null,
      handled_at timestamptz not null default now(),
      primary key (consumer, event_id)
    )`);
  }

  override down(): void {
    this.addSql('drop table inbox');
    this.addSql('drop table outbox');
  }
}

export const runtimeMigrations: MigrationObject[] = [
  { name: 'Runtime0001OutboxInbox', class: RuntimeOutboxInbox },
];
