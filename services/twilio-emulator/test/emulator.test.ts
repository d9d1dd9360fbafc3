import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import twilio from 'twilio';
import {
  createTwilioClient,
  validateTwilioSignature,
  type TwilioClient,
} from '../../messaging/src/adapters/twilio-client.ts';
import { createTwilioEmulator, type TwilioEmulator } from '../src/index.ts';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from './webhook-receiver.ts';

const accountSid = 'ACtest0000000000000000000000000000';
const authToken = 'test_twilio_auth_token';
const platformNumber = '+15005550006';

let emulator: TwilioEmulator;
let receiver: WebhookReceiver;
let client: TwilioClient;
let nextNumber = 1000;

/** A phone number no other test uses, so list filters see only this test's messages. */
function freshNumber(): string {
  nextNumber += 1;
  return `+1555010${nextNumber}`;
}

// The app's side: status callbacks get 204, the inbound webhook answers with TwiML.
function appAnswer(request: ReceivedRequest) {
  if (request.path === '/sms') {
    const reply = request.params.Body === 'YES 20' ? 'Job accepted &amp; confirmed: ETA 20 min' : '';
    return {
      status: 200,
      contentType: 'text/xml',
      body: `<?xml version="1.0" encoding="UTF-8"?><Response>${reply ? `<Message>${reply}</Message>` : ''}</Response>`,
    };
  }
  // Fails the first attempt of each message's first callback.
  if (request.path === '/flaky') {
    const attempts = receiver.requests.filter(
      (r) => r.path === '/flaky' && r.params.MessageSid === request.params.MessageSid,
    );
    if (attempts.length === 1) return { status: 500 };
  }
  return { status: 204 };
}

async function emulatorPost(path: string, body?: unknown, method = 'POST') {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as unknown };
}

function isSignedBy(token: string, url: string, request: ReceivedRequest): boolean {
  const header = request.headers['x-twilio-signature'];
  return validateTwilioSignature(token, typeof header === 'string' ? header : undefined, url, request.params);
}

beforeAll(async () => {
  receiver = await startWebhookReceiver(appAnswer);
  emulator = await createTwilioEmulator({
    accountSid,
    authToken,
    inboundWebhookUrl: `${receiver.url}/sms`,
    statusStepMs: 5,
  });
  client = createTwilioClient({ accountSid, authToken, apiBase: emulator.url });
});

afterAll(async () => {
  await emulator.close();
  await receiver.close();
});

describe('sending a message through the twilio SDK', () => {
  it('returns a queued Message resource with an SM sid', async () => {
    const to = freshNumber();
    const message = await client.messages.create({
      to,
      from: platformNumber,
      body: 'New job: lockout at 12 Elm St',
    });

    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message).toMatchObject({
      accountSid,
      to,
      from: platformNumber,
      body: 'New job: lockout at 12 Elm St',
      status: 'queued',
      direction: 'outbound-api',
      numSegments: '1',
      apiVersion: '2010-04-01',
      errorCode: null,
      messagingServiceSid: null,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${message.sid}.json`,
    });
    expect(message.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(message.dateCreated.getTime())).toBe(false);
  });

  it('sends from the account number when only a MessagingServiceSid is given', async () => {
    const messagingServiceSid = `MG${'a'.repeat(32)}`;
    const message = await client.messages.create({ to: freshNumber(), messagingServiceSid, body: 'hello' });

    expect(message.messagingServiceSid).toBe(messagingServiceSid);
    expect(message.from).toBe(platformNumber);
  });

  it('counts segments like a carrier', async () => {
    const long = await client.messages.create({
      to: freshNumber(),
      from: platformNumber,
      body: 'x'.repeat(161),
    });
    const unicode = await client.messages.create({
      to: freshNumber(),
      from: platformNumber,
      body: '🔑'.repeat(36),
    });

    expect(long.numSegments).toBe('2');
    expect(unicode.numSegments).toBe('2');
  });

  it('rejects wrong credentials with RestException 20003', async () => {
    const intruder = createTwilioClient({ accountSid, authToken: 'wrong', apiBase: emulator.url });

    const attempt = intruder.messages.create({ to: freshNumber(), from: platformNumber, body: 'hi' });

    await expect(attempt).rejects.toBeInstanceOf(twilio.RestException);
    await expect(attempt).rejects.toMatchObject({
      status: 401,
      code: 20003,
      moreInfo: 'https://www.twilio.com/docs/errors/20003',
    });
  });

  it('rejects another account in the path even with valid credentials', async () => {
    const otherAccount = createTwilioClient({
      accountSid: `AC${'1'.repeat(32)}`,
      authToken,
      apiBase: emulator.url,
    });

    await expect(otherAccount.messages.list()).rejects.toMatchObject({ status: 401, code: 20003 });
  });

  it.each([
    ['a number that is not E.164', '555-0100', 21211],
    ['the invalid magic number', '+15005550001', 21211],
    ['the non-mobile magic number', '+15005550009', 21614],
  ])('rejects %s as To', async (_case, to, code) => {
    await expect(client.messages.create({ to, from: platformNumber, body: 'hi' })).rejects.toMatchObject({
      status: 400,
      code,
    });
  });

  it('rejects a missing Body with 21602', async () => {
    await expect(client.messages.create({ to: freshNumber(), from: platformNumber })).rejects.toMatchObject({
      status: 400,
      code: 21602,
    });
  });

  it('rejects a missing To with 21604 in the REST error shape', async () => {
    const response = await fetch(`${emulator.url}/2010-04-01/Accounts/${accountSid}/Messages.json`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ From: platformNumber, Body: 'hi' }).toString(),
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      code: 21604,
      message: "A 'To' phone number is required.",
      more_info: 'https://www.twilio.com/docs/errors/21604',
      status: 400,
    });
  });
});

describe('reading messages back', () => {
  it('fetches a message by sid', async () => {
    const sent = await client.messages.create({ to: freshNumber(), from: platformNumber, body: 'fetch me' });

    const fetched = await client.messages(sent.sid).fetch();

    expect(fetched.sid).toBe(sent.sid);
    expect(fetched.body).toBe('fetch me');
  });

  it('answers an unknown sid with 20404', async () => {
    await expect(client.messages(`SM${'0'.repeat(32)}`).fetch()).rejects.toMatchObject({
      status: 404,
      code: 20404,
    });
  });

  it('lists by To, newest first, across pages', async () => {
    const to = freshNumber();
    for (const body of ['first', 'second', 'third']) {
      await client.messages.create({ to, from: platformNumber, body });
    }
    await client.messages.create({ to: freshNumber(), from: platformNumber, body: 'someone else' });

    const all = await client.messages.list({ to, pageSize: 2 });
    const firstPage = await client.messages.page({ to, pageSize: 2 });
    const secondPage = await firstPage.nextPage();

    expect(all.map((m) => m.body)).toEqual(['third', 'second', 'first']);
    expect(firstPage.instances.map((m) => m.body)).toEqual(['third', 'second']);
    expect(secondPage?.instances.map((m) => m.body)).toEqual(['first']);
    expect(secondPage?.nextPageUrl).toBeUndefined();
  });

  it('pages by PageToken, so messages that arrive meanwhile neither repeat nor drop an item', async () => {
    const to = freshNumber();
    for (const body of ['first', 'second', 'third']) {
      await client.messages.create({ to, from: platformNumber, body });
    }
    const firstPage = await client.messages.page({ to, pageSize: 2 });
    // Two newer messages arrive before the next page is read: by offset it would repeat 'second'.
    for (const body of ['fourth', 'fifth']) {
      await client.messages.create({ to, from: platformNumber, body });
    }
    const secondPage = await firstPage.nextPage();
    expect(firstPage.instances.map((m) => m.body)).toEqual(['third', 'second']);
    expect(secondPage?.instances.map((m) => m.body)).toEqual(['first']);
    expect(secondPage?.nextPageUrl).toBeUndefined();
    // And back: the page before 'first' is the one the client saw, not the newest two.
    const back = await secondPage?.previousPage();
    expect(back?.instances.map((m) => m.body)).toEqual(['third', 'second']);

    const base = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
    const bogus = await fetch(`${emulator.url}${base}?PageSize=2&Page=1&PageToken=PAnot-a-sid`, {
      headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}` },
    });
    expect(bogus.status).toBe(400);
    expect(await bogus.json()).toMatchObject({ code: 20001, message: expect.stringContaining('PageToken') });
  });

  it("uses Twilio's list shape and paging URIs", async () => {
    const to = freshNumber();
    const first = await client.messages.create({ to, from: platformNumber, body: 'one' });
    await client.messages.create({ to, from: platformNumber, body: 'two' });
    const base = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
    const query = new URLSearchParams({ To: to, PageSize: '1', Page: '1' });

    const response = await fetch(`${emulator.url}${base}?${query.toString()}`, {
      headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}` },
    });
    const page = (await response.json()) as Record<string, unknown>;

    const encodedTo = encodeURIComponent(to);
    expect(page).toMatchObject({
      page: 1,
      page_size: 1,
      start: 1,
      end: 1,
      first_page_uri: `${base}?To=${encodedTo}&PageSize=1&Page=0`,
      previous_page_uri: `${base}?To=${encodedTo}&PageSize=1&Page=0&PageToken=PB${first.sid}`,
      next_page_uri: null,
      uri: `${base}?To=${encodedTo}&PageSize=1&Page=1`,
    });
    expect(page.messages).toEqual([expect.objectContaining({ body: 'one', to })]);
  });

  it('filters by DateSent once messages are sent', async () => {
    const to = freshNumber();
    const sent = await client.messages.create({
      to,
      from: platformNumber,
      body: 'dated',
      statusCallback: `${receiver.url}/status`,
    });
    await receiver.next((r) => r.params.MessageSid === sent.sid && r.params.MessageStatus === 'delivered');

    const today = await client.messages.list({ to, dateSent: new Date() });
    const yesterday = await client.messages.list({ to, dateSent: new Date(Date.now() - 86_400_000) });

    expect(today.map((m) => m.sid)).toEqual([sent.sid]);
    expect(yesterday).toEqual([]);
  });
});

describe('status callbacks', () => {
  const callbackUrl = (): string => `${receiver.url}/status`;

  it('posts queued, sent and delivered, each signed by Twilio', async () => {
    const to = freshNumber();
    const message = await client.messages.create({
      to,
      from: platformNumber,
      body: 'hi',
      statusCallback: callbackUrl(),
    });

    const delivered = await receiver.next(
      (r) => r.params.MessageSid === message.sid && r.params.MessageStatus === 'delivered',
    );
    const callbacks = receiver.requests.filter((r) => r.params.MessageSid === message.sid);

    expect(callbacks.map((r) => r.params.MessageStatus)).toEqual(['queued', 'sent', 'delivered']);
    expect(delivered.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(delivered.params).toMatchObject({
      MessageSid: message.sid,
      SmsSid: message.sid,
      MessageStatus: 'delivered',
      SmsStatus: 'delivered',
      To: to,
      From: platformNumber,
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
    });
    expect(delivered.params.ErrorCode).toBeUndefined();
    for (const callback of callbacks) expect(isSignedBy(authToken, callbackUrl(), callback)).toBe(true);

    const fetched = await client.messages(message.sid).fetch();
    expect(fetched.status).toBe('delivered');
    expect(fetched.dateSent).toBeInstanceOf(Date);
  });

  it('has signatures that fail for tampered params, another URL or another token', async () => {
    const message = await client.messages.create({
      to: freshNumber(),
      from: platformNumber,
      body: 'hi',
      statusCallback: callbackUrl(),
    });
    const callback = await receiver.next((r) => r.params.MessageSid === message.sid);
    const tampered = { ...callback, params: { ...callback.params, MessageStatus: 'failed' } };

    expect(isSignedBy(authToken, callbackUrl(), tampered)).toBe(false);
    expect(isSignedBy(authToken, `${receiver.url}/other`, callback)).toBe(false);
    expect(isSignedBy('another_token', callbackUrl(), callback)).toBe(false);
    expect(validateTwilioSignature(authToken, undefined, callbackUrl(), callback.params)).toBe(false);
  });

  it('ends undelivered with 30003 for a number marked undeliverable, until cleared', async () => {
    const to = freshNumber();
    expect((await emulatorPost('/__emulator/undeliverable', { phone: to })).status).toBe(200);

    const lost = await client.messages.create({
      to,
      from: platformNumber,
      body: 'hi',
      statusCallback: callbackUrl(),
    });
    const final = await receiver.next(
      (r) =>
        r.params.MessageSid === lost.sid &&
        ['delivered', 'undelivered'].includes(r.params.MessageStatus ?? ''),
    );

    expect(final.params).toMatchObject({ MessageStatus: 'undelivered', ErrorCode: '30003' });
    expect(isSignedBy(authToken, callbackUrl(), final)).toBe(true);
    const fetched = await client.messages(lost.sid).fetch();
    expect(fetched).toMatchObject({ status: 'undelivered', errorCode: 30003 });

    expect((await emulatorPost('/__emulator/undeliverable', { phone: to }, 'DELETE')).status).toBe(200);
    const found = await client.messages.create({
      to,
      from: platformNumber,
      body: 'hi',
      statusCallback: callbackUrl(),
    });
    const next = await receiver.next(
      (r) =>
        r.params.MessageSid === found.sid &&
        ['delivered', 'undelivered'].includes(r.params.MessageStatus ?? ''),
    );
    expect(next.params.MessageStatus).toBe('delivered');
  });

  it("ends with the Twilio code and status a number is marked with (a dead number's 30005, failed)", async () => {
    const to = freshNumber();
    expect(
      (await emulatorPost('/__emulator/undeliverable', { phone: to, code: 30005, status: 'failed' })).status,
    ).toBe(200);

    const lost = await client.messages.create({
      to,
      from: platformNumber,
      body: 'hi',
      statusCallback: callbackUrl(),
    });
    const final = await receiver.next(
      (r) =>
        r.params.MessageSid === lost.sid &&
        ['delivered', 'undelivered', 'failed'].includes(r.params.MessageStatus ?? ''),
    );
    expect(final.params).toMatchObject({ MessageStatus: 'failed', ErrorCode: '30005' });
    expect(await client.messages(lost.sid).fetch()).toMatchObject({ status: 'failed', errorCode: 30005 });

    const refused = await emulatorPost('/__emulator/undeliverable', { phone: to, code: 'dead' });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ code: 20001 });
  });

  it('retries a callback the app failed to take', async () => {
    const message = await client.messages.create({
      to: freshNumber(),
      from: platformNumber,
      body: 'hi',
      statusCallback: `${receiver.url}/flaky`,
    });

    await receiver.next((r) => r.params.MessageSid === message.sid && r.params.MessageStatus === 'delivered');
    const statuses = receiver.requests
      .filter((r) => r.params.MessageSid === message.sid)
      .map((r) => r.params.MessageStatus);

    expect(statuses).toEqual(['queued', 'queued', 'sent', 'delivered']);
  });

  it('keeps delivering when the callback URL is unreachable', async () => {
    const unreachable = await startWebhookReceiver();
    const deadUrl = `${unreachable.url}/status`;
    await unreachable.close();

    const message = await client.messages.create({
      to: freshNumber(),
      from: platformNumber,
      body: 'hi',
      statusCallback: deadUrl,
    });
    let status = message.status;
    while (status !== 'delivered') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await client.messages(message.sid).fetch()).status;
    }

    expect(status).toBe('delivered');
    expect((await fetch(`${emulator.url}/__emulator/health`)).status).toBe(200);
  });
});

describe('inbound SMS simulation', () => {
  it("posts Twilio's signed inbound form to the app and returns its TwiML", async () => {
    const locksmith = freshNumber();

    const { status, json } = await emulatorPost('/__emulator/inbound', { from: locksmith, body: 'YES 20' });

    expect(status).toBe(200);
    expect(json).toMatchObject({
      sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      webhookStatus: 200,
      webhookResponse: expect.stringContaining('<Message>Job accepted &amp; confirmed: ETA 20 min</Message>'),
    });
    const webhook = await receiver.next((r) => r.path === '/sms' && r.params.From === locksmith);
    expect(webhook.params).toEqual({
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
      Body: 'YES 20',
      From: locksmith,
      FromCity: '',
      FromCountry: 'US',
      FromState: '',
      FromZip: '',
      MessageSid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      NumMedia: '0',
      NumSegments: '1',
      SmsMessageSid: webhook.params.MessageSid,
      SmsSid: webhook.params.MessageSid,
      SmsStatus: 'received',
      To: platformNumber,
      ToCity: '',
      ToCountry: 'US',
      ToState: '',
      ToZip: '',
    });
    expect(isSignedBy(authToken, `${receiver.url}/sms`, webhook)).toBe(true);
  });

  it('records the inbound message and the TwiML reply for API readers', async () => {
    const locksmith = freshNumber();

    const { json } = await emulatorPost('/__emulator/inbound', { from: locksmith, body: 'YES 20' });

    const inbound = await client.messages.list({ from: locksmith });
    const replies = await client.messages.list({ to: locksmith });
    expect(inbound).toEqual([
      expect.objectContaining({
        direction: 'inbound',
        status: 'received',
        body: 'YES 20',
        to: platformNumber,
      }),
    ]);
    expect(inbound[0]?.sid).toBe((json as { sid: string }).sid);
    expect(replies).toEqual([
      expect.objectContaining({
        direction: 'outbound-reply',
        from: platformNumber,
        body: 'Job accepted & confirmed: ETA 20 min',
      }),
    ]);
  });

  it('confirms STOP itself, then stops sending to that number until it texts START', async () => {
    const locksmith = freshNumber();
    const stopped = await emulatorPost('/__emulator/inbound', { from: locksmith, body: 'stop' });
    expect(stopped.json).toMatchObject({
      replies: [{ to: locksmith, body: expect.stringContaining('successfully been unsubscribed') }],
    });

    await expect(
      client.messages.create({ to: locksmith, from: platformNumber, body: 'job?' }),
    ).rejects.toMatchObject({
      status: 400,
      code: 21610,
    });

    await emulatorPost('/__emulator/inbound', { from: locksmith, body: 'START' });
    const message = await client.messages.create({ to: locksmith, from: platformNumber, body: 'job?' });
    expect(message.status).toBe('queued');
  });

  it('rejects a simulation request without a valid sender', async () => {
    const { status, json } = await emulatorPost('/__emulator/inbound', { from: '12345', body: 'hi' });

    expect(status).toBe(400);
    expect(json).toMatchObject({ code: 20001, status: 400 });
  });
});
