import { badRequest } from '@trades/contracts';

/** Keyset position in a newest-first list: the last row's creation time (microseconds kept) and id. */
export interface ListPosition {
  createdAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: ListPosition): string {
  return Buffer.from(`${position.createdAt}|${position.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): ListPosition {
  const [createdAt, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (extra !== undefined || !createdAt || !id || !UUID.test(id) || Number.isNaN(Date.parse(createdAt))) {
    throw badRequest(
      'INVALID_CURSOR',
      'The cursor is not one this list handed out; start from the first page.',
    );
  }
  return { createdAt, id };
}
