import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  CONSUMERS,
  dispatch,
  messaging,
  registry,
  type EventContract,
  type EventData,
} from '@trades/contracts';
import { buildServer, loadGatewayConfig } from '@trades/gateway';
import { createRegistryService } from '@trades/locksmith-registry';
import { DEVELOPMENT_DEFAULTS, encodeJson, startService, type RunningService } from '@trades/runtime';
import { consumerSettled, migrateService, resetJetStream, serviceEnv, waitFor } from '@trades/testkit';
import { createTwilioEmulator, type InboundResult, type TwilioEmulator } from '@trades/twilio-emulator';
import { createTwilioClient, twilioSignature, type TwilioClient } from '../src/adapters/twilio-client.ts';
import { messagingService } from '../src/app.ts';
import { claimPending, markHandedToTwilio } from '../src/store/messages.ts';

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

const registryDefinition = createRegistryService();
let gateway: ReturnType<typeof buildServer>;
let gatewayUrl: string;
let twilio: TwilioEmulator;
let twilioApi: TwilioClient;
let registryService: RunningService<unknown>;
let messagingRunning: RunningService<unknown>;
let locksmith: registry.Provider;
let env: Record<string, string>;

const LOCKSMITH_PHONE = '+14155550142';
const STRANGER_PHONE = '+14155550199';

beforeAll(async () => {
  await resetJetStream();
  await migrateService(registryDefinition);
  await migrateService(messagingService);
  gateway = buildServer(
    loadGatewayConfig({
      ...serviceEnv(secrets),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
    }),
  );
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  gatewayUrl = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  twilio = await createTwilioEmulator({
    accountSid: secrets.TWILIO_ACCOUNT_SID,
    authToken: secrets.TWILIO_AUTH_TOKEN,
    phoneNumber: secrets.TWILIO_PHONE_NUMBER,
    inboundWebhookUrl: `${gatewayUrl}/api/webhooks/twilio/sms`,
    statusStepMs: 20,
  });
  twilioApi = createTwilioClient({
    accountSid: secrets.TWILIO_ACCOUNT_SID,
    authToken: secrets.TWILIO_AUTH_TOKEN,
    apiBase: twilio.url,
  });
  env = serviceEnv({ ...secrets, BASE_URL: gatewayUrl, TWILIO_API_BASE: twilio.url });
  registryService = await startService(registryDefinition, env);
  messagingRunning = await startService(messagingService, env);
  locksmith = await registryService.ctx.call(registry.ProviderCreate, {
    name: 'Dana Keys',
    phone: LOCKSMITH_PHONE,
    services: ['home_lockout'],
    address: '2128 Mission St, San Francisco, CA 94110',
    actor: 'test',
  });
});

afterAll(async () => {
  // The run's database is shared by every suite: no locksmith of ours should be offered their jobs.
  if (locksmith)
    await registryService.ctx.orm.em
      .fork()
      .execute('delete from registry.provider where id = ?', [locksmith.id]);
  await gateway?.close();
  await messagingRunning?.stop();
  await registryService?.stop();
  await twilio?.close();
});

async function publishEvent<E extends EventContract>(contract: E, data: EventData<E>): Promise<string> {
  const id = randomUUID();
  await messagingRunning.ctx.js.publish(
    contract.subject,
    encodeJson({ id, occurredAt: new Date().toISOString(), data }),
    {
      msgID: id,
    },
  );
  return id;
}

function offer(offerId: string, phone = LOCKSMITH_PHONE): EventData<typeof dispatch.OfferSent> {
  return {
    offerId,
    jobId: randomUUID(),
    jobCode: '4821',
    providerId: locksmith.id,
    providerPhone: phone,
    wave: 1,
    serviceName: 'Home lockout',
    area: 'Mission District',
    distanceKm: 2.1,
    expiresAt: new Date(Date.now() + 120_000).toISOString(),
  };
}

/** An offer to the locksmith, published, once its SMS is in the log (which ties later replies to its job). */
async function offerLogged(): Promise<EventData<typeof dispatch.OfferSent>> {
  const offered = offer(randomUUID());
  await publishEvent(dispatch.OfferSent, offered);
  await waitFor(
    async () =>
      (await log({ phone: LOCKSMITH_PHONE, direction: 'outbound' })).items.some(
        (m) => m.purpose === `offer:${offered.offerId}`,
      ),
    { what: 'the offer SMS logged' },
  );
  return offered;
}

/** offer.closed for an offer of the locksmith's whose job another locksmith took. */
const jobTaken = (offerId: string, jobCode = '4821'): EventData<typeof dispatch.OfferClosed> => ({
  offerId,
  jobId: randomUUID(),
  jobCode,
  providerId: locksmith.id,
  providerPhone: LOCKSMITH_PHONE,
  status: 'CANCELED',
  reason: 'job taken',
  responseSeconds: null,
});

/** The purpose key of the one "job taken" SMS a locksmith gets for a job. */
const takenPurpose = (closed: { jobId: string; providerId: string }) =>
  `taken:${closed.jobId}:${closed.providerId}`;

const log = (filter: { phone?: string; direction?: 'inbound' | 'outbound' } = {}) =>
  messagingRunning.ctx.call(messaging.MessageList, { ...filter, limit: 200 });

const sentTo = async (phone: string) =>
  (await twilioApi.messages.list({ to: phone })).filter((m) => m.direction !== 'inbound');

/** A YES signed with the wrong token gets 403 INVALID_SIGNATURE. */
async function expectForgedYesRefused(sid: string): Promise<void> {
  const response = await signedForm(
    '/api/webhooks/twilio/sms',
    inboundForm(sid, LOCKSMITH_PHONE, 'YES'),
    'not-the-token',
  );
  expect(response.status).toBe(403);
  expect(await response.json()).toMatchObject({ code: 'INVALID_SIGNATURE' });
}

/** Waits until Twilio has sent something to `phone`, and returns what it sent. */
const firstSentTo = (phone: string, what: string) =>
  waitFor(
    async () => {
      const sent = await sentTo(phone);
      return sent.length > 0 ? sent : undefined;
    },
    { what },
  );

async function textFrom(from: string, body: string): Promise<InboundResult> {
  const response = await fetch(`${twilio.url}/__emulator/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, body }),
  });
  const result: unknown = await response.json();
  if (!isInboundResult(result)) throw new Error(`the emulator answered ${JSON.stringify(result)}`);
  return result;
}

function isInboundResult(value: unknown): value is InboundResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    'sid' in value &&
    'webhookStatus' in value &&
    'replies' in value &&
    Array.isArray(value.replies)
  );
}

function signedForm(path: string, form: Record<string, string>, authToken = secrets.TWILIO_AUTH_TOKEN) {
  return fetch(`${gatewayUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(authToken, `${gatewayUrl}${path}`, form),
    },
    body: new URLSearchParams(form).toString(),
  });
}

const inboundForm = (sid: string, from: string, body: string): Record<string, string> => ({
  AccountSid: secrets.TWILIO_ACCOUNT_SID,
  MessageSid: sid,
  SmsSid: sid,
  From: from,
  To: secrets.TWILIO_PHONE_NUMBER,
  Body: body,
  NumMedia: '0',
});

const countOutbox = async (subject: string, where = 'true', params: unknown[] = []) => {
  const [row] = await messagingRunning.ctx.orm.em
    .fork()
    .execute<{ n: number }[]>(
      `select count(*)::int as n from messaging.outbox where subject = ? and ${where}`,
      [subject, ...params],
    );
  return row?.n ?? 0;
};

describe('offer SMS', () => {
  it('texts one offer per offer event, even when the event is delivered twice, and follows its delivery', async () => {
    const offerId = randomUUID();
    await publishEvent(dispatch.OfferSent, offer(offerId));
    await publishEvent(dispatch.OfferSent, offer(offerId));

    const delivered = await waitFor(
      async () => {
        const items = (await log({ phone: LOCKSMITH_PHONE, direction: 'outbound' })).items.filter(
          (m) => m.purpose === `offer:${offerId}`,
        );
        return items.length === 1 && items[0]?.status === 'delivered' ? items[0] : undefined;
      },
      { what: 'the offer SMS delivered' },
    );
    expect(delivered.body).toBe(
      'Job 4821: Home lockout near Mission District, 2.1 km. Reply YES 4821 (or YES 20 for a 20 min ETA) or NO. Expires in 2 min.',
    );
    expect(delivered.sid).toMatch(/^SM/);
    expect(delivered.providerId).toBe(locksmith.id);
    // Give a redelivery every chance to (wrongly) send again before counting at Twilio.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const atTwilio = (await sentTo(LOCKSMITH_PHONE)).filter((m) => m.body.startsWith('Job 4821'));
    expect(atTwilio).toHaveLength(1);
    expect(atTwilio[0]?.sid).toBe(delivered.sid);
  });

  it('never moves a delivery status backwards when a callback arrives late', async () => {
    const [delivered] = (await log({ phone: LOCKSMITH_PHONE, direction: 'outbound' })).items.filter(
      (m) => m.status === 'delivered',
    );
    if (!delivered?.sid) throw new Error('no delivered message');
    const response = await signedForm('/api/webhooks/twilio/status', {
      AccountSid: secrets.TWILIO_ACCOUNT_SID,
      MessageSid: delivered.sid,
      MessageStatus: 'sent',
      To: LOCKSMITH_PHONE,
    });
    expect(response.status).toBe(204);
    const after = (await log({ phone: LOCKSMITH_PHONE })).items.find((m) => m.sid === delivered.sid);
    expect(after?.status).toBe('delivered');
  });

  it('keeps a status callback that arrives before the MessageSid is stored, and applies it then', async () => {
    const sid = `SM${randomUUID().replace(/-/g, '')}`;
    const id = randomUUID();
    await messagingRunning.ctx.transaction((em) =>
      em.execute(
        `insert into messaging.message (id, direction, from_phone, to_phone, body, status, purpose)
         values (?, 'outbound', ?, ?, 'early bird', 'queued', ?)`,
        [id, secrets.TWILIO_PHONE_NUMBER, '+14155550145', `test:${id}`],
      ),
    );
    // Queued, not pending, so the sender leaves it alone: this test plays the sender. Twilio has the
    // message and calls back while the sender's transaction is still open.
    const callback = await signedForm('/api/webhooks/twilio/status', {
      AccountSid: secrets.TWILIO_ACCOUNT_SID,
      MessageSid: sid,
      MessageStatus: 'delivered',
    });
    expect(callback.status).toBe(204);
    await messagingRunning.ctx.transaction((em) => markHandedToTwilio(em, [{ id, sid, status: 'queued' }]));
    const message = (await log({ phone: '+14155550145' })).items.find((m) => m.sid === sid);
    expect(message?.status).toBe('delivered');
  });

  it('reports an undeliverable offer SMS to dispatch with the offer id', async () => {
    const phone = '+14155550143';
    await fetch(`${twilio.url}/__emulator/undeliverable`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone }),
    });
    const offerId = randomUUID();
    await publishEvent(dispatch.OfferSent, offer(offerId, phone));
    await waitFor(async () => (await log({ phone })).items.some((m) => m.status === 'undelivered'), {
      what: 'undelivered',
    });
    expect(
      await countOutbox(
        messaging.SmsStatusChanged.subject,
        "payload #>> '{data,offerId}' = ? and payload #>> '{data,status}' = ?",
        [offerId, 'undelivered'],
      ),
    ).toBe(1);
  });
});

describe('dispatch outcomes by SMS', () => {
  it('tells a locksmith whose offer was withdrawn that the job was taken, once', async () => {
    const offerId = randomUUID();
    const closed: EventData<typeof dispatch.OfferClosed> = {
      offerId,
      jobId: randomUUID(),
      jobCode: '5133',
      providerId: locksmith.id,
      providerPhone: LOCKSMITH_PHONE,
      status: 'CANCELED',
      reason: 'job taken',
      responseSeconds: null,
    };
    await publishEvent(dispatch.OfferClosed, closed);
    await publishEvent(dispatch.OfferClosed, closed);
    await waitFor(
      async () =>
        (await log({ phone: LOCKSMITH_PHONE })).items.find((m) => m.purpose === takenPurpose(closed))
          ?.status === 'delivered',
      { what: 'taken SMS delivered' },
    );
    const taken = (await sentTo(LOCKSMITH_PHONE)).filter((m) => m.body.startsWith('Job 5133 was taken'));
    expect(taken).toHaveLength(1);
  });

  it('tells a locksmith whose YES lost the race that the job was taken once, whichever event comes first', async () => {
    const lostRace = (
      closed: EventData<typeof dispatch.OfferClosed>,
      replyReceivedAt: Date,
    ): EventData<typeof dispatch.ReplyRejected> => ({
      providerId: closed.providerId,
      providerPhone: closed.providerPhone,
      command: 'YES',
      reason: 'job_taken',
      jobCode: closed.jobCode,
      jobId: closed.jobId,
      replyReceivedAt: replyReceivedAt.toISOString(),
    });
    // Both YES replies reached the platform before either "taken" notice was queued: they crossed.
    const repliedAt = new Date(Date.now() - 1_000);
    const closedFirst = jobTaken(randomUUID(), '5141');
    await publishEvent(dispatch.OfferClosed, closedFirst);
    await publishEvent(dispatch.ReplyRejected, lostRace(closedFirst, repliedAt));
    const replyFirst = jobTaken(randomUUID(), '5142');
    await publishEvent(dispatch.ReplyRejected, lostRace(replyFirst, repliedAt));
    await publishEvent(dispatch.OfferClosed, replyFirst);
    await waitFor(() => consumerSettled(messagingRunning.ctx.nc, CONSUMERS.messagingOffers), {
      what: 'the four events handled',
    });
    const outbound = (await log({ phone: LOCKSMITH_PHONE, direction: 'outbound' })).items;
    for (const closed of [closedFirst, replyFirst]) {
      const about = outbound.filter((m) => m.body.includes(`ob ${closed.jobCode} was`));
      expect(about.map((m) => m.purpose)).toEqual([takenPurpose(closed)]);
      expect(about[0]?.jobId).toBe(closed.jobId);
    }

    // A YES sent after they were told is a question of its own: it gets its own answer.
    const later = await publishEvent(dispatch.ReplyRejected, lostRace(closedFirst, new Date()));
    await waitFor(
      async () =>
        (await log({ phone: LOCKSMITH_PHONE, direction: 'outbound' })).items.find(
          (m) => m.purpose === `reply-rejected:${later}`,
        )?.body === 'Sorry, job 5141 was already taken by another locksmith.',
      { what: 'the later YES answered' },
    );
  });

  it('tells nobody "on the way" when the locksmith went straight to DONE, and both sides it is done', async () => {
    const offered = await offerLogged();
    await textFrom(LOCKSMITH_PHONE, 'DONE');
    const job = (state: 'EN_ROUTE' | 'COMPLETED'): EventData<typeof dispatch.JobCompleted> => ({
      jobId: offered.jobId,
      jobCode: offered.jobCode,
      bookingId: 'booking-done-early',
      state,
      previousState: state === 'EN_ROUTE' ? 'ASSIGNED' : 'EN_ROUTE',
      cause: 'locksmith reported DONE',
      actor: locksmith.id,
      at: new Date().toISOString(),
      serviceCode: 'home_lockout',
      serviceName: 'Home lockout',
      customer: { name: 'Ada Customer', phone: STRANGER_PHONE },
      address: { formatted: '1 Market St, San Francisco, CA 94105', lat: 37.79, lng: -122.39, zip: '94105' },
      notes: null,
      locksmith: { id: locksmith.id, name: 'Dana Keys', phone: LOCKSMITH_PHONE, etaMinutes: null },
    });
    await publishEvent(dispatch.JobEnRoute, job('EN_ROUTE'));
    await publishEvent(dispatch.JobCompleted, job('COMPLETED'));
    await waitFor(() => consumerSettled(messagingRunning.ctx.nc, CONSUMERS.messagingOffers), {
      what: 'both job events handled',
    });
    const purposes = (await log({ direction: 'outbound' })).items
      .filter((m) => m.jobId === offered.jobId)
      .map((m) => m.purpose?.replace(/:.*/, ''))
      .sort();
    expect(purposes).toEqual(['customer-completed', 'locksmith-completed', 'offer']);
  });

  it('confirms a NO, and says which job a NO with the wrong code can pass on', async () => {
    const declined: EventData<typeof dispatch.OfferClosed> = {
      ...jobTaken(randomUUID(), '5151'),
      status: 'DECLINED',
      reason: 'declined by SMS',
      responseSeconds: 12,
    };
    await publishEvent(dispatch.OfferClosed, declined);
    await publishEvent(dispatch.ReplyRejected, {
      providerId: locksmith.id,
      providerPhone: LOCKSMITH_PHONE,
      command: 'NO',
      reason: 'wrong_job_code',
      jobCode: '5152',
      jobId: randomUUID(),
    });
    await waitFor(
      async () => {
        const bodies = (await sentTo(LOCKSMITH_PHONE)).map((m) => m.body);
        return (
          bodies.includes("OK, you passed on job 5151. We'll text you when the next one comes in.") &&
          bodies.includes("That job code doesn't match your offer. Reply NO 5152 to pass on job 5152.")
        );
      },
      { what: 'the NO confirmed and the wrong code answered' },
    );
  });

  it('withdraws an offer SMS that has not left when its offer closes, and tells that locksmith nothing', async () => {
    // A Twilio nobody answers at: the offer SMS stays pending, backing off, as when the sender runs behind.
    await messagingRunning.stop();
    messagingRunning = await startService(messagingService, {
      ...env,
      TWILIO_API_BASE: 'http://127.0.0.1:1',
    });
    const offerId = randomUUID();
    const rowOf = async (purpose: string) =>
      (
        await messagingRunning.ctx.orm.em
          .fork()
          .execute<{ status: string; attempts: number }[]>(
            'select status, attempts from messaging.message where purpose = ?',
            [purpose],
          )
      )[0];
    try {
      await publishEvent(dispatch.OfferSent, offer(offerId));
      await waitFor(async () => ((await rowOf(`offer:${offerId}`))?.attempts ?? 0) >= 1, {
        what: 'a failed first try of the offer SMS',
      });
      expect(await rowOf(`offer:${offerId}`)).toMatchObject({ status: 'pending' });
      const closed = jobTaken(offerId);
      await publishEvent(dispatch.OfferClosed, closed);
      // Withdrawn in the same transaction that decides not to say "taken": once it shows, that is final.
      await waitFor(async () => (await rowOf(`offer:${offerId}`))?.status === 'canceled', {
        what: 'the offer SMS withdrawn',
      });
      expect(await rowOf(takenPurpose(closed))).toBeUndefined();
    } finally {
      await messagingRunning.stop();
      messagingRunning = await startService(messagingService, env);
    }
    // Back with a Twilio that answers: the sender sends the next offer but never claims the withdrawn one.
    const later = randomUUID();
    await publishEvent(dispatch.OfferSent, offer(later));
    await waitFor(async () => (await rowOf(`offer:${later}`))?.status === 'delivered', {
      what: 'the next offer delivered',
    });
    expect(await rowOf(`offer:${offerId}`)).toMatchObject({ status: 'canceled' });
  });

  it('tells the customer when no locksmith could be found, and that the card hold is released', async () => {
    const customer = '+14155550144';
    const jobId = randomUUID();
    await publishEvent(dispatch.JobFailed, {
      jobId,
      jobCode: '7001',
      bookingId: 'bk_failed',
      state: 'FAILED',
      previousState: 'OFFERED',
      cause: 'no locksmith left',
      actor: 'system',
      at: new Date().toISOString(),
      serviceCode: 'home_lockout',
      serviceName: 'Home lockout',
      customer: { name: 'Ada Lovelace', phone: customer },
      address: {
        formatted: '500 Howard St, San Francisco, CA 94105',
        lat: 37.788,
        lng: -122.396,
        zip: '94105',
      },
      notes: null,
      locksmith: null,
    });
    const [text] = await waitFor(async () => {
      const texts = await sentTo(customer);
      return texts.length > 0 ? texts : undefined;
    });
    expect(text?.body).toContain("couldn't find an available locksmith");
    expect(text?.body).toContain('card hold is released');
    expect((await messagingRunning.ctx.call(messaging.MessageList, { jobId })).items).toHaveLength(1);
  });

  it('fails a message Twilio refuses (an invalid number) without retrying it', async () => {
    // Twilio's magic test number: "This phone number is invalid" (21211).
    const offerId = randomUUID();
    await publishEvent(dispatch.OfferSent, offer(offerId, '+15005550001'));
    const failed = await waitFor(
      async () => {
        const message = (await log({ phone: '+15005550001' })).items.find(
          (m) => m.purpose === `offer:${offerId}`,
        );
        return message?.status === 'failed' ? message : undefined;
      },
      { what: 'refused message failed' },
    );
    expect(failed).toMatchObject({ errorCode: '21211', sid: null });
    expect(
      await countOutbox(
        messaging.SmsStatusChanged.subject,
        "payload #>> '{data,offerId}' = ? and payload #>> '{data,status}' = 'failed'",
        [offerId],
      ),
    ).toBe(1);
  });
});

describe('a burst of SMS', () => {
  it('sends every message once, with its MessageSid, in batches where one refused message fails alone', async () => {
    // Due all at once, so the sender claims them in batches; the refused number sits among the others.
    const burst = Array.from({ length: 25 }, (_, i) => ({
      id: randomUUID(),
      to: i === 12 ? '+15005550001' : `+1415555${String(3000 + i)}`,
    }));
    await messagingRunning.ctx.transaction(async (em) => {
      for (const message of burst) {
        await em.execute(
          `insert into messaging.message (id, direction, from_phone, to_phone, body, status, purpose)
           values (?, 'outbound', ?, ?, 'burst', 'pending', ?)`,
          [message.id, secrets.TWILIO_PHONE_NUMBER, message.to, `test:${message.id}`],
        );
      }
    });
    const rows = await waitFor(
      async () => {
        const found = await messagingRunning.ctx.orm.em
          .fork()
          .execute<
            { id: string; to_phone: string; sid: string | null; status: string; error_code: string | null }[]
          >(`select id, to_phone, sid, status, error_code from messaging.message where id = any(?::uuid[])`, [
            `{${burst.map((m) => m.id).join(',')}}`,
          ]);
        return found.every((m) => m.status !== 'pending') ? found : undefined;
      },
      { what: 'every message of the burst sent or failed' },
    );
    const refused = rows.filter((m) => m.to_phone === '+15005550001');
    const taken = rows.filter((m) => m.to_phone !== '+15005550001');
    expect(refused).toMatchObject([{ status: 'failed', error_code: '21211', sid: null }]);
    expect(taken).toHaveLength(24);
    for (const message of taken) expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(new Set(taken.map((m) => m.sid)).size).toBe(24);
    // Twilio got each message exactly once.
    const received = await Promise.all(taken.map((m) => sentTo(m.to_phone)));
    expect(received.map((list) => list.map((m) => m.sid))).toEqual(taken.map((m) => [m.sid]));
  });
});

describe('the sender', () => {
  it('holds no transaction while Twilio answers, and leaves an SMS it is sending to go out', async () => {
    // A Twilio that takes the request and answers nothing until told to.
    const hanging = new Set<ServerResponse>();
    let requests = 0;
    const slowTwilio = createServer((_request, response) => {
      requests += 1;
      hanging.add(response);
    });
    await new Promise<void>((resolve) => slowTwilio.listen(0, '127.0.0.1', resolve));
    const slowUrl = `http://127.0.0.1:${(slowTwilio.address() as AddressInfo).port}`;
    await messagingRunning.stop();
    messagingRunning = await startService(messagingService, { ...env, TWILIO_API_BASE: slowUrl });
    const offerId = randomUUID();
    const db = () => messagingRunning.ctx.orm.em.fork();
    const rowOf = async (purpose: string) =>
      (
        await db().execute<{ status: string; attempts: number; leased: boolean }[]>(
          `select status, attempts, coalesce(leased_until > now(), false) as leased
           from messaging.message where purpose = ?`,
          [purpose],
        )
      )[0];
    try {
      await publishEvent(dispatch.OfferSent, offer(offerId));
      await waitFor(() => requests > 0, { what: 'the offer SMS handed to Twilio' });
      expect(await rowOf(`offer:${offerId}`)).toMatchObject({ status: 'pending', leased: true });
      // Well into the call: a transaction waiting on Twilio would sit "idle in transaction" by now.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const [held] = await db().execute<{ n: number }[]>(
        `select count(*)::int as n from pg_stat_activity
         where datname = current_database() and application_name = 'messaging'
           and state like 'idle in transaction%' and now() - state_change > interval '500 milliseconds'`,
      );
      expect(held?.n).toBe(0);
      // The offer closes while its SMS is with Twilio: not withdrawn, so the locksmith is told.
      const closed = jobTaken(offerId);
      await publishEvent(dispatch.OfferClosed, closed);
      await waitFor(async () => (await rowOf(takenPurpose(closed))) !== undefined, {
        what: 'the taken SMS queued',
      });
      expect(await rowOf(`offer:${offerId}`)).toMatchObject({ status: 'pending', leased: true });
      // Twilio drops the connection: a failed try, the lease given back, a retry later.
      for (const response of hanging) response.socket?.destroy();
      await waitFor(async () => (await rowOf(`offer:${offerId}`))?.attempts === 1, {
        what: 'the failed try recorded',
      });
      expect(await rowOf(`offer:${offerId}`)).toMatchObject({ status: 'pending', leased: false });
    } finally {
      await messagingRunning.stop();
      slowTwilio.closeAllConnections();
      await new Promise((resolve) => slowTwilio.close(resolve));
      messagingRunning = await startService(messagingService, env);
    }
  });

  it('claims a message whose lease ran out (its sender died mid-call), and none another sender holds', async () => {
    const ids = { expired: randomUUID(), held: randomUUID() };
    const claimed = await messagingRunning.ctx
      .transaction(async (em) => {
        for (const [id, lease] of [
          [ids.expired, "now() - interval '1 second'"],
          [ids.held, "now() + interval '1 minute'"],
        ] as const) {
          await em.execute(
            `insert into messaging.message (id, direction, from_phone, to_phone, body, status, purpose, leased_until)
             values (?, 'outbound', ?, '+14155553999', 'lease', 'pending', ?, ${lease})`,
            [id, secrets.TWILIO_PHONE_NUMBER, `test:${id}`],
          );
        }
        const mine = (await claimPending(em, 'sms', 100, 60)).map((m) => m.id);
        // Rolled back: the running sender never sees these rows.
        throw new Rollback(mine);
      })
      .catch((error: unknown) => {
        if (error instanceof Rollback) return error.claimed;
        throw error;
      });
    expect(claimed).toContain(ids.expired);
    expect(claimed).not.toContain(ids.held);
  });
});

/** Thrown to roll a test's transaction back, carrying what it saw. */
class Rollback extends Error {
  readonly claimed: string[];
  constructor(claimed: string[]) {
    super('rollback');
    this.claimed = claimed;
  }
}

describe('inbound SMS webhook', () => {
  it('refuses a forged signature with 403 and records nothing', async () => {
    const sid = `SM${randomUUID().replace(/-/g, '')}`;
    await expectForgedYesRefused(sid);
    const [row] = await messagingRunning.ctx.orm.em
      .fork()
      .execute<{ n: number }[]>('select count(*)::int as n from messaging.message where sid = ?', [sid]);
    expect(row?.n).toBe(0);
    expect(
      await countOutbox(messaging.SmsReceived.subject, "payload #>> '{data,messageSid}' = ?", [sid]),
    ).toBe(0);
  });

  it('handles a replayed MessageSid once', async () => {
    const sid = `SM${randomUUID().replace(/-/g, '')}`;
    const form = inboundForm(sid, LOCKSMITH_PHONE, 'yes 4821');
    const first = await signedForm('/api/webhooks/twilio/sms', form);
    const second = await signedForm('/api/webhooks/twilio/sms', form);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.headers.get('content-type')).toContain('text/xml');
    expect(await first.text()).toContain('<Response');
    expect(
      await countOutbox(messaging.SmsReceived.subject, "payload #>> '{data,messageSid}' = ?", [sid]),
    ).toBe(1);
    const inbound = (await log({ phone: LOCKSMITH_PHONE, direction: 'inbound' })).items.filter(
      (m) => m.sid === sid,
    );
    expect(inbound).toHaveLength(1);
    expect(inbound[0]).toMatchObject({ status: 'received', providerId: locksmith.id, body: 'yes 4821' });
  });

  it('logs a reply about a job with the job it answers, and a command about no job with none', async () => {
    const offered = await offerLogged();
    const yes = await textFrom(LOCKSMITH_PHONE, 'Yes 4821');
    const help = await textFrom(LOCKSMITH_PHONE, 'HELP');
    const inbound = (await log({ phone: LOCKSMITH_PHONE, direction: 'inbound' })).items;
    expect(inbound.find((m) => m.sid === yes.sid)?.jobId).toBe(offered.jobId);
    expect(inbound.find((m) => m.sid === help.sid)?.jobId).toBeNull();
  });

  it('tells an unknown number it is not registered', async () => {
    const result = await textFrom(STRANGER_PHONE, 'YES');
    expect(result.webhookStatus).toBe(200);
    expect(result.replies.map((r) => r.body)).toEqual([expect.stringContaining("isn't registered")]);
    expect(
      await countOutbox(messaging.SmsReceived.subject, "payload #>> '{data,from}' = ?", [STRANGER_PHONE]),
    ).toBe(0);
  });

  it('answers HELP and anything it cannot read with the commands, and tracks that reply to delivered', async () => {
    const result = await textFrom(LOCKSMITH_PHONE, 'what is this?');
    expect(result.replies.map((r) => r.body)).toEqual([expect.stringContaining('Commands: YES')]);
    // Twilio made the reply from the TwiML; its status callbacks name the SMS it answers.
    const [reply] = result.replies;
    await waitFor(
      async () =>
        (await log({ phone: LOCKSMITH_PHONE, direction: 'outbound' })).items.find(
          (m) => m.purpose === `reply:${result.sid}`,
        )?.status === 'delivered',
      { what: 'the TwiML reply delivered' },
    );
    const logged = (await log({ phone: LOCKSMITH_PHONE, direction: 'outbound' })).items.find(
      (m) => m.purpose === `reply:${result.sid}`,
    );
    expect(logged?.sid).toBe(reply?.sid);
  });

  it('confirms AVAILABLE / UNAVAILABLE by SMS once the registry has applied them', async () => {
    await textFrom(LOCKSMITH_PHONE, 'unavailable');
    await waitFor(
      async () => (await sentTo(LOCKSMITH_PHONE)).some((m) => m.body.startsWith('You are now unavailable')),
      {
        what: 'unavailable confirmation',
      },
    );
    expect((await registryService.ctx.call(registry.ProviderGet, { id: locksmith.id })).available).toBe(
      false,
    );
    await textFrom(LOCKSMITH_PHONE, 'Available!');
    await waitFor(
      async () => (await sentTo(LOCKSMITH_PHONE)).some((m) => m.body.startsWith('You are now available')),
      {
        what: 'available confirmation',
      },
    );
  });
});

describe('while the registry is down', () => {
  it('keeps a reply it cannot place, and hands it on once the registry answers again', async () => {
    const strangerPhone = '+14155550177';
    await registryService.stop();
    let yes: InboundResult;
    let stranger: InboundResult;
    try {
      yes = await textFrom(LOCKSMITH_PHONE, 'YES 4821');
      stranger = await textFrom(strangerPhone, 'yes');
      // Answered, not an error Twilio would drop the SMS on; nothing to say yet.
      expect(yes).toMatchObject({ webhookStatus: 200, replies: [] });
      expect(stranger).toMatchObject({ webhookStatus: 200, replies: [] });
      const kept = (await log({ phone: LOCKSMITH_PHONE, direction: 'inbound' })).items.find(
        (m) => m.sid === yes.sid,
      );
      expect(kept).toMatchObject({ body: 'YES 4821', status: 'received' });
      expect(
        await countOutbox(messaging.SmsReceived.subject, "payload #>> '{data,messageSid}' = ?", [yes.sid]),
      ).toBe(0);
    } finally {
      registryService = await startService(registryDefinition, env);
    }
    // Handed on: the YES to dispatch as the locksmith's, and the stranger told by SMS, once each.
    await waitFor(
      async () =>
        (await countOutbox(messaging.SmsReceived.subject, "payload #>> '{data,messageSid}' = ?", [
          yes.sid,
        ])) === 1,
      { what: 'the kept YES published' },
    );
    expect(
      await countOutbox(
        messaging.SmsReceived.subject,
        "payload #>> '{data,messageSid}' = ? and payload #>> '{data,providerId}' = ? and payload #>> '{data,command,kind}' = 'YES'",
        [yes.sid, locksmith.id],
      ),
    ).toBe(1);
    const told = await firstSentTo(strangerPhone, 'the stranger told');
    expect(told.map((m) => m.body)).toEqual([expect.stringContaining("isn't registered")]);
    expect(
      await countOutbox(messaging.SmsReceived.subject, "payload #>> '{data,messageSid}' = ?", [stranger.sid]),
    ).toBe(0);
  });

  it('still confirms STOP at once, and tells the registry once it answers', async () => {
    const phone = '+14155550178';
    const provider = await registryService.ctx.call(registry.ProviderCreate, {
      name: 'Stop While Down',
      phone,
      services: ['home_lockout'],
      address: '2128 Mission St, San Francisco, CA 94110',
      actor: 'test',
    });
    await registryService.stop();
    let stop: InboundResult;
    try {
      stop = await textFrom(phone, 'STOP');
      expect(stop.webhookStatus).toBe(200);
      // Confirmed in the webhook's TwiML (Twilio itself delivers nothing more to a number that texted STOP).
      expect(stop.webhookResponse).toContain('You are unsubscribed');
    } finally {
      registryService = await startService(registryDefinition, env);
    }
    await waitFor(
      async () =>
        (await registryService.ctx.call(registry.ProviderByPhone, { phone })).provider?.status ===
        'deactivated',
      { what: 'the locksmith deactivated' },
    );
    await registryService.ctx.orm.em
      .fork()
      .execute('delete from registry.provider where id = ?', [provider.id]);
  });
});

describe('while messaging itself is down', () => {
  it('has the gateway park an inbound SMS in JetStream, handled once when messaging is back', async () => {
    const strangerPhone = '+14155550176';
    const replayedSid = `SM${randomUUID().replace(/-/g, '')}`;
    const forgedSid = `SM${randomUUID().replace(/-/g, '')}`;
    await messagingRunning.stop();
    let yes: InboundResult;
    try {
      yes = await textFrom(LOCKSMITH_PHONE, 'YES 4821');
      const stranger = await textFrom(strangerPhone, 'hello?');
      // Answered with an empty TwiML, not a 503 Twilio would drop the SMS on.
      expect(yes).toMatchObject({ webhookStatus: 200, replies: [] });
      expect(stranger).toMatchObject({ webhookStatus: 200, replies: [] });
      // Twilio delivering the same webhook twice is still one SMS.
      const form = inboundForm(replayedSid, LOCKSMITH_PHONE, 'no');
      const replays = [
        await signedForm('/api/webhooks/twilio/sms', form),
        await signedForm('/api/webhooks/twilio/sms', form),
      ];
      expect(replays.map((r) => r.status)).toEqual([200, 200]);
      expect(await replays[0]?.text()).toContain('<Response/>');
      // The gateway checks the signature itself: a forgery is refused, not parked.
      await expectForgedYesRefused(forgedSid);
    } finally {
      messagingRunning = await startService(messagingService, env);
    }
    const sidIs = "payload #>> '{data,messageSid}' = ?";
    await waitFor(async () => (await countOutbox(messaging.SmsReceived.subject, sidIs, [yes.sid])) === 1, {
      what: 'the parked YES handled',
    });
    expect(
      await countOutbox(
        messaging.SmsReceived.subject,
        `${sidIs} and payload #>> '{data,providerId}' = ? and payload #>> '{data,command,kind}' = 'YES'`,
        [yes.sid, locksmith.id],
      ),
    ).toBe(1);
    await waitFor(
      async () => (await countOutbox(messaging.SmsReceived.subject, sidIs, [replayedSid])) === 1,
      {
        what: 'the parked NO handled',
      },
    );
    // The stranger's answer, which TwiML could no longer carry, goes out as an SMS.
    const told = await firstSentTo(strangerPhone, 'the stranger told by SMS');
    expect(told.map((m) => m.body)).toEqual([expect.stringContaining("isn't registered")]);
    const inbound = (await log({ direction: 'inbound' })).items.map((m) => m.sid);
    expect(inbound.filter((sid) => sid === yes.sid || sid === replayedSid)).toHaveLength(2);
    expect(inbound).not.toContain(forgedSid);
    expect(await countOutbox(messaging.SmsReceived.subject, sidIs, [replayedSid])).toBe(1);
  });
  it('has the gateway park a status callback, applied when messaging is back', async () => {
    const sid = `SM${randomUUID().replace(/-/g, '')}`;
    const id = randomUUID();
    const offerId = randomUUID();
    const phone = '+14155550175';
    // An offer SMS Twilio has taken (sid stored, status sent), as the sender leaves it.
    await messagingRunning.ctx.transaction((em) =>
      em.execute(
        `insert into messaging.message (id, sid, direction, from_phone, to_phone, body, status, purpose, offer_id)
         values (?, ?, 'outbound', ?, ?, 'an offer', 'sent', ?, ?)`,
        [id, sid, secrets.TWILIO_PHONE_NUMBER, phone, `offer:${offerId}`, offerId],
      ),
    );
    const callback = {
      AccountSid: secrets.TWILIO_ACCOUNT_SID,
      MessageSid: sid,
      MessageStatus: 'undelivered',
      ErrorCode: '30003',
    };
    await messagingRunning.stop();
    try {
      const parked = await signedForm('/api/webhooks/twilio/status', callback);
      expect(parked.status).toBe(204);
      const forged = await signedForm(
        '/api/webhooks/twilio/status',
        { ...callback, MessageStatus: 'delivered' },
        'not-the-token',
      );
      expect(forged.status).toBe(403);
    } finally {
      messagingRunning = await startService(messagingService, env);
    }
    const message = await waitFor(
      async () => {
        const found = (await log({ phone })).items.find((m) => m.sid === sid);
        return found?.status === 'undelivered' ? found : undefined;
      },
      { what: 'the parked callback applied' },
    );
    expect(message).toMatchObject({ errorCode: '30003' });
    // Dispatch hears of it as of any failed offer SMS: a non-response.
    expect(
      await countOutbox(
        messaging.SmsStatusChanged.subject,
        "payload #>> '{data,offerId}' = ? and payload #>> '{data,status}' = 'undelivered'",
        [offerId],
      ),
    ).toBe(1);
  });
});

describe('opt-out', () => {
  it('sends nothing to a number that texted STOP until it texts START', async () => {
    await textFrom(LOCKSMITH_PHONE, 'STOP');
    await waitFor(
      async () =>
        (await registryService.ctx.call(registry.ProviderGet, { id: locksmith.id })).status === 'deactivated',
      { what: 'deactivated' },
    );
    const before = (await sentTo(LOCKSMITH_PHONE)).length;
    const suppressedOffer = randomUUID();
    await publishEvent(dispatch.OfferSent, offer(suppressedOffer));
    const suppressed = await waitFor(
      async () =>
        (await log({ phone: LOCKSMITH_PHONE })).items.find((m) => m.purpose === `offer:${suppressedOffer}`),
      { what: 'suppressed offer logged' },
    );
    expect(suppressed).toMatchObject({ status: 'suppressed', sid: null });
    expect(
      await countOutbox(
        messaging.SmsStatusChanged.subject,
        "payload #>> '{data,offerId}' = ? and payload #>> '{data,status}' = 'failed' and payload #>> '{data,errorCode}' = '21610'",
        [suppressedOffer],
      ),
    ).toBe(1);

    const start = await textFrom(LOCKSMITH_PHONE, 'START');
    expect(start.replies.map((r) => r.body)).toEqual([expect.stringContaining('Welcome back')]);
    await waitFor(
      async () =>
        (await registryService.ctx.call(registry.ProviderGet, { id: locksmith.id })).status === 'active',
      { what: 'reactivated' },
    );
    const resumedOffer = randomUUID();
    await publishEvent(dispatch.OfferSent, offer(resumedOffer));
    await waitFor(
      async () =>
        (await log({ phone: LOCKSMITH_PHONE })).items.find((m) => m.purpose === `offer:${resumedOffer}`)
          ?.status === 'delivered',
      { what: 'offer after START delivered' },
    );
    const after = await sentTo(LOCKSMITH_PHONE);
    // Only the START reply and the new offer reached the phone; the suppressed offer never left.
    expect(after.length - before).toBe(2);
  });
});
