import { badRequest } from '@trades/contracts';
import { decodeCursor, encodeCursor } from './session.ts';

export interface KeysetPosition {
  createdAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where a list resumes: the cursor's (created_at, id), or 400 INVALID_CURSOR for one no list handed out. */
export function resumeAfter(cursor: string | undefined, id: RegExp = UUID): KeysetPosition | undefined {
  if (cursor === undefined) return undefined;
  const position = decodeCursor(cursor);
  if (!position || !id.test(position.id))
    throw badRequest(
      'INVALID_CURSOR',
      'The cursor is not one this list handed out; start from the first page.',
    );
  return position;
}

/**
 * One page of rows read newest first with one row more than the page holds: the page, and the cursor of
 * the next one when that extra row exists.
 */
export function keysetPage<R extends { id: string; created_at: Date | string }, T>(
  rows: readonly R[],
  pageSize: number,
  toItem: (row: R) => T,
): { items: T[]; nextCursor: string | null } {
  const page = rows.slice(0, pageSize);
  const last = page.at(-1);
  return {
    items: page.map(toItem),
    nextCursor:
      rows.length > pageSize && last ? encodeCursor(new Date(last.created_at).toISOString(), last.id) : null,
  };
}
