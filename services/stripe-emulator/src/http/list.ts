import type { Store } from '../domain/store.ts';
import { invalidParam, resourceMissing } from './errors.ts';
import type { Params } from './params.ts';

export const LIST_PARAMS = ['limit', 'starting_after', 'ending_before', 'created'] as const;

export interface ApiList<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/**
 * Stripe's cursor pagination over `items`, newest first: `limit` (1–100, default 10),
 * `starting_after` / `ending_before` ids, and a `created` filter (exact or gt/gte/lt/lte).
 */
export function paginate<T extends { id: string; created: number }>(
  items: Iterable<T>,
  params: Params,
  url: string,
  store: Store,
  kind: string,
): ApiList<T> {
  const limit = params.integer('limit', { min: 1, max: 100 }) ?? 10;
  const startingAfter = params.nonEmptyString('starting_after');
  const endingBefore = params.nonEmptyString('ending_before');
  if (startingAfter !== undefined && endingBefore !== undefined) {
    throw invalidParam(
      'You may only specify one of these parameters: ending_before, starting_after.',
      'ending_before',
    );
  }
  const created = createdFilter(params);
  const sorted = [...items]
    .filter((item) => created(item.created))
    .sort((a, b) => b.created - a.created || store.sequenceOf(b.id) - store.sequenceOf(a.id));

  let page: T[];
  let hasMore: boolean;
  if (startingAfter !== undefined) {
    const index = sorted.findIndex((item) => item.id === startingAfter);
    if (index === -1) throw resourceMissing(kind, startingAfter, 'starting_after');
    const rest = sorted.slice(index + 1);
    page = rest.slice(0, limit);
    hasMore = rest.length > limit;
  } else if (endingBefore !== undefined) {
    const index = sorted.findIndex((item) => item.id === endingBefore);
    if (index === -1) throw resourceMissing(kind, endingBefore, 'ending_before');
    const before = sorted.slice(0, index);
    page = before.slice(Math.max(0, before.length - limit));
    hasMore = before.length > limit;
  } else {
    page = sorted.slice(0, limit);
    hasMore = sorted.length > limit;
  }
  return { object: 'list', data: page.map((item) => structuredClone(item)), has_more: hasMore, url };
}

function createdFilter(params: Params): (created: number) => boolean {
  if (!params.has('created')) return () => true;
  if (params.kind('created') === 'string') {
    const exact = params.integer('created');
    return (created) => created === exact;
  }
  const range = params.object('created');
  if (range === undefined) return () => true;
  range.only(['gt', 'gte', 'lt', 'lte']);
  const gt = range.integer('gt');
  const gte = range.integer('gte');
  const lt = range.integer('lt');
  const lte = range.integer('lte');
  return (created) =>
    (gt === undefined || created > gt) &&
    (gte === undefined || created >= gte) &&
    (lt === undefined || created < lt) &&
    (lte === undefined || created <= lte);
}
