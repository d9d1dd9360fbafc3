// scripts/sms.ts plays a locksmith from a terminal; here the "gateway" is a local
// receiver, and the script runs as a real child process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { validateTwilioSignature } from '../../messaging/src/adapters/twilio-client.ts';
import { createTwilioEmulator, type TwilioEmulator } from '../src/emulator.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

const ACCOUNT_SID = `AC${'0'.repeat(32)}`;
const script = fileURLToPath(new URL('../../../scripts/sms.ts', import.meta.url));
const authToken = 'script_test_token';
const publicBase = 'https://trades.example.test';

let gateway: WebhookReceiver;

function runSms(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  // The default platform number is part of what is tested; no emulator unless a test starts one.
  const { TWILIO_PHONE_NUMBER: _platformNumber, ...inherited } = process.env;
  const env = {
    ...inherited,
    BASE_URL: publicBase,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_API_BASE: 'http://127.0.0.1:1',
    ...extraEnv,
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  gateway = await startWebhookReceiver((request) => {
    if (request.params.Body === 'YES 20')
      return {
        status: 200,
        contentType: 'text/xml',
        body: '<?xml version="1.0" encoding="UTF-8"?><Response><Message>You got the job &amp; it&apos;s 2 km away</Message></Response>',
      };
    if (request.params.Body === 'AVAILABLE')
      return {
        status: 200,
        contentType: 'text/xml',
        body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
      };
    return { status: 403, body: 'forbidden' };
  });
});

afterAll(async () => {
  await gateway.close();
});

describe('npm run sms', () => {
  it("posts Twilio's inbound form signed for the public URL and prints the TwiML reply", async () => {
    const result = await runSms([
      '--from',
      '+15551234567',
      '--url',
      `${gateway.url}/api/webhooks/twilio/sms`,
      'YES 20',
    ]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('HTTP 200');
    expect(result.stdout).toContain("reply: You got the job & it's 2 km away");
    const webhook = await gateway.next((r) => r.params.Body === 'YES 20');
    expect(webhook.params).toMatchObject({
      From: '+15551234567',
      To: '+15005550006',
      Body: 'YES 20',
      NumMedia: '0',
      ApiVersion: '2010-04-01',
      AccountSid: expect.stringMatching(/^AC\w{32}$/),
    });
    expect(webhook.params.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(webhook.params.SmsMessageSid).toBe(webhook.params.MessageSid);
    const signature = webhook.headers['x-twilio-signature'];
    expect(typeof signature).toBe('string');
    const publicUrl = `${publicBase}/api/webhooks/twilio/sms`;
    expect(validateTwilioSignature(authToken, String(signature), publicUrl, webhook.params)).toBe(true);
  });

  describe('with the Twilio emulator running', () => {
    let emulator: TwilioEmulator;
    const basicAuth = `Basic ${Buffer.from(`${ACCOUNT_SID}:${authToken}`).toString('base64')}`;
    const viaEmulator = () => ({ TWILIO_API_BASE: emulator.url, TWILIO_ACCOUNT_SID: ACCOUNT_SID });

    beforeAll(async () => {
      emulator = await createTwilioEmulator({
        accountSid: ACCOUNT_SID,
        authToken,
        inboundWebhookUrl: `${gateway.url}/api/webhooks/twilio/sms`,
        statusStepMs: 10,
      });
    });
    afterAll(async () => {
      await emulator?.close();
    });

    it('texts in through it, and it posts the webhook and sends the TwiML reply', async () => {
      const result = await runSms(['--from', '+15551230000', 'YES 20'], viaEmulator());

      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`through the Twilio emulator at ${emulator.url}`);
      expect(result.stdout).toContain("reply: You got the job & it's 2 km away");
      await gateway.next((r) => r.params.From === '+15551230000');
      // Twilio's own record of both: the text in, and the reply the TwiML asked for.
      const listed = async (filter: string) => {
        const response = await fetch(
          `${emulator.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?${filter}`,
          { headers: { authorization: basicAuth } },
        );
        const page = (await response.json()) as { messages: { direction: string; body: string }[] };
        return page.messages.map((m) => [m.direction, m.body]);
      };
      expect(await listed('From=%2B15551230000')).toEqual([['inbound', 'YES 20']]);
      expect(await listed('To=%2B15551230000')).toEqual([
        ['outbound-reply', "You got the job & it's 2 km away"],
      ]);
    });

    it('prints the texts the platform sends back after it acted, when the webhook answered nothing', async () => {
      const running = runSms(['--from', '+15551231111', 'AVAILABLE'], viaEmulator());
      // The platform acting on it: a confirmation sent through Twilio's API a moment later.
      await gateway.next((r) => r.params.From === '+15551231111');
      const sent = await fetch(`${emulator.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, {
        method: 'POST',
        headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          To: '+15551231111',
          From: '+15005550006',
          Body: 'You are now available.',
        }),
      });
      expect(sent.status).toBe(201);
      const result = await running;

      expect(result.code).toBe(0);
      expect(result.stdout).toContain('← SMS: You are now available.');
    });
  });

  it('posts the webhook itself when no emulator answers', async () => {
    const result = await runSms(['--from', '+15551239999', 'YES 20'], { BASE_URL: gateway.url });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`to ${gateway.url}/api/webhooks/twilio/sms`);
    await gateway.next((r) => r.params.From === '+15551239999');
  });

  it('joins unquoted words into one message and fails on an error status', async () => {
    const result = await runSms(['--from', '+15557654321', '--url', `${gateway.url}/sms`, 'NO', 'thanks']);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('HTTP 403');
    const webhook = await gateway.next((r) => r.params.From === '+15557654321');
    expect(webhook.params.Body).toBe('NO thanks');
  });

  it.each([
    [[], '--from is required'],
    [['--from', '5551234567', 'hi'], '--from must be an E.164 number'],
    [['--from', '+15551234567'], 'the message text is missing'],
    [['--from', '+15551234567', '--bogus', 'hi'], "Unknown option '--bogus'"],
  ])('prints usage and exits non-zero for %j', async (args, problem) => {
    const result = await runSms(args);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(problem);
    expect(result.stderr).toContain('Usage: npm run sms');
    expect(gateway.requests.filter((r) => r.params.From === '5551234567')).toEqual([]);
  });
});
