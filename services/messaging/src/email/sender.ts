import type { ServiceContext } from '@trades/runtime';
import {
  isPermanentSmtpFailure,
  smtpErrorCode,
  type AcceptedEmail,
  type SmtpClient,
} from '../adapters/smtp-client.ts';
import { createLeasedSender, recordFailedAttempt } from '../leased-sender.ts';
import { markEmailSent, markRefused, type PendingMessage } from '../store/messages.ts';
import { htmlFromText } from './render.ts';

export interface EmailSenderOptions {
  client: SmtpClient;
  /** `EMAIL_FROM`: the From header of every email. */
  from: string;
}

/** `d***@example.com`: enough for an operator to tell addresses apart in the logs, not the address. */
export const maskEmail = (address: string): string => {
  const at = address.lastIndexOf('@');
  return at <= 0 ? '***' : `${address.slice(0, 1)}***${address.slice(at)}`;
};

/**
 * Sends the pending emails over SMTP on the same leased sending loop as SMS (`../leased-sender.ts`): two
 * workers per replica, ten emails a claim, a two-minute lease (beyond the SMTP client's own timeouts).
 * An email the server accepts is `sent` (SMTP says nothing about delivery after that); a 5xx reply (a
 * refused recipient, a message the server will never take) fails it at once; no connection, a timeout
 * or a 4xx is retried with backoff (2, 4, 8… s, six tries).
 */
export function createEmailSender(ctx: ServiceContext<unknown>, options: EmailSenderOptions) {
  async function send(claimed: PendingMessage[]): Promise<void> {
    const answers = await Promise.allSettled(
      claimed.map((message): Promise<AcceptedEmail> =>
        options.client.send({
          from: options.from,
          to: message.to_phone,
          subject: message.subject ?? '',
          text: message.body,
          html: message.html_body ?? htmlFromText(message.body),
        }),
      ),
    );
    await ctx.transaction(async (em) => {
      for (const [i, answer] of answers.entries()) {
        const message = claimed[i];
        if (!message) continue;
        if (answer.status === 'fulfilled') {
          await markEmailSent(em, { id: message.id, ...answer.value });
          continue;
        }
        const error: unknown = answer.reason;
        if (await recordFailedAttempt(em, message, isPermanentSmtpFailure(error))) {
          ctx.log.warn(
            { err: error, messageId: message.id },
            'the SMTP server did not take the email; will retry',
          );
          continue;
        }
        const code = smtpErrorCode(error);
        await markRefused(em, message.id, code);
        ctx.log.warn({ messageId: message.id, code }, `email to ${maskEmail(message.to_phone)} failed`);
      }
    });
  }

  return createLeasedSender(ctx, { channel: 'email', workers: 2, batch: 10, leaseSeconds: 120, send });
}

export type EmailSender = ReturnType<typeof createEmailSender>;
