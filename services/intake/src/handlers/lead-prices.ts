import { badRequest, plumbingService, pricing } from '@trades/contracts';
import { endpoint, type EndpointBinding, type ServiceContext } from '@trades/runtime';
import { keysetPage, resumeAfter } from '../domain/keyset.ts';
import { isRemovablePrice } from '../domain/lead-price.ts';
import { listPriceChanges, listPrices, removePrice, setPrice, toPriceChange } from '../store/prices.ts';

/** History ids are the change table's identity column. */
const CHANGE_ID = /^[0-9]{1,19}$/;

function knownService(serviceCode: string): void {
  if (!plumbingService(serviceCode))
    throw badRequest(
      'UNKNOWN_SERVICE',
      `"${serviceCode}" is not a plumbing service; prices are set for the services of the lead form.`,
    );
}

/**
 * The lead price table as operators edit it. No replica caches a price: `lead.submit` reads the table in
 * its own transaction, so a change is in force for every lead accepted once it commits, on every replica.
 */
export function leadPriceEndpoints(ctx: ServiceContext<unknown>): EndpointBinding[] {
  return [
    endpoint(pricing.LeadPriceList, async () => ({ items: await listPrices(ctx.orm.em.fork()) })),

    endpoint(pricing.LeadPriceSet, async ({ serviceCode, urgency, zipPrefix, priceCents, actor }) => {
      knownService(serviceCode);
      return ctx.transaction((em) => setPrice(em, { serviceCode, urgency, zipPrefix }, priceCents, actor));
    }),

    endpoint(pricing.LeadPriceRemove, async ({ serviceCode, urgency, zipPrefix, actor }) => {
      knownService(serviceCode);
      if (!isRemovablePrice(zipPrefix))
        throw badRequest(
          'BASE_PRICE_REQUIRED',
          'The base price of a service and urgency cannot be removed; change it instead, or name the ZIP prefix to remove.',
        );
      const removed = await ctx.transaction((em) =>
        removePrice(em, { serviceCode, urgency, zipPrefix }, actor),
      );
      return { removed };
    }),

    endpoint(pricing.LeadPriceHistory, async ({ cursor, limit }) => {
      const pageSize = limit ?? 50;
      const rows = await listPriceChanges(ctx.orm.em.fork(), resumeAfter(cursor, CHANGE_ID), pageSize);
      return keysetPage(rows, pageSize, toPriceChange);
    }),
  ];
}
