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

/**
 * The indexes retention deletes by (`retention.ts`): handled inbox rows by `handled_at`, published outbox
 * rows by `published_at` (the rows still pending keep `outbox_unpublished_idx`). A plain CREATE INDEX:
 * migrations run in one transaction, where CONCURRENTLY cannot; it holds back inserts while it builds,
 * which on these tables' sizes is a moment.
 */
class RuntimeRetentionIndexes extends Migration {
  override name = 'Runtime0002RetentionIndexes';

  override up(): void {
    this.addSql(`create index inbox_handled_at_idx on inbox (handled_at)`);
    this.addSql(
      `create index outbox_published_at_idx on outbox (published_at) where published_at is not null`,
    );
  }

  override down(): void {
    this.addSql('drop index outbox_published_at_idx');
    this.addSql('drop index inbox_handled_at_idx');
  }
}

export const runtimeMigrations: MigrationObject[] = [
  { name: 'Runtime0001OutboxInbox', class: RuntimeOutboxInbox },
  { name: 'Runtime0002RetentionIndexes', class: RuntimeRetentionIndexes },
];
