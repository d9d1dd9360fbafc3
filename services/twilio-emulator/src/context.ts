// Everything the emulator's routes share: configuration, in-memory state, and the
// background work (status progressions) that close() must wait for.
import type { DeliveryFailure } from './outbound.ts';
import type { MessageStore } from './store.ts';
import type { WebhookSender } from './webhooks.ts';
import type { FastifyBaseLogger } from 'fastify';

export interface EmulatorContext {
  accountSid: string;
  authToken: string;
  /** The account's phone number: sender for messaging-service sends, recipient of inbound SMS. */
  phoneNumber: string;
  messagingServiceSid: string | undefined;
  inboundWebhookUrl: string | undefined;
  /** Pause between status changes of an outbound message. */
  statusStepMs: number;
  store: MessageStore;
  /** Recipients whose later messages end `undelivered` or `failed`, and with which error code. */
  undeliverable: Map<string, DeliveryFailure>;
  /** Recipients who texted STOP; sends to them fail with 21610 until they text START. */
  optedOut: Set<string>;
  webhooks: WebhookSender;
  log: FastifyBaseLogger;
  signal: AbortSignal;
  /** Registers background work so close() can wait for it. */
  track(work: Promise<void>): void;
}
