import twilio from 'twilio';
import {
  AppError,
  badRequest,
  CONSUMERS,
  credits,
  messaging,
  registry,
  type EventData,
} from '@trades/contracts';
import {
  endpoint,
  maskPhone,
  on,
  type ConsumerBinding,
  type EndpointBinding,
  type EntityManager,
  type ServiceContext,
} from '@trades/runtime';
import { validateTwilioSignature } from '../adapters/twilio-client.ts';
import { parseCommand } from '../domain/commands.ts';
import { HOMEOWNER_CONFIRMATION, HOMEOWNER_REPLY_DAYS } from '../domain/homeowner.ts';
import { fromTwilioStatus, isDeliveryFailure } from '../domain/status.ts';
import { templates } from '../domain/templates.ts';
import { reportDeliveryFailure } from '../sms/failures.ts';
import {
  advanceKnownStatus,
  advanceStatus,
  bindReplySid,
  latestLeadTextedTo,
  listAwaitingInbound,
  logTwimlReply,
  optIn,
  optOut,
  queueOutbound,
  recordInbound,
  repliedBefore,
  settleAwaitingInbound,
} from '../store/messages.ts';

const E164 = /^\+[1-9][0-9]{6,14}$/;

export interface WebhookOptions {
  authToken: string;
  phoneNumber: string;
  /** The public status webhook: a TwiML reply's `action`, so its delivery is tracked like any SMS. */
  statusCallback: string;
}

/** The query parameter of a TwiML reply's status callback that names the inbound SMS it answers. */
const REPLY_TO = 'replyTo';

function twiml(reply: string | null, options: WebhookOptions, inboundSid: string): string {
  const response = new twilio.twiml.MessagingResponse();
  if (reply) {
    const action = new URL(options.statusCallback);
    action.searchParams.set(REPLY_TO, inboundSid);
    response.message({ action: action.toString() }, reply);
  }
  return response.toString();
}

/** The inbound SMS a status callback's reply answers, from its URL's `?replyTo=` (TwiML replies only). */
function replyToOf(form: TwilioForm): string | undefined {
  try {
    return new URL(form.url).searchParams.get(REPLY_TO) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Twilio signs the URL it was configured with. The public URL (BASE_URL) is checked first; the URL the
 * gateway was reached at only when that fails. Accepting it opens nothing: a signature still needs the
 * auth token, and the path is the one actually requested.
 */
function verify(
  authToken: string,
  form: { url: string; receivedUrl?: string; signature: string; params: Record<string, string> },
): void {
  const matches = (url: string | undefined): boolean =>
    url !== undefined && validateTwilioSignature(authToken, form.signature, url, form.params);
  if (!matches(form.url) && !matches(form.receivedUrl)) {
    throw new AppError(
      403,
      'INVALID_SIGNATURE',
      'The X-Twilio-Signature header does not match this request.',
    );
  }
}

type Provider = registry.Provider;

/**
 * The immediate answer to an inbound SMS; the substantive one comes later as an outbound SMS. A
 * homeowner's NO to a sale's confirmation (`homeownerLead`) is thanked; any other text from a number that
 * is not a provider's is told it is not registered.
 */
function replyTo(
  kind: messaging.SmsCommandKind,
  provider: Provider | null,
  homeownerLead: string | null = null,
): string | null {
  if (kind === 'STOP') return templates.stopConfirmation();
  if (!provider) return homeownerLead ? templates.homeownerThanks() : templates.notRegistered();
  if (kind === 'START') return templates.startConfirmation();
  if (kind === 'HELP' || kind === 'UNKNOWN')
    return provider.trade === 'plumber' ? templates.plumberHelp() : templates.help();
  return null;
}

/**
 * The lead a NO answers when it comes from a homeowner (a number that is no provider's) who got a sale's
 * confirmation SMS in the last {@link HOMEOWNER_REPLY_DAYS} days; null for anything else.
 */
async function homeownerLeadOf(
  em: EntityManager,
  from: string,
  kind: messaging.SmsCommandKind,
  provider: Provider | null,
): Promise<string | null> {
  if (provider || kind !== 'NO') return null;
  return latestLeadTextedTo(em, from, HOMEOWNER_CONFIRMATION, HOMEOWNER_REPLY_DAYS);
}

/**
 * A homeowner said NO to the sale's confirmation: they never asked for a plumber. Dispatch hears it once
 * per lead (a second NO, from the same number, changes nothing).
 */
async function homeownerSaidNo(
  ctx: ServiceContext<unknown>,
  em: EntityManager,
  reply: { leadId: string; from: string; sid: string; receivedAt: string },
): Promise<void> {
  if (await repliedBefore(em, { leadId: reply.leadId, phone: reply.from, kind: 'NO', sid: reply.sid })) {
    ctx.log.info({ sid: reply.sid, leadId: reply.leadId }, 'the homeowner said NO again; already told');
    return;
  }
  await ctx.publish(em, credits.HomeownerReplied, {
    leadId: reply.leadId,
    reply: 'NO',
    messageSid: reply.sid,
    receivedAt: reply.receivedAt,
  });
  ctx.log.info(
    { sid: reply.sid, leadId: reply.leadId },
    `the homeowner (${maskPhone(reply.from)}) says they never asked for a plumber`,
  );
}

/**
 * The answer while the registry cannot say who is texting: STOP is confirmed (the opt-out needs only the
 * number) and HELP gets the commands; the rest waits for {@link handOnAwaitingInbound}, which answers by
 * SMS what {@link replyTo} would have.
 */
function replyWhileRegistryDown(kind: messaging.SmsCommandKind): string | null {
  if (kind === 'STOP') return templates.stopConfirmation();
  if (kind === 'HELP' || kind === 'UNKNOWN') return templates.help();
  return null;
}

/** Commands dispatch or the registry act on: published as `sms.received` once the sender is known. */
const actedOn = (kind: messaging.SmsCommandKind): boolean => kind !== 'HELP' && kind !== 'UNKNOWN';

/** Who sent an SMS; `unavailable` when the registry did not answer (down, or overloaded). */
async function lookUpSender(
  ctx: ServiceContext<unknown>,
  phone: string,
): Promise<{ provider: Provider | null; unavailable: boolean }> {
  if (!E164.test(phone)) return { provider: null, unavailable: false };
  try {
    return { provider: (await ctx.call(registry.ProviderByPhone, { phone })).provider, unavailable: false };
  } catch (error) {
    if (!(error instanceof AppError) || error.status < 500) throw error;
    return { provider: null, unavailable: true };
  }
}

/**
 * Inbound SMS that arrived while the registry was unavailable, handed on now that it may answer: the
 * command is published for dispatch and the registry, and the reply the webhook held back is sent as an
 * SMS. Stops at the first lookup the registry still cannot answer. Claimed by a conditional update, so
 * replicas never hand one message on twice. Returns whether it queued an SMS (the sender's cue).
 */
export async function handOnAwaitingInbound(ctx: ServiceContext<unknown>, from: string): Promise<boolean> {
  let queued = false;
  for (const sms of await listAwaitingInbound(ctx.orm.em.fork(), 20)) {
    const { provider, unavailable } = await lookUpSender(ctx, sms.from_phone);
    if (unavailable) break;
    await ctx.transaction(async (em) => {
      const kind = sms.command.kind;
      const homeownerLead = await homeownerLeadOf(em, sms.from_phone, kind, provider);
      const receivedAt = new Date(sms.created_at).toISOString();
      const sender = { providerId: provider?.id ?? null, leadId: homeownerLead };
      if (!(await settleAwaitingInbound(em, sms.id, sender))) return;
      if (homeownerLead)
        await homeownerSaidNo(ctx, em, {
          leadId: homeownerLead,
          from: sms.from_phone,
          sid: sms.sid,
          receivedAt,
        });
      if (provider && actedOn(kind)) {
        await ctx.publish(em, messaging.SmsReceived, {
          messageSid: sms.sid,
          from: provider.phone,
          providerId: provider.id,
          body: sms.body,
          command: sms.command,
          receivedAt,
        });
      }
      // The webhook already answered STOP, HELP and anything it could not read.
      const reply = replyWhileRegistryDown(kind) === null ? replyTo(kind, provider, homeownerLead) : null;
      if (reply) {
        const message = await queueOutbound(em, from, {
          to: sms.from_phone,
          body: reply,
          purpose: `reply:${sms.sid}`,
          providerId: provider?.id ?? null,
          leadId: homeownerLead,
        });
        if (message?.status === 'pending') queued = true;
      }
      ctx.log.info(
        { sid: sms.sid, command: kind, known: provider !== null },
        `SMS from ${maskPhone(sms.from_phone)} handed on once the registry answered`,
      );
    });
  }
  return queued;
}

type TwilioForm = EventData<typeof messaging.ParkedInboundSms>;

/** An inbound SMS, verified, read and its sender looked up: what both ways in need before they write. */
interface InboundSms {
  sid: string;
  from: string;
  to: string;
  body: string;
  command: messaging.SmsCommand;
  provider: Provider | null;
  /** The registry did not answer: the SMS waits for {@link handOnAwaitingInbound}. */
  unavailable: boolean;
}

async function readInbound(
  ctx: ServiceContext<unknown>,
  options: WebhookOptions,
  form: TwilioForm,
): Promise<InboundSms> {
  verify(options.authToken, form);
  const { params } = form;
  const sid = params['MessageSid'] ?? params['SmsSid'];
  const from = params['From'];
  if (!sid || !from)
    throw badRequest('INCOMPLETE_WEBHOOK', 'An inbound SMS webhook needs MessageSid and From.');
  const body = params['Body'] ?? '';
  // Twilio does not retry an inbound webhook: when the registry cannot say who is texting, the SMS is
  // kept and handed on later (handOnAwaitingInbound) rather than answered with an error and lost.
  const { provider, unavailable } = await lookUpSender(ctx, from);
  return {
    sid,
    from,
    to: params['To'] ?? options.phoneNumber,
    body,
    command: parseCommand(body),
    provider,
    unavailable,
  };
}

/**
 * Records an inbound SMS and acts on it, in the caller's transaction: the opt-out for STOP / START,
 * `sms.received` for a known locksmith's command. Returns whether the MessageSid was new and the immediate
 * reply: as `twiml` it is logged for the caller to return in the webhook's answer, as `sms` it is queued
 * for the sender (too late for TwiML).
 */
async function recordInboundSms(
  ctx: ServiceContext<unknown>,
  em: EntityManager,
  sms: InboundSms,
  replyAs: 'twiml' | 'sms',
): Promise<{ fresh: boolean; reply: string | null }> {
  const { sid, from, to, body, command, provider, unavailable } = sms;
  // While the registry cannot say who is texting, a NO waits to be handed on like everything else.
  const homeownerLead = unavailable ? null : await homeownerLeadOf(em, from, command.kind, provider);
  const fresh = await recordInbound(em, {
    sid,
    from,
    to,
    body,
    providerId: provider?.id ?? null,
    command,
    awaitingRegistry: unavailable,
    leadId: homeownerLead,
  });
  if (!fresh) {
    ctx.log.info({ sid }, 'inbound SMS already handled; replaying nothing');
    return { fresh, reply: null };
  }
  if (command.kind === 'STOP') await optOut(em, from, sid);
  if (command.kind === 'START') await optIn(em, from);
  if (unavailable)
    ctx.log.warn({ sid }, 'registry unavailable; the SMS is kept and handed on when it answers');
  if (provider && actedOn(command.kind)) {
    await ctx.publish(em, messaging.SmsReceived, {
      messageSid: sid,
      from: provider.phone,
      providerId: provider.id,
      body,
      command,
      receivedAt: new Date().toISOString(),
    });
  }
  if (homeownerLead)
    await homeownerSaidNo(ctx, em, {
      leadId: homeownerLead,
      from,
      sid,
      receivedAt: new Date().toISOString(),
    });
  ctx.log.info(
    { sid, command: command.kind, known: provider !== null, leadId: homeownerLead ?? undefined },
    `SMS from ${maskPhone(from)}`,
  );
  const reply = unavailable
    ? replyWhileRegistryDown(command.kind)
    : replyTo(command.kind, provider, homeownerLead);
  if (!reply) return { fresh, reply: null };
  const message = {
    to: from,
    body: reply,
    purpose: `reply:${sid}`,
    providerId: provider?.id ?? null,
    leadId: homeownerLead,
  };
  if (replyAs === 'twiml') {
    await logTwimlReply(em, { ...message, from: to });
    return { fresh, reply };
  }
  // Twilio refuses to text a number that just sent STOP (it confirms the opt-out itself): nothing to send.
  if (command.kind === 'STOP') return { fresh, reply: null };
  await queueOutbound(em, to, message);
  return { fresh, reply };
}

/**
 * A status callback: verified, then the message moved forward to its new status (never back). A
 * delivery failure is published for dispatch (a failed offer SMS is a non-response). Runs in `em` when
 * the caller has a transaction open (a consumer), else in its own.
 */
async function receiveStatus(
  ctx: ServiceContext<unknown>,
  options: WebhookOptions,
  form: TwilioForm,
  em?: EntityManager,
): Promise<void> {
  verify(options.authToken, form);
  const sid = form.params['MessageSid'] ?? form.params['SmsSid'];
  const status = fromTwilioStatus(form.params['MessageStatus'] ?? form.params['SmsStatus']);
  // "queued" (or "accepted") tells nothing the sender did not store from Twilio's own answer to the
  // send, which is at least "queued": the first of the three callbacks each SMS gets costs no
  // transaction.
  if (!sid || !status || status === 'queued') return;
  const errorCode = form.params['ErrorCode'] || null;
  const replyTo = replyToOf(form);
  if (replyTo) await bindReplySid(em ?? ctx.orm.em.fork(), replyTo, sid);
  // The common case (a message we know moving on to sent or delivered) is one statement; a failure
  // (an event to publish with it) or a callback that finds nothing to move takes the locked way.
  if (
    !isDeliveryFailure(status) &&
    (await advanceKnownStatus(em ?? ctx.orm.em.fork(), sid, status, errorCode))
  )
    return;
  const apply = async (tx: EntityManager): Promise<void> => {
    const applied = await advanceStatus(tx, sid, status, errorCode);
    if (applied && isDeliveryFailure(applied.status)) await reportDeliveryFailure(ctx, tx, applied);
  };
  await (em ? apply(em) : ctx.transaction(apply));
}

/**
 * Webhooks the gateway parked while messaging did not answer (`webhook.sms_parked` /
 * `webhook.status_parked`): handled like the webhook, the signature checked again. An inbound SMS's
 * reply goes out as an SMS, since Twilio's request is long answered. A forged one is refused (a 403, so
 * the consumer dead-letters it at once, for an operator). Idempotent like the webhooks: an SMS by its
 * MessageSid, a status by only ever moving forward.
 */
export function parkedWebhooksConsumer(
  ctx: ServiceContext<unknown>,
  options: WebhookOptions,
  queuedIn: WeakSet<EntityManager>,
): ConsumerBinding {
  return {
    definition: CONSUMERS.messagingParkedWebhooks,
    idempotency: 'handler',
    handlers: [
      on(messaging.ParkedInboundSms, async (form, { em, event }) => {
        const sms = await readInbound(ctx, options, form);
        const { fresh, reply } = await recordInboundSms(ctx, em, sms, 'sms');
        if (reply) queuedIn.add(em);
        if (fresh)
          ctx.log.info(
            { sid: sms.sid, parkedAt: event.occurredAt },
            'inbound SMS the gateway parked while messaging was away, handled now',
          );
      }),
      on(messaging.ParkedStatusCallback, async (form, { em }) => {
        await receiveStatus(ctx, options, form, em);
      }),
    ],
  };
}

export function webhookEndpoints(ctx: ServiceContext<unknown>, options: WebhookOptions): EndpointBinding[] {
  return [
    endpoint(messaging.TwilioInbound, async (form) => {
      const sms = await readInbound(ctx, options, form);
      return ctx.transaction(async (em) => ({
        twiml: twiml((await recordInboundSms(ctx, em, sms, 'twiml')).reply, options, sms.sid),
      }));
    }),

    endpoint(messaging.TwilioStatus, async (form) => {
      await receiveStatus(ctx, options, form);
      return { ok: true };
    }),
  ];
}
