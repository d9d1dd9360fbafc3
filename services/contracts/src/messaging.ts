import Type, { type Static } from 'typebox';
import { Cursor, E164, Limit, Page, Timestamp, Uuid } from './common.ts';
import { defineEndpoint, defineEvent } from './define.ts';

export const SMS_COMMANDS = [
  'YES',
  'NO',
  'AVAILABLE',
  'UNAVAILABLE',
  'STOP',
  'START',
  'HELP',
  'OMW',
  'DONE',
  'CREDIT',
  'UNKNOWN',
] as const;
export type SmsCommandKind = (typeof SMS_COMMANDS)[number];

export const SmsCommand = Type.Object({
  // Spelled out so the static type is the union of the literals (a mapped array would lose it).
  kind: Type.Union([
    Type.Literal('YES'),
    Type.Literal('NO'),
    Type.Literal('AVAILABLE'),
    Type.Literal('UNAVAILABLE'),
    Type.Literal('STOP'),
    Type.Literal('START'),
    Type.Literal('HELP'),
    Type.Literal('OMW'),
    Type.Literal('DONE'),
    Type.Literal('CREDIT'),
    Type.Literal('UNKNOWN'),
  ]),
  etaMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 600 })),
  /** The job's or lead's 4-digit code (YES 4821, DONE 4821, CREDIT 4821 …). */
  jobCode: Type.Optional(Type.String({ pattern: '^[0-9]{4}$' })),
  /** CREDIT only: the words after the code, the plumber's reason as they typed it. */
  text: Type.Optional(Type.String({ maxLength: 1600 })),
  /** The word the sender used when it is an alias (PAUSE → UNAVAILABLE, RESUME → AVAILABLE). */
  alias: Type.Optional(Type.String({ maxLength: 20 })),
});
export type SmsCommand = Static<typeof SmsCommand>;

/** One log for both: an SMS (Twilio) or an email (SMTP). */
export const MessageChannel = Type.Union([Type.Literal('sms'), Type.Literal('email')]);
export const MessageDirection = Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]);
export const MessageStatus = Type.Union([
  Type.Literal('received'),
  Type.Literal('pending'),
  Type.Literal('queued'),
  Type.Literal('sending'),
  Type.Literal('sent'),
  Type.Literal('delivered'),
  Type.Literal('undelivered'),
  Type.Literal('failed'),
  Type.Literal('suppressed'),
  // An offer SMS withdrawn before it left: the offer closed while the message still waited to be sent.
  Type.Literal('canceled'),
]);

export const Message = Type.Object({
  channel: MessageChannel,
  sid: Type.Union([Type.String(), Type.Null()], {
    description: "Twilio's MessageSid of an SMS; the Message-ID header of an email",
  }),
  direction: MessageDirection,
  from: Type.String({
    description: 'A phone number (E.164), or an email address (empty until the email is handed to SMTP)',
  }),
  to: Type.String({ description: 'A phone number (E.164), or an email address' }),
  body: Type.String({ description: "An SMS's text; an email's plain-text part" }),
  subject: Type.Union([Type.String(), Type.Null()], { description: "An email's subject; null for an SMS" }),
  status: MessageStatus,
  purpose: Type.Union([Type.String(), Type.Null()]),
  jobId: Type.Union([Uuid, Type.Null()]),
  leadId: Type.Union([Uuid, Type.Null()]),
  providerId: Type.Union([Uuid, Type.Null()]),
  errorCode: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Message = Static<typeof Message>;

export const MessageList = defineEndpoint(
  'svc.messaging.message.list',
  'The message log (SMS and email), newest first, filtered by channel, phone, email address, direction, status, job and lead.',
  Type.Object({
    channel: Type.Optional(MessageChannel),
    phone: Type.Optional(Type.String({ maxLength: 40 })),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    direction: Type.Optional(MessageDirection),
    status: Type.Optional(MessageStatus),
    jobId: Type.Optional(Uuid),
    leadId: Type.Optional(Uuid),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
  }),
  Page(Message),
);

const TwilioForm = Type.Object({
  url: Type.String({ description: 'The public URL Twilio signed (BASE_URL + path)' }),
  receivedUrl: Type.Optional(
    Type.String({
      description:
        'The URL as the gateway was reached (scheme and host from X-Forwarded-* behind a proxy); checked when the ' +
        'signature does not match `url`, e.g. a local stack whose BASE_URL is not where the gateway listens',
    }),
  ),
  signature: Type.String(),
  params: Type.Record(Type.String(), Type.String()),
});

export const TwilioInbound = defineEndpoint(
  'svc.messaging.webhook.inbound',
  'An inbound SMS webhook from Twilio, relayed by the gateway; answers the TwiML to return.',
  TwilioForm,
  Type.Object({ twiml: Type.String() }),
);

export const TwilioStatus = defineEndpoint(
  'svc.messaging.webhook.status',
  'A delivery status callback from Twilio, relayed by the gateway.',
  TwilioForm,
  Type.Object({ ok: Type.Boolean() }),
);

export const MessagingStats = defineEndpoint(
  'svc.messaging.stats.get',
  'SMS counts for the operations dashboard.',
  Type.Object({}),
  Type.Object({ smsLastHour: Type.Integer({ minimum: 0 }) }),
);

/**
 * A Twilio webhook the gateway accepted while messaging did not answer (down, restarting, or too slow):
 * Twilio retries neither an inbound SMS nor a status callback, so instead of a 503 that loses it the
 * gateway checks the signature itself, parks the form here and answers Twilio (an empty TwiML / 204).
 * Messaging consumes it when it is back (durable `messaging-parked-webhooks`), checks the signature
 * again and handles it like the webhook; an inbound SMS's reply then goes out as an SMS. Published by
 * the gateway, on messaging's subjects since messaging owns what they mean.
 */
export const ParkedInboundSms = defineEvent(
  'evt.messaging.webhook.sms_parked.v1',
  'An inbound SMS webhook the gateway kept while messaging did not answer (Nats-Msg-Id twilio-sms:<MessageSid>).',
  TwilioForm,
);

export const ParkedStatusCallback = defineEvent(
  'evt.messaging.webhook.status_parked.v1',
  'A status callback the gateway kept while messaging did not answer (Nats-Msg-Id twilio-status:<MessageSid>:<status>).',
  TwilioForm,
);

export const SmsReceived = defineEvent(
  'evt.messaging.sms.received.v1',
  'A verified inbound SMS, with the command parsed from it.',
  Type.Object({
    messageSid: Type.String(),
    from: E164,
    providerId: Type.Union([Uuid, Type.Null()]),
    body: Type.String(),
    command: SmsCommand,
    receivedAt: Timestamp,
  }),
);

export const SmsStatusChanged = defineEvent(
  'evt.messaging.sms.status_changed.v1',
  "An outbound SMS's delivery status changed.",
  Type.Object({
    messageSid: Type.String(),
    to: E164,
    status: MessageStatus,
    errorCode: Type.Union([Type.String(), Type.Null()]),
    purpose: Type.Union([Type.String(), Type.Null()]),
    offerId: Type.Union([Uuid, Type.Null()]),
    jobId: Type.Union([Uuid, Type.Null()]),
  }),
);
