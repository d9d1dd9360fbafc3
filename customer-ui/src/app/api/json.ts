/**
 * Small readers for JSON the API sends: each checks a value's shape and returns it typed, or
 * throws a JsonShapeError naming what was wrong (the API client reports it as BAD_RESPONSE).
 */
export type JsonObject = Record<string, unknown>;

export class JsonShapeError extends Error {
  override name = 'JsonShapeError';
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown, what: string): JsonObject {
  if (isJsonObject(value)) return value;
  throw new JsonShapeError(`${what} is not an object`);
}

export function asArray(value: unknown, what: string): readonly unknown[] {
  if (Array.isArray(value)) return value;
  throw new JsonShapeError(`${what} is not a list`);
}

export function readString(o: JsonObject, key: string, what: string): string {
  const value = o[key];
  if (typeof value === 'string') return value;
  throw new JsonShapeError(`${what}.${key} is missing`);
}

export function readNumber(o: JsonObject, key: string, what: string): number {
  const value = o[key];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new JsonShapeError(`${what}.${key} is not a number`);
}

export function readBoolean(o: JsonObject, key: string, what: string): boolean {
  const value = o[key];
  if (typeof value === 'boolean') return value;
  throw new JsonShapeError(`${what}.${key} is not true or false`);
}

export function optionalString(o: JsonObject, key: string, what: string): string | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  throw new JsonShapeError(`${what}.${key} is not text`);
}

export function optionalNumber(o: JsonObject, key: string, what: string): number | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new JsonShapeError(`${what}.${key} is not a number`);
}
