/** Raw queries return timestamps as text or Date; both are read. */
export type Timestamp = Date | string;

export const iso = (value: Timestamp): string => new Date(value).toISOString();

export const isoOrNull = (value: Timestamp | null): string | null => (value === null ? null : iso(value));
