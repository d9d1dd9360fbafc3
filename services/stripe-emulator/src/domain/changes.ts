/**
 * Stripe's `previous_attributes` on an `*.updated` event: for each field that changed,
 * its old value; inside nested plain objects only the keys that changed.
 */
export function previousAttributes(before: object, after: object): Record<string, unknown> | undefined {
  const changes = diff(before as Record<string, unknown>, after as Record<string, unknown>);
  return Object.keys(changes).length === 0 ? undefined : changes;
}

function diff(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const old = before[key];
    const now = after[key];
    if (JSON.stringify(old) === JSON.stringify(now)) continue;
    if (isPlainObject(old) && isPlainObject(now)) changes[key] = diff(old, now);
    else changes[key] = old === undefined ? null : structuredClone(old);
  }
  return changes;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
