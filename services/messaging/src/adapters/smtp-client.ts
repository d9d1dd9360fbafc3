// The one place the messaging service builds its SMTP client (nodemailer). Locally `SMTP_URL` points it
// at MailDev (`npm start`) or a test's in-process sink; in production at the mail provider's relay.
import nodemailer from 'nodemailer';

/** One email as handed to SMTP. */
export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** What the SMTP server said when it took an email. */
export interface AcceptedEmail {
  /** The Message-ID header of the email. */
  messageId: string;
  /** The envelope sender: the bare address the email went from. */
  from: string;
}

export interface SmtpClient {
  send(email: OutgoingEmail): Promise<AcceptedEmail>;
  close(): void;
}

/**
 * A pooled SMTP client (a few connections, reused from email to email). Timeouts are bounded well inside
 * the sender's lease: nodemailer would otherwise wait up to ten minutes on a silent socket.
 */
export function createSmtpClient(config: { url: string; maxConnections?: number }): SmtpClient {
  const transport = nodemailer.createTransport({
    url: config.url,
    pool: true,
    maxConnections: config.maxConnections ?? 4,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(email) {
      const info = await transport.sendMail(email);
      return { messageId: info.messageId, from: info.envelope.from || email.from };
    },
    close: () => transport.close(),
  };
}

/**
 * The SMTP reply code of a failed send (550 for a refused recipient, 421 for a server shutting down…);
 * undefined when there was no reply at all (no connection, a timeout).
 */
export function smtpReplyCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('responseCode' in error)) return undefined;
  return typeof error.responseCode === 'number' ? error.responseCode : undefined;
}

/** The SMTP server refused the email for good (a 5xx reply): sending it again would not help. */
export const isPermanentSmtpFailure = (error: unknown): boolean => {
  const code = smtpReplyCode(error);
  return code !== undefined && code >= 500 && code < 600;
};

/** A short code for the log: `SMTP_550`, or nodemailer's error code (`ECONNECTION`, `ETIMEDOUT`…). */
export function smtpErrorCode(error: unknown): string {
  const reply = smtpReplyCode(error);
  if (reply !== undefined) return `SMTP_${reply}`;
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string')
    return error.code;
  return 'SEND_FAILED';
}
