/** The plumbing catalogue: what a homeowner can ask for and what a plumber buys leads for. */
export const PLUMBING_SERVICES = [
  { code: 'drain_cleaning', name: 'Drain cleaning' },
  { code: 'leak_repair', name: 'Leak repair' },
  { code: 'water_heater', name: 'Water heater' },
  { code: 'toilet_repair', name: 'Toilet repair' },
  { code: 'sewer_line', name: 'Sewer line' },
  { code: 'emergency_plumbing', name: 'Emergency plumbing' },
  { code: 'fixture_install', name: 'Fixture install' },
  { code: 'repiping', name: 'Repiping' },
  { code: 'pipe_repair', name: 'Pipe repair' },
] as const;

export type PlumbingServiceCode = (typeof PLUMBING_SERVICES)[number]['code'];

export const PLUMBING_SERVICE_CODES: readonly PlumbingServiceCode[] = PLUMBING_SERVICES.map((s) => s.code);

/** How soon the homeowner needs the work done. */
export const LEAD_URGENCIES = ['day', 'week', 'month'] as const;
export type LeadUrgency = (typeof LEAD_URGENCIES)[number];

/** The catalogue entry of a code; undefined when the code is not in the catalogue. */
export function plumbingService(code: string): { code: PlumbingServiceCode; name: string } | undefined {
  return PLUMBING_SERVICES.find((s) => s.code === code);
}

/**
 * The consent sentence beside the public form's checkbox. The server records exactly this text with
 * each form lead (with the time, address, user agent and page), so it changes only with the form.
 */
export const LEAD_FORM_CONSENT_TEXT =
  'By checking this box, I agree that Trades Marketplace and one plumber it matches me with may contact me ' +
  'about this request by phone, text message (SMS) and email at the number and address I gave, including ' +
  'by automated means. Consent is not a condition of purchase. Message and data rates may apply; reply STOP ' +
  'to opt out.';
