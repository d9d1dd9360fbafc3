/**
 * Decodes Stripe's v1 request encoding: `application/x-www-form-urlencoded` bodies and
 * query strings whose keys use bracket notation, as the `stripe` SDK writes them:
 * `metadata[job_id]=42`, `expand[0]=latest_charge`, `card[exp_month]=12`.
 * Numeric (or empty) brackets build arrays; named brackets build objects.
 */

export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

export class FormDecodeError extends Error {}

export function decodeStripeForm(encoded: string): FormObject {
  const root: FormObject = {};
  if (encoded.length === 0) return root;
  for (const pair of encoded.split('&')) {
    if (pair.length === 0) continue;
    const equals = pair.indexOf('=');
    const rawKey = equals === -1 ? pair : pair.slice(0, equals);
    const rawValue = equals === -1 ? '' : pair.slice(equals + 1);
    const path = splitKey(decodeComponent(rawKey));
    assign(root, path, decodeComponent(rawValue), rawKey);
  }
  return root;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new FormDecodeError(`Invalid percent-encoding in request parameters near '${text.slice(0, 40)}'.`);
  }
}

/** `a[b][0]` → ['a', 'b', '0']; `expand[]` → ['expand', ''] */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open === -1) return [key];
  const path = [key.slice(0, open)];
  const bracketed = key.slice(open);
  const pattern = /\[([^\]]*)\]/g;
  let consumed = 0;
  for (const match of bracketed.matchAll(pattern)) {
    if (match.index !== consumed) break;
    path.push(match[1] ?? '');
    consumed += match[0].length;
  }
  if (consumed !== bracketed.length) {
    throw new FormDecodeError(
      `Invalid parameter name '${key}': brackets must be balanced, like 'metadata[key]'.`,
    );
  }
  return path;
}

const INDEX = /^(0|[1-9][0-9]{0,3})$/;

function assign(container: FormObject | FormValue[], path: string[], value: string, rawKey: string): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (Array.isArray(container)) {
    const index = head === '' ? container.length : Number(head);
    if (head !== '' && !INDEX.test(head)) {
      throw new FormDecodeError(`Invalid array index in parameter '${rawKey}'.`);
    }
    if (rest.length === 0) {
      container[index] = value;
      return;
    }
    const existing = container[index];
    const child = existing !== undefined && typeof existing !== 'string' ? existing : emptyFor(rest[0]);
    container[index] = child;
    assign(child, rest, value, rawKey);
    return;
  }
  if (head === '' || head === '__proto__' || head === 'constructor' || head === 'prototype') {
    throw new FormDecodeError(`Invalid parameter name '${rawKey}'.`);
  }
  if (rest.length === 0) {
    container[head] = value;
    return;
  }
  const existing = Object.hasOwn(container, head) ? container[head] : undefined;
  let child: FormObject | FormValue[];
  if (existing !== undefined && typeof existing !== 'string') {
    child = existing;
  } else {
    child = emptyFor(rest[0]);
  }
  // `expand[0]=a&expand[x]=b` mixes shapes; an object is the only faithful reading.
  if (Array.isArray(child) && rest[0] !== undefined && rest[0] !== '' && !INDEX.test(rest[0])) {
    child = Object.fromEntries(child.map((item, index) => [String(index), item]));
  }
  container[head] = child;
  assign(child, rest, value, rawKey);
}

function emptyFor(nextKey: string | undefined): FormObject | FormValue[] {
  return nextKey !== undefined && (nextKey === '' || INDEX.test(nextKey)) ? [] : {};
}
