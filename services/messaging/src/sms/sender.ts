import twilio from 'twilio';
import { maskPhone, type EntityManager, type ServiceContext } from '@trades/runtime';
import type { TwilioClient } from '../adapters/twilio-client.ts';
import { fromTwilioStatus, isDeliveryFailure } from '../domain/status.ts';
import { createLeasedSender, recordFailedAttempt } from '../leased-sender.ts';
import { reportDeliveryFailure } from './failures.ts';
import { markHandedToTwilio, markRefused, type Handed, type PendingMessage } from '../store/messages.ts';

export interface SmsSenderOptions {
  client: TwilioClient;
  statusCallback: string;
}

/**
 * Sends the pending SMS through Twilio, on the shared leased sending loop (`../leased-sender.ts`): up to
 * four workers per replica, ten messages a claim, a 60 s lease (well beyond the Twilio SDK's own 30 s
 * timeout). Each batch is handed to Twilio concurrently with `StatusCallback`, and the MessageSids are
 * stored in one short transaction (three statements for the batch). Twilio refusing a message (4xx: an
 * invalid or opted-out number) fails it at once; a network error, a 5xx or a 429 is retried with backoff.
 */
export function createSmsSender(ctx: ServiceContext<unknown>, options: SmsSenderOptions) {
  /** Twilio did not take the message: retry it later, or fail it when Twilio refused it or tries ran out. */
  async function notTaken(em: EntityManager, message: PendingMessage, error: unknown): Promise<void> {
    // 429 is Twilio asking us to slow down, not refusing the message.
    const refused =
      error instanceof twilio.RestException &&
      error.status >= 400 &&
      error.status < 500 &&
      error.status !== 429;
    if (await recordFailedAttempt(em, message, refused)) {
      ctx.log.warn({ err: error, messageId: message.id }, 'Twilio did not take the message; will retry');
      return;
    }
    const code =
      error instanceof twilio.RestException && error.code !== undefined ? String(error.code) : 'SEND_FAILED';
    await markRefused(em, message.id, code);
    ctx.log.warn({ messageId: message.id, code }, `SMS to ${maskPhone(message.to_phone)} failed`);
    await reportDeliveryFailure(ctx, em, {
      sid: `local:${message.id}`,
      to: message.to_phone,
      status: 'failed',
      errorCode: code,
      purpose: message.purpose,
      offerId: message.offer_id,
      jobId: message.job_id,
      leadId: message.lead_id,
    });
  }

  /** Hands a claimed batch to Twilio at once, then records every answer in one transaction. */
  async function send(claimed: PendingMessage[]): Promise<void> {
    const answers = await Promise.allSettled(
      claimed.map((message) =>
        options.client.messages.create({
          to: message.to_phone,
          from: message.from_phone,
          body: message.body,
          statusCallback: options.statusCallback,
        }),
      ),
    );
    await ctx.transaction(async (em) => {
      const handed: Handed[] = [];
      for (const [i, answer] of answers.entries()) {
        const message = claimed[i];
        if (!message) continue;
        if (answer.status === 'fulfilled') {
          handed.push({
            id: message.id,
            sid: answer.value.sid,
            status: fromTwilioStatus(answer.value.status) ?? 'queued',
          });
        } else {
          await notTaken(em, message, answer.reason);
        }
      }
      const early = await markHandedToTwilio(em, handed);
      for (const change of early)
        if (isDeliveryFailure(change.status)) await reportDeliveryFailure(ctx, em, change);
    });
  }

  return createLeasedSender(ctx, { channel: 'sms', workers: 4, batch: 10, leaseSeconds: 60, send });
}

export type SmsSender = ReturnType<typeof createSmsSender>;
