// Applies every service's pending migrations to its own schema. A step of its own: run once per
// deploy (compose `setup`, the Kubernetes Job), never by each replica at boot.
import { BaseConfig, ConfigError, createLogger, loadConfig, migrate, ormFor } from '@trades/runtime';
import { SERVICES } from './lib/services.ts';

const { DATABASE_URL, LOG_LEVEL } = loadConfigOrExit();
const log = createLogger('migrate', LOG_LEVEL);
let failed = false;
for (const { definition } of SERVICES) {
  const orm = await ormFor(definition, DATABASE_URL);
  try {
    const applied = await migrate(orm, definition.schema);
    log.info(
      { schema: definition.schema, applied },
      applied.length ? 'migrations applied' : 'schema up to date',
    );
  } catch (error) {
    failed = true;
    log.error({ err: error, schema: definition.schema }, 'migration failed; nothing of it was applied');
  } finally {
    await orm.close();
  }
}
process.exit(failed ? 1 : 0);

function loadConfigOrExit() {
  try {
    return loadConfig({ DATABASE_URL: BaseConfig.DATABASE_URL, LOG_LEVEL: BaseConfig.LOG_LEVEL });
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}
