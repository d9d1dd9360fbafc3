import { Migration } from '@mikro-orm/migrations';

export class Migration0001Initial extends Migration {
  override name = 'Registry0001Initial';

  override up(): void {
    this.addSql('create extension if not exists cube');
    this.addSql('create extension if not exists earthdistance');
    this.addSql(`create table provider (
      id uuid primary key,
      name text not null,
      phone text not null unique,
      trade text not null default 'locksmith',
      status text not null default 'active',
      available boolean not null default true,
      lat double precision not null,
      lng double precision not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`);
  }
}
