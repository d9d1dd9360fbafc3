import { defineEntity, p } from '@mikro-orm/core';

export const CatalogService = defineEntity({
  name: 'CatalogService',
  tableName: 'catalog_service',
  properties: {
    code: p.string().primary(),
    name: p.string(),
    description: p.string(),
    depositCents: p.integer(),
    priceMinCents: p.integer(),
    priceMaxCents: p.integer(),
    position: p.integer(),
    active: p.boolean(),
  },
});
