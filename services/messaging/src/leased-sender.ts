import type { EntityManager, ServiceContext } from '@trades/runtime';
import {
  claimPending,
  countDue,
  markAttemptFailed,
  type Channel,
  type PendingMessage,
} from './store/messages.ts';

/**
 * A message the provider could not take after this many tries (network, 5xx, rate limit) is given up
 * as failed: backing off 2, 4, 8, 16, 32 s, about a minute in all.
 */
export const MAX_ATTEMPTS = 6;

export interface LeasedSenderOptions {
  channel: Channel;
  /** Workers of one replica; each claims a batch, hands it over and records the outcome. */
  workers: number;
  /** Messages one worker claims at a time. */
  batch: number;
  /**
   * How long a claimed message is the claimer's: well beyond the provider client's own timeout. A
   * sender that died holding one leaves it due again after this.
   */
  leaseSeconds: number;
  /**
   * Hands a claimed batch to the provider, outside any transaction, then records what it said (in a
   * transaction of its own). Must not throw for one message's failure: that message is retried or
   * failed through {@link recordFailedAttempt}.
   */
  send: (claimed: PendingMessage[]) => Promise<void>;
}

/**
 * The sending loop every channel shares. A worker leases up to `batch` due messages of its channel with
 * SKIP LOCKED (replicas and workers share the work) and commits, then `send` hands them to the provider
 * outside any transaction and records the outcome in a second short one: no database connection waits
 * on the provider, and a slow call delays only its own batch. A crash between the provider's answer and
 * the second commit can send a message twice once its lease runs out: at-least-once is the best a
 * provider without an idempotency key offers.
 */
export function createLeasedSender(ctx: ServiceContext<unknown>, options: LeasedSenderOptions) {
  /** Sends one batch; false when there was none to claim. */
  async function sendBatch(): Promise<boolean> {
    const claimed = await ctx.transaction((em) =>
      claimPending(em, options.channel, options.batch, options.leaseSeconds),
    );
    if (claimed.length === 0) return false;
    await options.send(claimed);
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
   * A message was queued (or may be due): a worker starts at once unless `workers` are already busy, in
   * which case the next one to finish looks again. Workers do not wait for each other, so one slow
   * send holds up only its own batch.
   */
  function kick(): void {
    if (workers.size >= options.workers) {
      again = true;
      return;
    }
    const running: Promise<void> = ctx
      .track(worker())
      .catch((error: unknown) =>
        ctx.log.error({ err: error, channel: options.channel }, 'sending pending messages failed'),
      )
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
    if ((await countDue(ctx.orm.em.fork(), options.channel, 1)) > 0) kick();
    await idle();
  }

  /** Resolves when no worker is running. */
  async function idle(): Promise<void> {
    while (workers.size > 0) await Promise.allSettled([...workers]);
  }

  return { kick, poll, idle };
}

export type LeasedSender = ReturnType<typeof createLeasedSender>;

/**
 * The provider did not take a message: true when it is to be tried again (backing off), false when it
 * is to be failed now, because the provider refused it for good (`permanent`) or its tries ran out.
 */
export async function recordFailedAttempt(
  em: EntityManager,
  message: Pick<PendingMessage, 'id'>,
  permanent: boolean,
): Promise<boolean> {
  if (permanent) return false;
  return (await markAttemptFailed(em, message.id)) < MAX_ATTEMPTS;
}
