import { Migration } from '@mikro-orm/migrations';

export class Migration0001Initial extends Migration {
  override name = 'Messaging0001Initial';

  override up(): void {
    this.addSql(`create table message (
      id uuid primary key,
      sid text unique,
      direction text not null,
      from_phone text not null,
      to_phone text not null,
      body text not null,
      status text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`);
  }
}
