import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type EntityManager, type Options } from '@mikro-orm/postgresql';
import type { MigrationObject } from '@mikro-orm/core';
import { runtimeEntities } from './entities.ts';
import { runtimeMigrations } from './migrations.ts';

export type { EntityManager, MikroORM, MigrationObject };

export interface OrmOptions {
  url: string;
  /** The service's own schema: nobody else reads it. */
  schema: string;
  entities: NonNullable<Options['entities']>;
  /** The service's migrations, oldest first; the runtime's own tables come before them. */
  migrations: MigrationObject[];
  poolMax?: number;
  debug?: boolean;
  /** Shown as `application_name` in pg_stat_activity and the server's logs (`%a`): which service a connection is. */
  applicationName?: string;
}

export const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * A PostgreSQL array literal for a `?::uuid[]` / `?::text[]` placeholder (the driver binds `?` one value
 * at a time). For values without commas, quotes, braces or spaces: ids, sids, status words.
 */
export const pgArray = (values: readonly string[]): string => `{${values.join(',')}}`;

export async function createOrm(options: OrmOptions): Promise<MikroORM> {
  if (!SCHEMA_NAME.test(options.schema)) throw new Error(`invalid schema name ${options.schema}`);
  return MikroORM.init({
    clientUrl: options.url,
    schema: options.schema,
    entities: [...runtimeEntities, ...options.entities],
    extensions: [Migrator],
    migrations: {
      migrationsList: [...runtimeMigrations, ...options.migrations],
      schema: options.schema,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    pool: { min: 0, max: options.poolMax ?? 10 },
    ...(options.applicationName ? { driverOptions: { application_name: options.applicationName } } : {}),
    debug: options.debug ?? false,
    allowGlobalContext: false,
    ensureDatabase: false,
  });
}

/** Applies pending migrations to the service's schema (run as its own step, never by each replica). */
export async function migrate(orm: MikroORM, schema: string): Promise<string[]> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name ${schema}`);
  await orm.em.getConnection().execute(`create schema if not exists "${schema}"`);
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

/** Fails when the schema has migrations not yet applied: a replica must not start against an old schema. */
export async function pendingMigrations(orm: MikroORM): Promise<string[]> {
  const pending = await orm.migrator.getPending();
  return pending.map((m) => m.name);
}
