import twilio from 'twilio';
import { messaging } from '@trades/contracts';
import { maskPhone, type EntityManager, type ServiceContext } from '@trades/runtime';
import type { TwilioClient } from './adapters/twilio-client.ts';
import { fromTwilioStatus, isDeliveryFailure } from './domain/status.ts';
import {
  claimPending,
  countDue,
  markAttemptFailed,
  markHandedToTwilio,
  markRefused,
  type Handed,
  type PendingMessage,
  type StatusChange,
} from './messages.ts';

/** Workers of one replica; each claims a batch, hands it to Twilio at once and marks it in one transaction. */
const WORKERS = 4;
/** Messages one worker claims at a time. */
const BATCH = 10;
/** A message Twilio could not take after this many tries (network, 5xx, 429) is given up as failed. */
const MAX_ATTEMPTS = 6;
/**
 * How long a claimed message is the claimer's: well beyond the Twilio SDK's own 30 s timeout. A sender
 * that died holding one leaves it due again after this.
 */
const LEASE_SECONDS = 60;

export interface SenderOptions {
  client: TwilioClient;
  statusCallback: string;
}

/**
 * Sends the pending messages. A worker leases up to {@link BATCH} due messages with SKIP LOCKED
 * (replicas and workers share the work) and commits, hands them to Twilio concurrently outside any
 * transaction, then stores their MessageSids in a second short transaction: under load the per-message
 * cost is one API call, not a transaction of its own, a slow API call delays only its own batch, and no
 * connection is held while Twilio answers. Twilio refusing a message (an invalid or opted-out number)
 * fails it at once; a network error, a 5xx or a 429 is retried with backoff. A crash between Twilio's
 * answer and the second commit can send a message twice once its lease runs out: Twilio's API has no
 * idempotency key, so at-least-once is the best on offer.
 */
export function createSender(ctx: ServiceContext<unknown>, options: SenderOptions) {
  async function reportFailure(em: EntityManager, change: StatusChange): Promise<void> {
    await ctx.publish(em, messaging.SmsStatusChanged, {
      messageSid: change.sid,
      to: change.to,
      status: change.status,
      errorCode: change.errorCode,
      purpose: change.purpose,
      offerId: change.offerId,
      jobId: change.jobId,
    });
  }

  /** Twilio did not take the message: retry it later, or fail it when Twilio refused it or tries ran out. */
  async function notTaken(em: EntityManager, message: PendingMessage, error: unknown): Promise<void> {
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
      error instanceof twilio.RestException && error.code !== undefined ? String(error.code) : 'SEND_FAILED';
    await markRefused(em, message.id, code);
    ctx.log.warn({ messageId: message.id, code }, `SMS to ${maskPhone(message.to_phone)} failed`);
    await reportFailure(em, {
      sid: `local:${message.id}`,
      to: message.to_phone,
      status: 'failed',
      errorCode: code,
      purpose: message.purpose,
      offerId: message.offer_id,
      jobId: message.job_id,
    });
  }

  /**
   * Sends one batch of pending messages; false when there was none to claim. Two short transactions
   * (claim, then record what Twilio said) around the API calls, so no database connection waits on
   * Twilio: under load the pool belongs to the consumers and the webhooks.
   */
  async function sendBatch(): Promise<boolean> {
    const claimed = await ctx.transaction((em) => claimPending(em, BATCH, LEASE_SECONDS));
    if (claimed.length === 0) return false;
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
      for (const change of early) if (isDeliveryFailure(change.status)) await reportFailure(em, change);
    });
    return true;
  }

  const workers = new Set<Promise<void>>();
  let again = false;

  /** Claims and sends until a claim comes back empty. */
  async function worker(): Promise<void> {
    while (await sendBatch()) {
      // keep going while there is work
    }
  }

  /**
   * A message was queued (or may be due): a worker starts at once unless WORKERS are already busy, in
   * which case the next one to finish looks again. Workers do not wait for each other, so one slow
   * send holds up only its own message.
   */
  function kick(): void {
    if (workers.size >= WORKERS) {
      again = true;
      return;
    }
    const running: Promise<void> = ctx
      .track(worker())
      .catch((error: unknown) => ctx.log.error({ err: error }, 'sending pending SMS failed'))
      .finally(() => {
        workers.delete(running);
        if (again) {
          again = false;
          kick();
        }
      });
    workers.add(running);
  }

  /**
   * The poll: a worker only when something is due (one statement without locks), so an idle poll
   * costs no claim.
   */
  async function poll(): Promise<void> {
    if ((await countDue(ctx.orm.em.fork(), 1)) > 0) kick();
    await idle();
  }

  /** Resolves when no worker is running. */
  async function idle(): Promise<void> {
    while (workers.size > 0) await Promise.allSettled([...workers]);
  }

  return { kick, poll, idle };
}

export type Sender = ReturnType<typeof createSender>;
