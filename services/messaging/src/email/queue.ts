import type { EntityManager } from '@trades/runtime';
import type { MessageStatus } from '../domain/status.ts';
import { queueEmailRow } from '../store/messages.ts';
import { htmlFromText } from './render.ts';

export interface OutboundEmail {
  to: string;
  subject: string;
  /** The plain-text part. */
  text: string;
  /**
   * The HTML part, when the caller builds its own (every piece of user text in it escaped with
   * `escapeHtml`); absent → made from the text by `htmlFromText`, escaped, with the subject as heading.
   */
  html?: string;
  /** Natural key: one email per purpose, however often the triggering event arrives. */
  purpose: string;
  leadId?: string | null;
  providerId?: string | null;
}

/** The transactions (by entity manager) that queued an email: their consumer's commit kicks the sender. */
const queuedIn = new WeakSet<EntityManager>();

/** True when this transaction queued an email (checked after its commit, to start the sender at once). */
export const queuedEmailIn = (em: EntityManager): boolean => queuedIn.has(em);

/**
 * Queues an email in the caller's transaction, like an SMS: a `pending` row in the message log under its
 * purpose key, sent by the email sender once the transaction commits (at once after a consumer's commit,
 * else within the sender's one-second poll). Returns null when an email with this purpose exists, so a
 * redelivered event sends nothing.
 */
export async function queueEmail(
  em: EntityManager,
  email: OutboundEmail,
): Promise<{ id: string; status: MessageStatus } | null> {
  const queued = await queueEmailRow(em, {
    to: email.to.trim(),
    subject: email.subject,
    text: email.text,
    html: email.html ?? htmlFromText(email.text, { heading: email.subject }),
    purpose: email.purpose,
    leadId: email.leadId,
    providerId: email.providerId,
  });
  if (queued) queuedIn.add(em);
  return queued;
}
