import type { EmulatorCore } from '../domain/core.ts';
import { resourceMissing } from '../http/errors.ts';
import { LIST_PARAMS, paginate } from '../http/list.ts';
import type { StripeRoute } from '../http/router.ts';

export function eventRoutes(core: EmulatorCore): StripeRoute[] {
  return [
    {
      method: 'GET',
      path: '/events/:id',
      accepts: [],
      handle: ({ path }) => {
        const id = path['id'] ?? '';
        const event = core.store.events.get(id);
        if (event === undefined) throw resourceMissing('event', id, 'id');
        return event;
      },
    },
    {
      method: 'GET',
      path: '/events',
      accepts: [...LIST_PARAMS, 'type', 'types', 'delivery_success'],
      handle: ({ params }) => {
        const type = params.nonEmptyString('type');
        const types = params.stringList('types');
        const deliverySuccess = params.boolean('delivery_success');
        const delivered = new Set(
          core.webhooks
            .deliveries()
            .filter((delivery) => delivery.status === 'succeeded')
            .map((delivery) => delivery.eventId),
        );
        const events = [...core.store.events.values()].filter(
          (event) =>
            (type === undefined || matchesType(event.type, type)) &&
            (types === undefined || types.some((candidate) => matchesType(event.type, candidate))) &&
            (deliverySuccess === undefined || delivered.has(event.id) === deliverySuccess),
        );
        return paginate(events, params, '/v1/events', core.store, 'event');
      },
    },
  ];
}

/** Stripe's `type` filter allows one `*` wildcard: `payment_intent.*`. */
function matchesType(type: string, pattern: string): boolean {
  if (!pattern.includes('*')) return type === pattern;
  const [prefix = '', suffix = ''] = pattern.split('*', 2);
  return type.startsWith(prefix) && type.endsWith(suffix) && type.length >= prefix.length + suffix.length;
}
