// The homeowner's side of a sold lead: the confirmation SMS after the sale, their NO to it, and what its
// delivery says about their number. Rules only; the handlers read and write.

/** The purpose of the sale's confirmation SMS to the homeowner: one per lead. */
export const HOMEOWNER_CONFIRMATION = 'lead-homeowner:';
export const homeownerConfirmation = (leadId: string): string => `${HOMEOWNER_CONFIRMATION}${leadId}`;

/** How long after the confirmation a NO from that number still counts as an answer to it. */
export const HOMEOWNER_REPLY_DAYS = 7;

/**
 * Twilio's codes that say the number itself is dead, not that delivery had a bad moment: 21211 invalid
 * number, 21614 not a mobile number, 30003 unreachable handset, 30005 unknown handset, 30006 landline or
 * unreachable carrier.
 */
const DEAD_NUMBER_CODES = new Set(['21211', '21614', '30003', '30005', '30006']);

/**
 * The lead whose homeowner cannot be texted, when this delivery failure of a confirmation says so;
 * null for any other message, status or code.
 */
export function unreachableHomeowner(change: {
  purpose: string | null;
  status: string;
  errorCode: string | null;
  leadId: string | null;
}): { leadId: string; status: 'undelivered' | 'failed'; errorCode: string } | null {
  const { purpose, status, errorCode, leadId } = change;
  if (!purpose?.startsWith(HOMEOWNER_CONFIRMATION) || !leadId || errorCode === null) return null;
  if (status !== 'undelivered' && status !== 'failed') return null;
  if (!DEAD_NUMBER_CODES.has(errorCode)) return null;
  return { leadId, status, errorCode };
}
