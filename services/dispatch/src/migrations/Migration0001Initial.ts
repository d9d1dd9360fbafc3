import { Migration } from '@mikro-orm/migrations';

export class Migration0001Initial extends Migration {
  override name = 'Dispatch0001Initial';

  override up(): void {
    this.addSql(`create table job (
      id uuid primary key,
      code text not null,
      booking_id text not null unique,
      state text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`);
  }
}
