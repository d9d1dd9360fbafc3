import type { Store } from '../domain/store.ts';
import { invalidParam } from './errors.ts';

const MAX_DEPTH = 4;

/**
 * Applies Stripe's `expand[]` to a response: each dotted path names a field holding an
 * id, replaced by the object it names; `data.` reaches into every item of a list.
 */
export function expandResponse(response: object, paths: readonly string[], store: Store): void {
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.length > MAX_DEPTH) {
      throw invalidParam(
        `You cannot expand more than ${MAX_DEPTH} levels of a property. Property: ${path}`,
        'expand',
      );
    }
    expandAt(response, segments, path, store);
  }
}

function expandAt(target: object, segments: readonly string[], path: string, store: Store): void {
  const [head, ...rest] = segments;
  if (head === undefined) return;
  const record = target as Record<string, unknown>;
  if (record['object'] === 'list' && head === 'data' && Array.isArray(record['data'])) {
    for (const item of record['data']) {
      if (typeof item === 'object' && item !== null) expandAt(item, rest, path, store);
    }
    return;
  }
  if (!Object.hasOwn(record, head)) throw cannotExpand(path);
  const value = record[head];
  if (value === null) return;
  if (typeof value === 'string') {
    const found = store.find(value);
    if (found === undefined) throw cannotExpand(path);
    const copy = structuredClone(found);
    record[head] = copy;
    expandAt(copy, rest, path, store);
    return;
  }
  if (typeof value === 'object' && rest.length > 0) {
    expandAt(value, rest, path, store);
    return;
  }
  if (typeof value === 'object') return;
  throw cannotExpand(path);
}

function cannotExpand(path: string) {
  return invalidParam(`This property cannot be expanded (${path}).`, 'expand');
}
