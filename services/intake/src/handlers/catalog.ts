import { intake } from '@trades/contracts';
import { endpoint, type EndpointBinding, type ServiceContext } from '@trades/runtime';
import { CatalogService } from '../entities/catalog-service.ts';

export function catalogEndpoints(ctx: ServiceContext<unknown>): EndpointBinding[] {
  return [
    endpoint(intake.CatalogList, async () => {
      const rows = await ctx.orm.em
        .fork()
        .find(CatalogService, { active: true }, { orderBy: { position: 'asc' } });
      return {
        items: rows.map((r) => ({
          code: r.code,
          name: r.name,
          description: r.description,
          depositCents: r.depositCents,
          priceMinCents: r.priceMinCents,
          priceMaxCents: r.priceMaxCents,
        })),
      };
    }),
  ];
}
