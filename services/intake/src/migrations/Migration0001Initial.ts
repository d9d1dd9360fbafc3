import { Migration } from '@mikro-orm/migrations';
import { DEFAULT_CATALOG } from '../domain/catalog.ts';

export class Migration0001Initial extends Migration {
  override name = 'Intake0001Initial';

  override up(): void {
    this.addSql(`create table catalog_service (
      code text primary key,
      name text not null,
      description text not null,
      deposit_cents integer not null check (deposit_cents >= 50),
      price_min_cents integer not null,
      price_max_cents integer not null check (price_max_cents >= price_min_cents),
      position integer not null,
      active boolean not null default true
    )`);
    DEFAULT_CATALOG.forEach((s, position) => {
      this.addSql(
        `insert into catalog_service (code, name, description, deposit_cents, price_min_cents, price_max_cents, position)
         values ('${s.code}', '${s.name.replaceAll("'", "''")}', '${s.description.replaceAll("'", "''")}', ${s.depositCents}, ${s.priceMinCents}, ${s.priceMaxCents}, ${position})`,
      );
    });
  }
}
