// An SMS arriving from a handset: recorded as an inbound Message, POSTed to the app's
// webhook as Twilio's signed form, and the app's TwiML reply sent back as messages.
import type { EmulatorContext } from './context.ts';
import { queueOutbound } from './outbound.ts';
import { countryOf, maskPhone } from './phone.ts';
import { countSegments } from './sms-encoding.ts';
import { API_VERSION, newMessageSid, type StoredMessage } from './store.ts';
import { readTwimlMessages } from './twiml.ts';
import { errorMessage, type WebhookResponse } from './webhooks.ts';

export interface InboundSms {
  from: string;
  to: string;
  body: string;
}

export interface InboundResult {
  sid: string;
  /** HTTP status of the app's webhook; null when there is no webhook or it was unreachable. */
  webhookStatus: number | null;
  /** The webhook's response body (TwiML). */
  webhookResponse: string | null;
  webhookError?: string;
  /** Messages Twilio sent back because the TwiML asked for them. */
  replies: { sid: string; to: string; body: string }[];
}

// Twilio's default Advanced Opt-Out keywords; the whole body must be the keyword.
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const OPT_IN = new Set(['START', 'YES', 'UNSTOP']);

export async function receiveInbound(ctx: EmulatorContext, sms: InboundSms): Promise<InboundResult> {
  const now = new Date();
  const message: StoredMessage = {
    sid: newMessageSid(),
    accountSid: ctx.accountSid,
    to: sms.to,
    from: sms.from,
    body: sms.body,
    status: 'received',
    direction: 'inbound',
    numSegments: countSegments(sms.body),
    messagingServiceSid: ctx.messagingServiceSid ?? null,
    dateCreated: now,
    dateUpdated: now,
    dateSent: now,
    errorCode: null,
    errorMessage: null,
    price: null,
  };
  ctx.store.add(message);
  applyOptOutKeyword(ctx, sms);
  ctx.log.info({ sid: message.sid, from: maskPhone(sms.from) }, 'inbound message received');

  // Twilio answers an opt-out keyword itself (on a long code), webhook or not; it delivers nothing the
  // app replies to that number any more.
  const result: InboundResult = {
    sid: message.sid,
    webhookStatus: null,
    webhookResponse: null,
    replies: confirmOptOut(ctx, message),
  };
  if (!ctx.inboundWebhookUrl) return result;

  let response: WebhookResponse;
  try {
    response = await ctx.webhooks.post(ctx.inboundWebhookUrl, inboundWebhookParams(message));
  } catch (error) {
    result.webhookError = errorMessage(error);
    ctx.log.warn({ sid: message.sid, error: result.webhookError }, 'inbound webhook unreachable');
    return result;
  }
  result.webhookStatus = response.status;
  result.webhookResponse = response.body;
  if (response.status >= 200 && response.status < 300) {
    result.replies.push(...sendReplies(ctx, message, response.body));
  }
  return result;
}

/** The form Twilio POSTs to a number's incoming-message webhook. */
export function inboundWebhookParams(message: StoredMessage): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: message.accountSid,
    ApiVersion: API_VERSION,
    Body: message.body,
    From: message.from,
    FromCity: '',
    FromCountry: countryOf(message.from),
    FromState: '',
    FromZip: '',
    MessageSid: message.sid,
    NumMedia: '0',
    NumSegments: String(message.numSegments),
    SmsMessageSid: message.sid,
    SmsSid: message.sid,
    SmsStatus: 'received',
    To: message.to,
    ToCity: '',
    ToCountry: countryOf(message.to),
    ToState: '',
    ToZip: '',
  };
  if (message.messagingServiceSid) params.MessagingServiceSid = message.messagingServiceSid;
  return params;
}

function applyOptOutKeyword(ctx: EmulatorContext, sms: InboundSms): void {
  const keyword = sms.body.trim().toUpperCase();
  if (OPT_OUT.has(keyword)) ctx.optedOut.add(sms.from);
  else if (OPT_IN.has(keyword)) ctx.optedOut.delete(sms.from);
}

/** Twilio's standard confirmation of an opt-out keyword (STOP, UNSUBSCRIBE, …). */
export const OPT_OUT_CONFIRMATION =
  'You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.';

function confirmOptOut(ctx: EmulatorContext, inbound: StoredMessage): InboundResult['replies'] {
  if (!OPT_OUT.has(inbound.body.trim().toUpperCase())) return [];
  const message = queueOutbound(
    ctx,
    {
      to: inbound.from,
      from: inbound.to,
      body: OPT_OUT_CONFIRMATION,
      direction: 'outbound-reply',
      messagingServiceSid: inbound.messagingServiceSid,
    },
    { statusCallback: undefined, failure: undefined },
  );
  return [{ sid: message.sid, to: message.to, body: message.body }];
}

function sendReplies(ctx: EmulatorContext, inbound: StoredMessage, twiml: string): InboundResult['replies'] {
  const replies: InboundResult['replies'] = [];
  for (const reply of readTwimlMessages(twiml)) {
    const to = reply.to ?? inbound.from;
    if (ctx.optedOut.has(to) || reply.body === '') continue;
    const message = queueOutbound(
      ctx,
      {
        to,
        from: reply.from ?? inbound.to,
        body: reply.body,
        direction: 'outbound-reply',
        messagingServiceSid: inbound.messagingServiceSid,
      },
      { statusCallback: reply.statusCallback, failure: ctx.undeliverable.get(to) },
    );
    replies.push({ sid: message.sid, to, body: reply.body });
  }
  return replies;
}
