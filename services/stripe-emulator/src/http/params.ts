import type { FormObject, FormValue } from './form.ts';
import { invalidParam } from './errors.ts';

const MAX_AMOUNT = 99_999_999;

/**
 * Reads one request's decoded parameters with Stripe's validation messages. Every
 * endpoint names the top-level parameters it accepts; anything else is rejected the way
 * Stripe rejects it, so code that sends a parameter the emulator would silently drop
 * fails here instead of passing locally and misbehaving against Stripe.
 */
export class Params {
  readonly #values: FormObject;
  readonly #prefix: string;

  constructor(values: FormObject, prefix = '') {
    this.#values = values;
    this.#prefix = prefix;
  }

  /** Rejects any key not in `allowed`; `expand` is always allowed, as on every Stripe endpoint. */
  only(allowed: readonly string[]): this {
    for (const key of Object.keys(this.#values)) {
      if (key !== 'expand' && !allowed.includes(key)) {
        throw invalidParam(
          `Received unknown parameter: ${this.name(key)}`,
          this.name(key),
          'parameter_unknown',
        );
      }
    }
    return this;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.#values, key);
  }

  kind(key: string): 'string' | 'array' | 'object' | undefined {
    const value = this.#raw(key);
    if (value === undefined) return undefined;
    if (typeof value === 'string') return 'string';
    return Array.isArray(value) ? 'array' : 'object';
  }

  keys(): string[] {
    return Object.keys(this.#values);
  }

  name(key: string): string {
    return this.#prefix === '' ? key : `${this.#prefix}[${key}]`;
  }

  string(key: string): string | undefined {
    const value = this.#raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw this.#invalidType(key, 'a string');
    return value;
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined) throw this.#missing(key);
    if (value === '') throw this.#emptyNotAllowed(key);
    return value;
  }

  /** A string that may be unset: the empty string means null, as in Stripe. */
  nullableString(key: string, maxLength = 5000): string | null | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (value === '') return null;
    if (value.length > maxLength) {
      throw invalidParam(
        `Invalid string: ${value.slice(0, 20)}...; must be at most ${maxLength} characters`,
        this.name(key),
        'parameter_invalid_string',
      );
    }
    return value;
  }

  /** A non-empty string that cannot be unset. */
  nonEmptyString(key: string): string | undefined {
    const value = this.string(key);
    if (value === '') throw this.#emptyNotAllowed(key);
    return value;
  }

  integer(key: string, options: { min?: number; max?: number } = {}): number | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (value === '') throw this.#emptyNotAllowed(key);
    if (!/^-?[0-9]+$/.test(value)) {
      throw invalidParam(`Invalid integer: ${value}`, this.name(key), 'parameter_invalid_integer');
    }
    const number = Number(value);
    const min = options.min ?? Number.MIN_SAFE_INTEGER;
    const max = options.max ?? Number.MAX_SAFE_INTEGER;
    if (number < min) {
      throw invalidParam(
        `Invalid integer: ${value}; must be at least ${min}`,
        this.name(key),
        'parameter_invalid_integer',
      );
    }
    if (number > max) {
      throw invalidParam(
        `Invalid integer: ${value}; must be at most ${max}`,
        this.name(key),
        'parameter_invalid_integer',
      );
    }
    return number;
  }

  requiredInteger(key: string, options: { min?: number; max?: number } = {}): number {
    const value = this.integer(key, options);
    if (value === undefined) throw this.#missing(key);
    return value;
  }

  amount(key: string): number | undefined {
    return this.integer(key, { min: 0, max: MAX_AMOUNT });
  }

  boolean(key: string): boolean | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw invalidParam(`Invalid boolean: ${value}`, this.name(key));
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    const found = allowed.find((candidate) => candidate === value);
    if (found === undefined) {
      const list =
        allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')}, or ${allowed.at(-1)}` : allowed.join('');
      throw invalidParam(`Invalid ${this.name(key)}: must be one of ${list}`, this.name(key));
    }
    return found;
  }

  stringList(key: string): string[] | undefined {
    const value = this.#raw(key);
    if (value === undefined) return undefined;
    if (value === '') return [];
    if (!Array.isArray(value)) throw this.#invalidType(key, 'an array');
    return value.flatMap((item, index) => {
      if (item === undefined) return [];
      if (typeof item !== 'string') throw this.#invalidType(`${key}[${index}]`, 'a string');
      return [item];
    });
  }

  object(key: string): Params | undefined {
    const value = this.#raw(key);
    if (value === undefined) return undefined;
    if (typeof value === 'string' || Array.isArray(value)) throw this.#invalidType(key, 'an object');
    return new Params(value, this.name(key));
  }

  /** `object` that may be unset with an empty string (returns null). */
  nullableObject(key: string): Params | null | undefined {
    if (this.#raw(key) === '') return null;
    return this.object(key);
  }

  /**
   * Stripe metadata: up to 50 keys of at most 40 characters, values of at most 500.
   * An empty string for the whole field clears it (null); an empty value deletes one key.
   */
  metadata(key = 'metadata'): Record<string, string> | null | undefined {
    const value = this.#raw(key);
    if (value === undefined) return undefined;
    if (value === '') return null;
    if (typeof value === 'string' || Array.isArray(value)) throw this.#invalidType(key, 'an object');
    const entries = Object.entries(value);
    if (entries.length > 50) {
      throw invalidParam('Metadata can have at most 50 keys.', this.name(key), 'parameter_invalid_string');
    }
    const result: Record<string, string> = {};
    for (const [metaKey, metaValue] of entries) {
      if (typeof metaValue !== 'string') throw this.#invalidType(`${key}[${metaKey}]`, 'a string');
      if (metaKey.length > 40) {
        throw invalidParam(
          `Metadata keys can be at most 40 characters long (${metaKey}).`,
          this.name(key),
          'parameter_invalid_string',
        );
      }
      if (metaValue.length > 500) {
        throw invalidParam(
          `Metadata values can be at most 500 characters long (${metaKey}).`,
          this.name(`${key}[${metaKey}]`),
          'parameter_invalid_string',
        );
      }
      result[metaKey] = metaValue;
    }
    return result;
  }

  #raw(key: string): FormValue | undefined {
    return Object.hasOwn(this.#values, key) ? this.#values[key] : undefined;
  }

  #missing(key: string) {
    return invalidParam(`Missing required param: ${this.name(key)}.`, this.name(key), 'parameter_missing');
  }

  #emptyNotAllowed(key: string) {
    const name = this.name(key);
    return invalidParam(
      `You passed an empty string for '${name}'. We assume empty values are an attempt to unset a parameter; however '${name}' cannot be unset. You should remove '${name}' from your request or supply a non-empty value.`,
      name,
      'parameter_invalid_empty',
    );
  }

  #invalidType(key: string, expected: string) {
    return invalidParam(`Invalid ${this.name(key)}: must be ${expected}`, this.name(key));
  }
}

/** Applies a metadata update the way Stripe does: keys merge, an empty value deletes a key. */
export function mergeMetadata(
  current: Record<string, string>,
  update: Record<string, string> | null | undefined,
): Record<string, string> {
  if (update === undefined) return current;
  if (update === null) return {};
  const merged = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** Metadata on create: empty values are simply not stored. */
export function initialMetadata(value: Record<string, string> | null | undefined): Record<string, string> {
  return mergeMetadata({}, value);
}
