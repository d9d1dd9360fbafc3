/**
 * The part of an address an offer SMS may show before the locksmith accepts: the locality, not the
 * street ("123 Main St, Springfield, IL 62701" → "Springfield, IL 62701").
 */
export function areaOf(formatted: string, zip: string): string {
  const parts = formatted
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length >= 2) return parts.slice(1).join(', ');
  return zip;
}
