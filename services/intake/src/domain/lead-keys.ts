import { createHash, randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY = /^tmk_(live|test)_[0-9A-Za-z]{32}$/;
/** `tmk_live_` and the key's first 8 random characters: enough to tell keys apart, useless to call with. */
const PREFIX_LENGTH = 'tmk_live_'.length + 8;

/** A partner API key: `tmk_live_<32 base62>` or `tmk_test_<…>` (about 190 random bits). */
export function newApiKey(test: boolean): { key: string; hash: string; prefix: string } {
  let random = '';
  for (let i = 0; i < 32; i++) random += BASE62[randomInt(62)];
  const key = `tmk_${test ? 'test' : 'live'}_${random}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, PREFIX_LENGTH) };
}

/** Only this is stored: a key is random enough that a fast hash is safe, and lookups stay one index probe. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function looksLikeApiKey(value: string): boolean {
  return KEY.test(value);
}

/** JSON with object keys sorted, so the same body hashes the same whatever order its fields came in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
