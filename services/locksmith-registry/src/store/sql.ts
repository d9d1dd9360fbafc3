// Pieces of SQL every provider list and update shares (locksmiths and plumbers alike).
import { pgArray } from '@trades/runtime';
import { encodeCursor } from '../domain/cursor.ts';

export const iso = (value: Date | string): string => new Date(value).toISOString();

/**
 * The `set` list of an update from the changes given (undefined: left as it is), `updated_at` always;
 * arrays are written as PostgreSQL text arrays.
 */
export function assignments<K extends string>(
  changes: Partial<Record<K, unknown>>,
  columnOf: Record<K, string>,
): { sql: string; params: unknown[] } {
  const sets: string[] = ['updated_at = now()'];
  const params: unknown[] = [];
  for (const key of Object.keys(columnOf) as K[]) {
    const value = changes[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      sets.push(`${columnOf[key]} = ?::text[]`);
      params.push(pgArray(value.map(String)));
    } else {
      sets.push(`${columnOf[key]} = ?`);
      params.push(value);
    }
  }
  return { sql: sets.join(', '), params };
}

/**
 * An operator's search box: a number as typed ("(415) 555-0177") matches by its digits through
 * `digitsCondition` (one `?` per digit-string parameter it takes, `digitParams` of them); any other text
 * matches any fragment of the name, number or email.
 */
export function textSearch(
  q: string,
  digitsCondition = 'p.phone like ?',
  digitParams: (digits: string) => unknown[] = (digits) => [`%${digits}%`],
): { sql: string; params: unknown[] } {
  const digits = q.replace(/[^0-9]/g, '');
  if (/^[0-9\s()+.-]+$/.test(q) && digits.length >= 4)
    return { sql: digitsCondition, params: digitParams(digits) };
  return {
    sql: `(p.name || ' ' || p.phone || ' ' || coalesce(p.email, '')) ilike ?`,
    params: [`%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
  };
}

/** One page of a newest-first keyset list fetched with `limit + 1` rows: the items and the next cursor. */
export function keysetPage<R extends { id: string; created_at_exact: string }, T>(
  rows: R[],
  limit: number,
  toItem: (row: R) => T,
): { items: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toItem),
    nextCursor:
      rows.length > limit && last ? encodeCursor({ createdAt: last.created_at_exact, id: last.id }) : null,
  };
}
