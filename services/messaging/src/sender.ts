import twilio from 'twilio';
import { messaging } from '@trades/contracts';
import { maskPhone, type ServiceContext } from '@trades/runtime';
import type { TwilioClient } from './adapters/twilio-client.ts';
import { fromTwilioStatus } from './domain/status.ts';
import {
  claimPending,
  markAttemptFailed,
  markHandedToTwilio,
  markRefused,
  type PendingMessage,
} from './messages.ts';
import type { EntityManager } from '@trades/runtime';

const BATCH = 20;
/** A message Twilio could not take after this many tries (network, 5xx) is given up as failed. */
const MAX_ATTEMPTS = 6;

export interface SenderOptions {
  client: TwilioClient;
  statusCallback: string;
}

/**
 * Sends the pending messages: claimed with SKIP LOCKED (replicas share the work), handed to Twilio, and
 * marked with Twilio's MessageSid in the same transaction. Twilio refusing a message (an invalid or
 * opted-out number) fails it at once; a network error or a Twilio 5xx is retried with backoff.
 */
export function createSender(ctx: ServiceContext<unknown>, options: SenderOptions) {
  async function sendOne(em: EntityManager, message: PendingMessage): Promise<void> {
    try {
      const sent = await options.client.messages.create({
        to: message.to_phone,
        from: message.from_phone,
        body: message.body,
        statusCallback: options.statusCallback,
      });
      await markHandedToTwilio(em, message.id, sent.sid, fromTwilioStatus(sent.status) ?? 'queued');
    } catch (error) {
      // 429 is Twilio asking us to slow down, not refusing the message.
      const refused =
        error instanceof twilio.RestException &&
        error.status >= 400 &&
        error.status < 500 &&
        error.status !== 429;
      const attempts = refused ? MAX_ATTEMPTS : await markAttemptFailed(em, message.id);
      if (attempts < MAX_ATTEMPTS) {
        ctx.log.warn(
          { err: error, messageId: message.id, attempts },
          'Twilio did not take the message; will retry',
        );
        return;
      }
      const code =
        error instanceof twilio.RestException && error.code !== undefined
          ? String(error.code)
          : 'SEND_FAILED';
      await markRefused(em, message.id, code);
      ctx.log.warn({ messageId: message.id, code }, `SMS to ${maskPhone(message.to_phone)} failed`);
      const [row] = await em.execute<
        { purpose: string | null; offer_id: string | null; job_id: string | null }[]
      >('select purpose, offer_id, job_id from messaging.message where id = ?', [message.id]);
      await ctx.publish(em, messaging.SmsStatusChanged, {
        messageSid: `local:${message.id}`,
        to: message.to_phone,
        status: 'failed',
        errorCode: code,
        purpose: row?.purpose ?? null,
        offerId: row?.offer_id ?? null,
        jobId: row?.job_id ?? null,
      });
    }
  }

  let running: Promise<void> | undefined;
  let again = false;

  async function drain(): Promise<void> {
    for (;;) {
      const handled = await ctx.transaction(async (em) => {
        const batch = await claimPending(em, BATCH);
        for (const message of batch) await sendOne(em, message);
        return batch.length;
      });
      if (handled < BATCH) return;
    }
  }

  /** Sends now (coalesced: a kick during a pass schedules one more pass). */
  function kick(): void {
    if (running) {
      again = true;
      return;
    }
    running = ctx
      .track(drain())
      .catch((error: unknown) => ctx.log.error({ err: error }, 'sending pending SMS failed'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          kick();
        }
      });
  }

  /** Resolves when the pass in progress (if any) is over. */
  const idle = async (): Promise<void> => {
    await running;
  };

  return { kick, idle };
}

export type Sender = ReturnType<typeof createSender>;
