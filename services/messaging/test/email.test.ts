import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { messaging } from '@trades/contracts';
import { buildServer, loadGatewayConfig } from '@trades/gateway';
import {
  ConfigError,
  DEVELOPMENT_DEFAULTS,
  loadConfig,
  startService,
  type RunningService,
} from '@trades/runtime';
import {
  migrateService,
  resetJetStream,
  serviceEnv,
  startSmtpSink,
  waitFor,
  type SmtpSink,
} from '@trades/testkit';
import { messagingService } from '../src/app.ts';
import { queueEmail, type OutboundEmail } from '../src/email/queue.ts';
import { escapeHtml, htmlFromText } from '../src/email/render.ts';
import { claimPending, logTwimlReply, queueOutbound } from '../src/store/messages.ts';

// Project-level testTimeout is not applied in a multi-project jest config; these suites start real services.
jest.setTimeout(60_000);

const secrets = {
  TWILIO_ACCOUNT_SID: DEVELOPMENT_DEFAULTS['TWILIO_ACCOUNT_SID'] ?? '',
  TWILIO_AUTH_TOKEN: DEVELOPMENT_DEFAULTS['TWILIO_AUTH_TOKEN'] ?? '',
  TWILIO_PHONE_NUMBER: DEVELOPMENT_DEFAULTS['TWILIO_PHONE_NUMBER'] ?? '',
  ADMIN_EMAIL: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '',
  ADMIN_PASSWORD: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] ?? '',
  ADMIN_SESSION_SECRET: DEVELOPMENT_DEFAULTS['ADMIN_SESSION_SECRET'] ?? '',
};
const EMAIL_FROM = 'Trades Marketplace <no-reply@trades.test>';
/** The sink refuses every mailbox at this domain, as a real server refuses an unknown one. */
const UNKNOWN_DOMAIN = '@no-such-mailbox.test';

let sink: SmtpSink;
let messagingRunning: RunningService<unknown>;
let gateway: ReturnType<typeof buildServer>;

const startSink = (port?: number) =>
  startSmtpSink({ port, rejectRecipient: (address) => address.endsWith(UNKNOWN_DOMAIN) });

beforeAll(async () => {
  await resetJetStream();
  await migrateService(messagingService);
  sink = await startSink();
  // Twilio is a closed local port: an SMS this suite queues can never leave the machine.
  messagingRunning = await startService(
    messagingService,
    serviceEnv({ ...secrets, SMTP_URL: sink.url, EMAIL_FROM, TWILIO_API_BASE: 'http://127.0.0.1:9' }),
  );
  gateway = buildServer(
    loadGatewayConfig({
      ...serviceEnv(secrets),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
    }),
  );
  await gateway.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await gateway?.close();
  await messagingRunning?.stop();
  await sink?.close();
});

/** A fresh address per test, so tests never read each other's mail. */
const address = (domain = '@example.test') => `plumber-${randomUUID().slice(0, 8)}${domain}`;

/** Queues an email the way an event consumer does: inside its transaction. */
const queue = (email: OutboundEmail) => messagingRunning.ctx.transaction((em) => queueEmail(em, email));

interface Row {
  status: string;
  attempts: number;
  error_code: string | null;
  next_attempt_at: Date;
}

const rowsFor = (purpose: string) =>
  messagingRunning.ctx.orm.em
    .fork()
    .execute<Row[]>(
      'select status, attempts, error_code, next_attempt_at from messaging.message where purpose = ?',
      [purpose],
    );

const logEntry = async (purpose: string) =>
  (await messagingRunning.ctx.call(messaging.MessageList, { channel: 'email', limit: 200 })).items.find(
    (m) => m.purpose === purpose,
  );

const statusOf = async (purpose: string, status: string) => {
  const entry = await logEntry(purpose);
  return entry?.status === status ? entry : undefined;
};

describe('email', () => {
  it('sends a queued email with a plain-text and an HTML part, and logs it sent', async () => {
    const to = address();
    const purpose = `test-email:${randomUUID()}`;
    const leadId = randomUUID();
    const providerId = randomUUID();
    const text =
      'New lead: Drain cleaning in 94110, $45.\n' +
      'Note from the homeowner: <script>alert("x")</script> & "quotes"\n\n' +
      'Accept: https://app.trades.test/lead/accept?t=abc&x=1';
    await queue({ to, subject: 'New lead <94110>', text, purpose, leadId, providerId });

    const received = await sink.waitForEmail((email) => email.to.includes(to));
    expect(received).toMatchObject({ from: 'no-reply@trades.test', fromName: 'Trades Marketplace' });
    expect(received.subject).toBe('New lead <94110>');
    expect(received.text.trim()).toBe(text);
    // The HTML part carries the same words, every piece of user text escaped, the link clickable.
    expect(received.html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;',
    );
    expect(received.html).not.toContain('<script>');
    expect(received.html).toContain('<h1 style="font-size:20px;margin:0 0 16px">New lead &lt;94110&gt;</h1>');
    expect(received.html).toContain(
      '<a href="https://app.trades.test/lead/accept?t=abc&amp;x=1">https://app.trades.test/lead/accept?t=abc&amp;x=1</a>',
    );

    const logged = await waitFor(() => statusOf(purpose, 'sent'), { what: 'the email logged sent' });
    expect(logged).toMatchObject({
      channel: 'email',
      direction: 'outbound',
      from: 'no-reply@trades.test',
      to,
      subject: 'New lead <94110>',
      body: text,
      leadId,
      providerId,
      jobId: null,
      errorCode: null,
      sid: received.messageId,
    });
  });

  it('sends the HTML part a caller built, as given', async () => {
    const to = address();
    const html =
      '<p>Your card link: <a href="https://app.trades.test/plumber/card/tok">save your card</a></p>';
    await queue({
      to,
      subject: 'Save your card',
      text: 'Save your card: https://x.test',
      html,
      purpose: `t:${to}`,
    });
    const received = await sink.waitForEmail((email) => email.to.includes(to));
    expect(received.html).toBe(html);
    expect(received.text.trim()).toBe('Save your card: https://x.test');
  });

  it('sends one email per purpose, however often it is queued', async () => {
    const to = address();
    const purpose = `test-once:${randomUUID()}`;
    const email = { to, subject: 'Once', text: 'Only once.', purpose };
    expect(await queue(email)).toMatchObject({ status: 'pending' });
    // The same event delivered again (or by another replica) queues nothing.
    expect(await queue(email)).toBeNull();
    expect(await queue({ ...email, text: 'A second try.' })).toBeNull();
    await waitFor(() => statusOf(purpose, 'sent'), { what: 'the email sent' });
    expect(await rowsFor(purpose)).toHaveLength(1);
    expect(sink.to(to)).toHaveLength(1);
  });

  it('fails an email whose recipient the server refuses (5xx), at once and without retrying', async () => {
    const to = address(UNKNOWN_DOMAIN);
    const purpose = `test-refused:${randomUUID()}`;
    await queue({ to, subject: 'Refused', text: 'Nobody reads this.', purpose });
    const logged = await waitFor(() => statusOf(purpose, 'failed'), { what: 'the email failed' });
    expect(logged.errorCode).toBe('SMTP_550');
    expect(await rowsFor(purpose)).toMatchObject([{ status: 'failed', attempts: 1 }]);
    expect(sink.to(to)).toHaveLength(0);
  });

  it('keeps an email while the SMTP server is down, and sends it once the server is back', async () => {
    const { port } = sink;
    await sink.close();
    const to = address();
    const purpose = `test-down:${randomUUID()}`;
    try {
      await queue({ to, subject: 'Later', text: 'Sent after the outage.', purpose });
      // The first try finds no server: the email stays pending, due again after a backoff.
      const [waiting] = await waitFor(
        async () => {
          const rows = await rowsFor(purpose);
          return rows[0] && rows[0].attempts >= 1 ? rows : undefined;
        },
        { what: 'a failed first try' },
      );
      expect(waiting).toMatchObject({ status: 'pending', error_code: null });
    } finally {
      sink = await startSink(port);
    }
    await waitFor(() => statusOf(purpose, 'sent'), {
      what: 'the email sent after the outage',
      timeoutMs: 30_000,
    });
    expect(sink.to(to)).toHaveLength(1);
  });
});

describe('the email sender', () => {
  it('claims emails only, and the SMS sender SMS only', async () => {
    const rollBack = new Error('roll back');
    let claimed: { email?: string; sms?: string; byEmail: string[]; bySms: string[] } | undefined;
    await messagingRunning.ctx
      .transaction(async (em) => {
        const email = await queueEmail(em, {
          to: address(),
          subject: 'Mine',
          text: 'Claimed by the email sender.',
          purpose: `test-claim-email:${randomUUID()}`,
        });
        // Another suite may have opted this number out (STOP): then the SMS would be suppressed, not pending.
        await em.execute('delete from messaging.opt_out where phone = ?', ['+14155550178']);
        const sms = await queueOutbound(em, secrets.TWILIO_PHONE_NUMBER, {
          to: '+14155550178',
          body: 'Claimed by the SMS sender.',
          purpose: `test-claim-sms:${randomUUID()}`,
        });
        // Other suites share this database and may leave many SMS pending: ours go to the front.
        await em.execute(
          `update messaging.message set next_attempt_at = '1970-01-01' where id = any(?::uuid[])`,
          [`{${[email?.id, sms?.id].filter(Boolean).join(',')}}`],
        );
        claimed = {
          email: email?.id,
          sms: sms?.id,
          byEmail: (await claimPending(em, 'email', 10, 60)).map((m) => m.id),
          bySms: (await claimPending(em, 'sms', 10, 60)).map((m) => m.id),
        };
        // Nothing of this is committed: neither sender ever sees these rows.
        throw rollBack;
      })
      .catch((error: unknown) => {
        if (error !== rollBack) throw error;
      });
    expect(claimed?.email).toEqual(expect.any(String));
    expect(claimed?.sms).toEqual(expect.any(String));
    expect(claimed?.byEmail).toContain(claimed?.email);
    expect(claimed?.byEmail).not.toContain(claimed?.sms);
    expect(claimed?.bySms).toContain(claimed?.sms);
    expect(claimed?.bySms).not.toContain(claimed?.email);
  });
});

describe('the HTML part made from the text', () => {
  it('escapes everything, keeps paragraphs and line breaks, and links only http(s) URLs', () => {
    expect(escapeHtml(`<a href='x'>&"`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&quot;');
    const html = htmlFromText(
      'Hi <b>Dana</b>,\nline two\n\nhttps://x.test/a?b=1&c="2" javascript:alert(1) <img src=x onerror=alert(1)>',
      { heading: 'A <i>heading</i>' },
    );
    expect(html).toContain('<h1 style="font-size:20px;margin:0 0 16px">A &lt;i&gt;heading&lt;/i&gt;</h1>');
    expect(html).toContain('<p style="margin:0 0 16px">Hi &lt;b&gt;Dana&lt;/b&gt;,<br>line two</p>');
    // A quote ends a link: it cannot break out of the href.
    expect(html).toContain(
      '<a href="https://x.test/a?b=1&amp;c=">https://x.test/a?b=1&amp;c=</a>&quot;2&quot;',
    );
    expect(html).toContain('javascript:alert(1) &lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toMatch(/<(b|i|img)\b/);
  });
});

describe('the admin message log', () => {
  async function adminCookie(): Promise<string> {
    const response = await gateway.inject({
      method: 'POST',
      url: '/api/admin/login',
      remoteAddress: '10.9.0.1',
      payload: { email: secrets.ADMIN_EMAIL, password: secrets.ADMIN_PASSWORD },
    });
    expect(response.statusCode).toBe(204);
    // The one cookie a login sets: the operator's session.
    const [session] = response.cookies;
    if (!session) throw new Error('the login set no session cookie');
    return `${session.name}=${session.value}`;
  }

  async function messages(cookie: string, query: string): Promise<messaging.Message[]> {
    const response = await gateway.inject({
      method: 'GET',
      url: `/api/admin/messages?${query}`,
      headers: { cookie },
    });
    expect(response.statusCode).toBe(200);
    const page: unknown = response.json();
    if (!messaging.MessageList.validateReply.check(page)) throw new Error(`not a page: ${response.body}`);
    return page.items;
  }

  it('lists SMS and email together, and filters by channel, address and lead', async () => {
    const to = address();
    const leadId = randomUUID();
    const purpose = `test-list:${randomUUID()}`;
    const phone = '+14155550177';
    await queue({ to, subject: 'Listed', text: 'In the log.', purpose, leadId });
    await messagingRunning.ctx.transaction((em) =>
      logTwimlReply(em, {
        from: secrets.TWILIO_PHONE_NUMBER,
        to: phone,
        body: 'An SMS in the same log.',
        purpose: `test-list-sms:${randomUUID()}`,
        providerId: null,
      }),
    );
    await waitFor(() => statusOf(purpose, 'sent'), { what: 'the email sent' });
    const cookie = await adminCookie();

    const all = await messages(cookie, 'limit=200');
    expect(all.map((m) => m.channel)).toEqual(expect.arrayContaining(['sms', 'email']));

    const emails = await messages(cookie, 'channel=email&limit=200');
    expect(emails.length).toBeGreaterThan(0);
    expect(emails.every((m) => m.channel === 'email')).toBe(true);
    expect(emails.find((m) => m.purpose === purpose)).toMatchObject({ subject: 'Listed', to, leadId });

    const sms = await messages(cookie, 'channel=sms&limit=200');
    expect(sms.every((m) => m.channel === 'sms' && m.subject === null)).toBe(true);
    expect(sms.find((m) => m.to === phone)).toMatchObject({ body: 'An SMS in the same log.' });

    expect(
      (await messages(cookie, `email=${encodeURIComponent(to.toUpperCase())}`)).map((m) => m.purpose),
    ).toEqual([purpose]);
    expect((await messages(cookie, `leadId=${leadId}`)).map((m) => m.purpose)).toEqual([purpose]);

    const refused = await gateway.inject({
      method: 'GET',
      url: '/api/admin/messages?channel=fax',
      headers: { cookie },
    });
    expect(refused.statusCode).toBe(400);
  });
});

describe('email settings', () => {
  it('are checked at boot, every problem listed', () => {
    const boot = () =>
      loadConfig(messagingService.config, {
        ...secrets,
        APP_ENV: 'production',
        SMTP_URL: 'mail.example.com:587',
        EMAIL_FROM: 'Trades Marketplace',
      });
    expect(boot).toThrow(ConfigError);
    expect(boot).toThrow(/SMTP_URL[\s\S]*EMAIL_FROM/);
    // In production there is no default SMTP server to fall back on.
    expect(() => loadConfig(messagingService.config, { ...secrets, APP_ENV: 'production' })).toThrow(
      /SMTP_URL: is required[\s\S]*EMAIL_FROM: is required/,
    );
  });
});
