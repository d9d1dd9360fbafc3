import type { Static } from 'typebox';
import type { messaging } from '@trades/contracts';

export type MessageStatus = Static<typeof messaging.MessageStatus>;

/** Twilio's outbound lifecycle, in order; the last three are final. */
const PROGRESS: MessageStatus[] = ['pending', 'queued', 'sending', 'sent'];
const FINAL: MessageStatus[] = ['delivered', 'undelivered', 'failed'];

/**
 * The statuses a message may be in for `next` to apply. Callbacks arrive out of order and twice, so a
 * status only ever moves forward: a late "sent" never overwrites "delivered".
 */
export function statusesBefore(next: MessageStatus): MessageStatus[] {
  if (FINAL.includes(next)) return PROGRESS;
  const index = PROGRESS.indexOf(next);
  return index <= 0 ? [] : PROGRESS.slice(0, index);
}

const TWILIO_STATUSES: Record<string, MessageStatus> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'sending',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

/** Twilio's MessageStatus as ours; undefined for one we do not track (e.g. "receiving"). */
export const fromTwilioStatus = (status: string | undefined): MessageStatus | undefined =>
  status === undefined ? undefined : TWILIO_STATUSES[status];

export const isDeliveryFailure = (status: MessageStatus): boolean =>
  status === 'failed' || status === 'undelivered';
