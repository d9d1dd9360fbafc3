import { registry } from '@trades/contracts';
import { defineService, endpoint } from '@trades/runtime';
import { migrations } from './migrations/index.ts';

/** Locksmith registry: providers, their services, location, coverage, availability and stats. */
export const registryService = defineService({
  name: 'registry',
  version: '0.1.0',
  description: 'Providers (locksmiths and plumbers): contact, services, coverage, availability, stats',
  schema: 'registry',
  config: {},
  entities: [],
  migrations,
  setup: (ctx) => ({
    endpoints: [
      endpoint(registry.RegistryStats, async () => {
        const [row] = await ctx.orm.em.fork().execute<{ active: number; available: number }[]>(
          `select count(*) filter (where status = 'active')::int as active,
                  count(*) filter (where status = 'active' and available)::int as available
           from registry.provider where trade = 'locksmith'`,
        );
        return { activeLocksmiths: row?.active ?? 0, availableLocksmiths: row?.available ?? 0 };
      }),
    ],
    consumers: [],
  }),
});
