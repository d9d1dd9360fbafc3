/** The US zones operators pick most; any other IANA zone can be typed. */
export const COMMON_TIME_ZONES: readonly { zone: string; label: string }[] = [
  { zone: 'America/New_York', label: 'Eastern' },
  { zone: 'America/Chicago', label: 'Central' },
  { zone: 'America/Denver', label: 'Mountain' },
  { zone: 'America/Phoenix', label: 'Arizona (no DST)' },
  { zone: 'America/Los_Angeles', label: 'Pacific' },
  { zone: 'America/Anchorage', label: 'Alaska' },
  { zone: 'Pacific/Honolulu', label: 'Hawaii' },
  { zone: 'America/Detroit', label: 'Eastern (Michigan)' },
  { zone: 'America/Indiana/Indianapolis', label: 'Eastern (Indiana)' },
  { zone: 'America/Boise', label: 'Mountain (Idaho)' },
  { zone: 'America/Puerto_Rico', label: 'Atlantic (Puerto Rico)' },
];

/** Whether the browser knows the zone (the registry refuses an unknown one). */
export function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z]+(?:[/_+-][A-Za-z0-9_+-]+)*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** ZIP codes typed as a list ("94103, 94110 94114") → unique codes, or null when one is not a ZIP. */
export function parseZipList(text: string): string[] | null {
  const parts = text.split(/[\s,;]+/).filter((part) => part !== '');
  if (parts.some((part) => !/^\d{5}$/.test(part))) return null;
  return [...new Set(parts)];
}
