// The life of an outbound message after the API accepted it: queued → sent → delivered
// (or undelivered / failed), each change POSTed to its StatusCallback like Twilio does.
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmulatorContext } from './context.ts';
import { maskPhone } from './phone.ts';
import { countSegments } from './sms-encoding.ts';
import {
  API_VERSION,
  newMessageSid,
  type MessageDirection,
  type MessageStatus,
  type StoredMessage,
} from './store.ts';
import { errorMessage } from './webhooks.ts';

const CALLBACK_RETRY = { attempts: 3, backoffMs: 200 };
const PRICE_PER_SEGMENT = 0.0079;
/** How a message to a number marked undeliverable ends: Twilio's final status and error code. */
export interface DeliveryFailure {
  status: 'undelivered' | 'failed';
  code: number;
  message: string;
}

/** Twilio's delivery error codes a carrier reports after the API took the message, with Twilio's words. */
const DELIVERY_ERRORS: Record<number, string> = {
  21211: 'Invalid To phone number',
  21614: 'To number is not a valid mobile number',
  30003: 'Unreachable destination handset',
  30004: 'Message blocked',
  30005: 'Unknown destination handset',
  30006: 'Landline or unreachable carrier',
  30007: 'Message filtered',
  30008: 'Unknown error',
};

/** The failure a number is marked with: 30003 `undelivered` unless told otherwise. */
export function deliveryFailure(
  code = 30003,
  status: DeliveryFailure['status'] = 'undelivered',
): DeliveryFailure {
  return { status, code, message: DELIVERY_ERRORS[code] ?? 'Message delivery failed' };
}

export interface Delivery {
  statusCallback: string | undefined;
  /** Set when the recipient is marked undeliverable: how the message ends instead of `delivered`. */
  failure: DeliveryFailure | undefined;
}

/** What makes an outbound message: the API's send, or a reply Twilio sends for the app or itself. */
export interface OutboundFields {
  to: string;
  from: string;
  body: string;
  direction: Extract<MessageDirection, 'outbound-api' | 'outbound-reply'>;
  messagingServiceSid: string | null;
}

/** Stores a new outbound message as `queued` and starts its delivery; returns it. */
export function queueOutbound(
  ctx: EmulatorContext,
  fields: OutboundFields,
  delivery: Delivery,
): StoredMessage {
  const now = new Date();
  const message: StoredMessage = {
    sid: newMessageSid(),
    accountSid: ctx.accountSid,
    ...fields,
    status: 'queued',
    numSegments: countSegments(fields.body),
    dateCreated: now,
    dateUpdated: now,
    dateSent: null,
    errorCode: null,
    errorMessage: null,
    price: null,
  };
  ctx.store.add(message);
  startDelivery(ctx, message, delivery);
  return message;
}

export function startDelivery(ctx: EmulatorContext, message: StoredMessage, delivery: Delivery): void {
  ctx.track(
    progress(ctx, message, delivery).catch((error: unknown) => {
      if (!ctx.signal.aborted) {
        ctx.log.error({ sid: message.sid, error: errorMessage(error) }, 'message progression failed');
      }
    }),
  );
}

async function progress(ctx: EmulatorContext, message: StoredMessage, delivery: Delivery): Promise<void> {
  await notify(ctx, message, delivery.statusCallback);

  await sleep(ctx.statusStepMs, undefined, { signal: ctx.signal });
  const sentAt = new Date();
  ctx.store.update(message, {
    status: 'sent',
    dateSent: sentAt,
    price: (-PRICE_PER_SEGMENT * message.numSegments).toFixed(5),
  });
  await notify(ctx, message, delivery.statusCallback);

  await sleep(ctx.statusStepMs, undefined, { signal: ctx.signal });
  if (delivery.failure) {
    ctx.store.update(message, {
      status: delivery.failure.status,
      errorCode: delivery.failure.code,
      errorMessage: delivery.failure.message,
    });
  } else {
    ctx.store.update(message, { status: 'delivered' });
  }
  ctx.log.info(
    { sid: message.sid, to: maskPhone(message.to), status: message.status },
    'outbound message finished',
  );
  await notify(ctx, message, delivery.statusCallback);
}

async function notify(ctx: EmulatorContext, message: StoredMessage, url: string | undefined): Promise<void> {
  if (!url) return;
  await ctx.webhooks.postWithRetry(url, statusCallbackParams(message), CALLBACK_RETRY);
}

/** The form Twilio POSTs to a message's StatusCallback. */
export function statusCallbackParams(message: StoredMessage): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: message.accountSid,
    ApiVersion: API_VERSION,
    From: message.from,
    MessageSid: message.sid,
    MessageStatus: message.status,
    SmsSid: message.sid,
    SmsStatus: message.status,
    To: message.to,
  };
  if (message.messagingServiceSid) params.MessagingServiceSid = message.messagingServiceSid;
  if (isFinal(message.status)) params.RawDlrDoneDate = dlrDoneDate(message.dateUpdated);
  if (message.errorCode !== null) params.ErrorCode = String(message.errorCode);
  return params;
}

function isFinal(status: MessageStatus): boolean {
  return status === 'delivered' || status === 'undelivered' || status === 'failed';
}

// Carrier delivery-receipt time, YYMMDDhhmm in UTC.
function dlrDoneDate(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    pad(date.getUTCFullYear() % 100) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes())
  );
}
