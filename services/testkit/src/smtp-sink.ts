import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { waitFor } from './wait.ts';

/** One email the sink received. */
export interface ReceivedEmail {
  /** The From header's address ("no-reply@trades.local"). */
  from: string;
  /** The From header's display name ("Trades Marketplace"; '' when there is none). */
  fromName: string;
  /** The envelope recipients (RCPT TO), lower-cased. */
  to: string[];
  subject: string;
  /** The plain-text part ('' when there was none). */
  text: string;
  /** The HTML part ('' when there was none). */
  html: string;
  messageId: string;
  receivedAt: Date;
}

export interface SmtpSinkOptions {
  /** Default: a free port. Give the port of a sink closed earlier to bring "the same server" back. */
  port?: number;
  /** Recipients to refuse with `550 No such user here`, as a real server refuses an unknown mailbox. */
  rejectRecipient?: (address: string) => boolean;
}

export interface SmtpSink {
  port: number;
  /** `smtp://127.0.0.1:<port>`: what SMTP_URL should be. */
  url: string;
  /** Everything received, oldest first. */
  readonly emails: ReceivedEmail[];
  /** The emails sent to an address (any case). */
  to(address: string): ReceivedEmail[];
  /** Waits until an email matching `predicate` arrived, and returns it. */
  waitForEmail(predicate: (email: ReceivedEmail) => boolean, timeoutMs?: number): Promise<ReceivedEmail>;
  close(): Promise<void>;
}

/** The first mailbox of an address header. */
const firstMailbox = (header: AddressObject | AddressObject[] | undefined) =>
  [header ?? []].flat().flatMap((h) => h.value)[0];

/**
 * An SMTP server in the test's process that keeps every email it is given (parsed: headers, text and
 * HTML parts), for tests that check what was sent. No TLS and no authentication, like MailDev.
 */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const emails: ReceivedEmail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // Pooled clients keep their connections open: a closing sink cuts them after this, not 30 s.
    closeTimeout: 200,
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipient?.(address.address)) {
        callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const from = firstMailbox(mail.from);
          emails.push({
            from: from?.address ?? '',
            fromName: from?.name ?? '',
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            messageId: mail.messageId ?? '',
            receivedAt: new Date(),
          });
          callback();
        })
        .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('the SMTP sink has no TCP port');
  const { port } = address;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    emails,
    to: (recipient) => emails.filter((email) => email.to.includes(recipient.toLowerCase())),
    waitForEmail: (predicate, timeoutMs = 15_000) =>
      waitFor(() => emails.find(predicate), { timeoutMs, what: 'an email at the SMTP sink' }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
