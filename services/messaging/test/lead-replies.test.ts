// What comes back by SMS around a sold lead: the homeowner's NO to the sale's confirmation, a confirmation
// that cannot be delivered (a dead number), and a plumber's PAUSE, RESUME, HELP and CREDIT. Real gateway,
// registry and messaging; Twilio's side through the emulator (inbound texts, status callbacks, refusals).
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { credits, leads, messaging, registry, type EventContract, type EventData } from '@trades/contracts';
import { buildServer, loadGatewayConfig } from '@trades/gateway';
import { createRegistryService } from '@trades/locksmith-registry';
import { DEVELOPMENT_DEFAULTS, encodeJson, startService, type RunningService } from '@trades/runtime';
import {
  migrateService,
  resetJetStream,
  serviceEnv,
  startSmtpSink,
  waitFor,
  type SmtpSink,
} from '@trades/testkit';
import { createTwilioEmulator, type InboundResult, type TwilioEmulator } from '@trades/twilio-emulator';
import type { Static, TSchema } from 'typebox';
import { createTwilioClient, type TwilioClient } from '../src/adapters/twilio-client.ts';
import { messagingService } from '../src/app.ts';
import { templates } from '../src/domain/templates.ts';

jest.setTimeout(60_000);

const secrets = {
  TWILIO_ACCOUNT_SID: DEVELOPMENT_DEFAULTS['TWILIO_ACCOUNT_SID'] ?? '',
  TWILIO_AUTH_TOKEN: DEVELOPMENT_DEFAULTS['TWILIO_AUTH_TOKEN'] ?? '',
  TWILIO_PHONE_NUMBER: DEVELOPMENT_DEFAULTS['TWILIO_PHONE_NUMBER'] ?? '',
  ADMIN_EMAIL: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '',
  ADMIN_PASSWORD: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] ?? '',
  ADMIN_SESSION_SECRET: DEVELOPMENT_DEFAULTS['ADMIN_SESSION_SECRET'] ?? '',
};

/** Twilio's magic test number its API refuses with 21211 (not a valid phone number). */
const INVALID_NUMBER = '+15005550001';

const registryDefinition = createRegistryService();
let gateway: ReturnType<typeof buildServer>;
let twilio: TwilioEmulator;
let twilioApi: TwilioClient;
let sink: SmtpSink;
let registryService: RunningService<unknown>;
let messagingRunning: RunningService<unknown>;
let plumber: registry.Plumber | undefined;

beforeAll(async () => {
  await resetJetStream();
  await migrateService(registryDefinition);
  await migrateService(messagingService);
  sink = await startSmtpSink();
  gateway = buildServer(
    loadGatewayConfig({
      ...serviceEnv(secrets),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
    }),
  );
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  const gatewayUrl = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
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
  const env = serviceEnv({
    ...secrets,
    BASE_URL: gatewayUrl,
    TWILIO_API_BASE: twilio.url,
    SMTP_URL: sink.url,
    EMAIL_FROM: 'Trades Marketplace <no-reply@trades.test>',
  });
  registryService = await startService(registryDefinition, env);
  messagingRunning = await startService(messagingService, env);
});

afterAll(async () => {
  // The run's database is shared by every suite: nobody else's lead should be offered to our plumber.
  if (plumber)
    await registryService.ctx.orm.em
      .fork()
      .execute('delete from registry.provider where id = ?', [plumber.id]);
  await gateway?.close();
  await messagingRunning?.stop();
  await registryService?.stop();
  await twilio?.close();
  await sink?.close();
});

/** Numbers of this suite only (area code 628), so no other suite's messages are read. */
let sequence = 100;
const phone = () => `+1628555${String(sequence++).padStart(4, '0')}`;

async function publish<E extends EventContract>(contract: E, data: EventData<E>): Promise<void> {
  const id = randomUUID();
  await messagingRunning.ctx.js.publish(
    contract.subject,
    encodeJson({ id, occurredAt: new Date().toISOString(), data }),
    { msgID: id },
  );
}

/** Every event published on a contract's subject so far whose data matches, read back from its stream. */
async function published<S extends TSchema>(
  contract: EventContract<S>,
  matches: (data: Static<S>) => boolean,
): Promise<Static<S>[]> {
  const jsm = await jetstreamManager(messagingRunning.ctx.nc);
  const info = await jsm.streams.info(contract.stream, { subjects_filter: contract.subject });
  let expected = info.state.subjects?.[contract.subject] ?? 0;
  if (expected === 0) return [];
  const reader = await messagingRunning.ctx.js.consumers.get(contract.stream, {
    filter_subjects: contract.subject,
    deliver_policy: DeliverPolicy.All,
  });
  const found: Static<S>[] = [];
  try {
    while (expected > 0) {
      const batch = await reader.fetch({ max_messages: expected, expires: 2_000 });
      let got = 0;
      for await (const message of batch) {
        got++;
        const envelope: unknown = message.json();
        const data =
          typeof envelope === 'object' && envelope !== null && 'data' in envelope ? envelope.data : undefined;
        if (contract.validate.check(data) && matches(data)) found.push(data);
      }
      if (got === 0) break;
      expected -= got;
    }
  } finally {
    await reader.delete().catch(() => undefined);
  }
  return found;
}

/** Waits for the first event on a contract's subject whose data matches. */
const eventually = <S extends TSchema>(
  contract: EventContract<S>,
  matches: (data: Static<S>) => boolean,
  what: string,
) =>
  waitFor(
    async () => {
      const [event] = await published(contract, matches);
      return event;
    },
    { what },
  );

/** Messaging's outbox rows on a subject for a lead: what the transactions decided, all at once. */
async function outboxFor(subject: string, leadId: string): Promise<number> {
  const [row] = await messagingRunning.ctx.orm.em
    .fork()
    .execute<{ n: number }[]>(
      `select count(*)::int as n from messaging.outbox where subject = ? and payload #>> '{data,leadId}' = ?`,
      [subject, leadId],
    );
  return row?.n ?? 0;
}

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

async function undeliverable(phoneNumber: string, failure: { code?: number; status?: string } = {}) {
  const response = await fetch(`${twilio.url}/__emulator/undeliverable`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone: phoneNumber, ...failure }),
  });
  expect(response.status).toBe(200);
}

const sentTo = async (to: string) =>
  (await twilioApi.messages.list({ to })).filter((m) => m.direction !== 'inbound').map((m) => m.body);

const logOf = (leadId: string) =>
  messagingRunning.ctx.call(messaging.MessageList, { leadId, limit: 100 }).then((page) => page.items);

/** The homeowner's confirmation SMS of a lead, once it reached the status wanted. */
const confirmation = (leadId: string, statuses: string[]) =>
  waitFor(
    async () =>
      (await logOf(leadId)).find(
        (m) => m.purpose === `lead-homeowner:${leadId}` && statuses.includes(m.status),
      ),
    { what: `the homeowner's confirmation ${statuses.join(' or ')}` },
  );

/** Dispatch's sale of a lead: the buyer's and the homeowner's messages follow. */
async function sell(homeownerPhone: string): Promise<string> {
  const leadId = randomUUID();
  const buyerPhone = phone();
  await publish(leads.LeadAssigned, {
    leadId,
    leadCode: '4821',
    state: 'ASSIGNED',
    previousState: 'CHARGING',
    cause: 'charged',
    actor: 'payments',
    at: new Date().toISOString(),
    priceCents: 4500,
    serviceCode: 'drain_cleaning',
    serviceName: 'Drain cleaning',
    urgency: 'day',
    zipCode: '94105',
    homeowner: {
      firstName: 'Dana',
      lastName: 'Whitfield',
      email: `dana-${leadId.slice(0, 8)}@example.test`,
      phone: homeownerPhone,
    },
    description: null,
    partnerId: null,
    buyer: { id: randomUUID(), name: 'Rosa Delgado', phone: buyerPhone, email: 'rosa@example.test' },
    chargeAttempt: 1,
  });
  return leadId;
}

describe("the homeowner's reply to the sale's confirmation", () => {
  it('passes on a NO to dispatch with the lead, logs it with the lead and thanks them, once', async () => {
    const homeowner = phone();
    const leadId = await sell(homeowner);
    await confirmation(leadId, ['delivered']);
    const [confirmationText] = await sentTo(homeowner);
    expect(confirmationText).toMatch(/Reply NO if you did not ask for a plumber\.$/);

    const no = await textFrom(homeowner, 'No!');
    expect(no.replies.map((r) => r.body)).toEqual([templates.homeownerThanks()]);
    const replied = await eventually(
      credits.HomeownerReplied,
      (event) => event.leadId === leadId,
      'HomeownerReplied',
    );
    expect(replied).toEqual({ leadId, reply: 'NO', messageSid: no.sid, receivedAt: expect.any(String) });
    const inbound = (await logOf(leadId)).find((m) => m.direction === 'inbound');
    expect(inbound).toMatchObject({ sid: no.sid, from: homeowner, body: 'No!', leadId });
    const thanks = (await logOf(leadId)).find((m) => m.purpose === `reply:${no.sid}`);
    expect(thanks).toMatchObject({ to: homeowner, body: templates.homeownerThanks(), leadId });

    // Saying it twice is thanked again, and tells dispatch nothing new.
    const again = await textFrom(homeowner, 'NO');
    expect(again.replies.map((r) => r.body)).toEqual([templates.homeownerThanks()]);
    expect(await outboxFor(credits.HomeownerReplied.subject, leadId)).toBe(1);
  });

  it('keeps STOP an opt-out, and tells a number that got no confirmation it is not registered', async () => {
    const homeowner = phone();
    const leadId = await sell(homeowner);
    await confirmation(leadId, ['delivered']);
    await textFrom(homeowner, 'STOP');
    expect(await outboxFor(credits.HomeownerReplied.subject, leadId)).toBe(0);
    const optedOut = await messagingRunning.ctx.orm.em
      .fork()
      .execute('select phone from messaging.opt_out where phone = ?', [homeowner]);
    expect(optedOut).toHaveLength(1);

    const stranger = await textFrom(phone(), 'no');
    expect(stranger.replies.map((r) => r.body)).toEqual([templates.notRegistered()]);
  });
});

describe("a sale's confirmation that cannot reach the homeowner", () => {
  it('reports a dead number (undelivered, 30003) to dispatch, once', async () => {
    const homeowner = phone();
    await undeliverable(homeowner);
    const leadId = await sell(homeowner);
    const failed = await confirmation(leadId, ['undelivered']);
    const unreachable = await eventually(
      credits.HomeownerUnreachable,
      (event) => event.leadId === leadId,
      'HomeownerUnreachable',
    );
    expect(unreachable).toEqual({
      leadId,
      messageSid: failed.sid,
      status: 'undelivered',
      errorCode: '30003',
      at: expect.any(String),
    });
    expect(await outboxFor(credits.HomeownerUnreachable.subject, leadId)).toBe(1);
  });

  it('reports a number Twilio refuses as invalid (21211) and a failed 30005', async () => {
    const refusedLead = await sell(INVALID_NUMBER);
    await confirmation(refusedLead, ['failed']);
    expect(
      await eventually(credits.HomeownerUnreachable, (e) => e.leadId === refusedLead, 'refused'),
    ).toMatchObject({ status: 'failed', errorCode: '21211', messageSid: expect.stringMatching(/^local:/) });

    const unknown = phone();
    await undeliverable(unknown, { code: 30005, status: 'failed' });
    const unknownLead = await sell(unknown);
    await confirmation(unknownLead, ['failed']);
    expect(
      await eventually(credits.HomeownerUnreachable, (e) => e.leadId === unknownLead, '30005'),
    ).toMatchObject({ status: 'failed', errorCode: '30005' });
  });

  it('says nothing of a delivery that failed for another reason (30007, filtered)', async () => {
    const homeowner = phone();
    await undeliverable(homeowner, { code: 30007 });
    const leadId = await sell(homeowner);
    await confirmation(leadId, ['undelivered']);
    // The failure and any event are written in the callback's one transaction: all there once it shows.
    expect(await outboxFor(credits.HomeownerUnreachable.subject, leadId)).toBe(0);
  });
});

describe("a plumber's commands by SMS", () => {
  beforeAll(async () => {
    plumber = await registryService.ctx.call(registry.PlumberCreate, {
      firstName: 'Rosa',
      lastName: 'Delgado',
      email: `rosa-${randomUUID().slice(0, 8)}@example.test`,
      phone: phone(),
      zipCode: '94110',
      services: ['drain_cleaning'],
      actor: 'test',
    });
  });

  const plumberPhone = (): string => {
    if (!plumber) throw new Error('the plumber was not created');
    return plumber.phone;
  };

  it('confirms PAUSE and RESUME in their words, and AVAILABLE as before', async () => {
    const number = plumberPhone();
    expect((await textFrom(number, 'Pause')).replies).toEqual([]);
    await waitFor(async () => ((await sentTo(number)).includes(templates.paused()) ? true : undefined), {
      what: 'the paused text',
    });
    expect(
      (await registryService.ctx.call(registry.ProviderByPhone, { phone: number })).provider,
    ).toMatchObject({ available: false });

    await textFrom(number, 'RESUME');
    await waitFor(async () => ((await sentTo(number)).includes(templates.resumed()) ? true : undefined), {
      what: 'the resumed text',
    });
    await textFrom(number, 'unavailable');
    await waitFor(
      async () => ((await sentTo(number)).includes(templates.nowUnavailable()) ? true : undefined),
      { what: 'the unavailable text' },
    );
    const texts = await sentTo(number);
    expect(texts.filter((body) => body === templates.paused())).toHaveLength(1);
    expect(texts.filter((body) => body === templates.resumed())).toHaveLength(1);
  });

  it("answers HELP with a plumber's commands and passes CREDIT on to dispatch with the code and words", async () => {
    const number = plumberPhone();
    const help = await textFrom(number, 'help');
    expect(help.replies.map((r) => r.body)).toEqual([templates.plumberHelp()]);
    expect(templates.plumberHelp()).toMatch(/CREDIT <code> <reason>.*PAUSE \/ RESUME/);

    const credit = await textFrom(number, 'Credit #4821: phone disconnected');
    expect(credit.replies).toEqual([]);
    const received = await eventually(
      messaging.SmsReceived,
      (event) => event.messageSid === credit.sid,
      'the CREDIT SMS',
    );
    expect(received).toMatchObject({
      providerId: plumber?.id,
      command: { kind: 'CREDIT', jobCode: '4821', text: 'phone disconnected' },
    });
  });
});
