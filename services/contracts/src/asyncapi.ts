import { ALL_ENDPOINTS, ALL_EVENTS } from './catalog.ts';
import { EventEnvelope } from './common.ts';
import { DEPLOYABLE_OF, type EndpointContract, type EventContract } from './define.ts';
import { ErrorBody } from './errors.ts';
import { ALL_CONSUMERS, STREAMS } from './streams.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const idOf = (subject: string): string => subject.replaceAll('.', '_');
/** TypeBox schemas are JSON Schema; a JSON round trip keeps exactly the serialisable part. */
const plain = (schema: unknown): Json => JSON.parse(JSON.stringify(schema)) as Json;

function eventPayload(event: EventContract): Json {
  const envelope = plain(EventEnvelope);
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) return envelope;
  const properties = envelope['properties'];
  return {
    ...envelope,
    properties: {
      ...(typeof properties === 'object' && properties !== null && !Array.isArray(properties)
        ? properties
        : {}),
      data: plain(event.schema),
    },
  };
}

/**
 * The whole NATS surface as an AsyncAPI 3.0 document, generated from the contracts: every event
 * (who publishes it, which consumers receive it, its stream) and every request/reply endpoint.
 */
export function buildAsyncApi(version: string): Json {
  const channels: Record<string, Json> = {};
  const operations: Record<string, Json> = {};
  const messages: Record<string, Json> = {};

  for (const event of ALL_EVENTS) {
    const id = idOf(event.subject);
    messages[id] = {
      name: event.subject,
      title: event.subject,
      summary: event.description,
      contentType: 'application/json',
      headers: {
        type: 'object',
        properties: {
          'Nats-Msg-Id': {
            type: 'string',
            description: 'The event id (outbox row id); JetStream drops duplicates',
          },
          'X-Correlation-Id': { type: 'string' },
        },
      },
      payload: eventPayload(event),
    };
    channels[id] = {
      address: event.subject,
      description: `${event.description} Stored in JetStream stream ${event.stream}.`,
      messages: { [id]: { $ref: `#/components/messages/${id}` } },
    };
    operations[`publish_${id}`] = {
      action: 'send',
      title: `${DEPLOYABLE_OF[event.owner]} publishes ${event.subject}`,
      channel: { $ref: `#/channels/${id}` },
      messages: [{ $ref: `#/channels/${id}/messages/${id}` }],
      tags: [{ name: DEPLOYABLE_OF[event.owner] }],
    };
    for (const consumer of ALL_CONSUMERS.filter((c) => c.events.some((e) => e.subject === event.subject))) {
      operations[`${idOf(consumer.durable)}_receives_${id}`] = {
        action: 'receive',
        title: `${DEPLOYABLE_OF[consumer.service]} consumes ${event.subject} (durable ${consumer.durable})`,
        channel: { $ref: `#/channels/${id}` },
        messages: [{ $ref: `#/channels/${id}/messages/${id}` }],
        tags: [{ name: DEPLOYABLE_OF[consumer.service] }],
      };
    }
  }

  for (const endpoint of ALL_ENDPOINTS) {
    addEndpoint(endpoint, channels, operations, messages);
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Trades marketplace — NATS surface',
      version,
      description:
        'Generated from services/contracts by `npm run asyncapi`; do not edit. Events are JetStream messages ' +
        '(streams: ' +
        STREAMS.map((s) => `${s.name} ${s.subjects.join(' ')}`).join('; ') +
        '). Request/reply endpoints use the NATS services framework; errors carry the Nats-Service-Error and ' +
        'Nats-Service-Error-Code (HTTP status) headers with an ErrorBody payload.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: '127.0.0.1:4222', protocol: 'nats', description: 'A local NATS server with JetStream' },
    },
    channels,
    operations,
    components: { messages, schemas: { ErrorBody: plain(ErrorBody), EventEnvelope: plain(EventEnvelope) } },
  };
}

function addEndpoint(
  endpoint: EndpointContract,
  channels: Record<string, Json>,
  operations: Record<string, Json>,
  messages: Record<string, Json>,
): void {
  const id = idOf(endpoint.subject);
  messages[`${id}_request`] = {
    name: `${endpoint.subject} request`,
    contentType: 'application/json',
    summary: endpoint.description,
    payload: plain(endpoint.request),
  };
  messages[`${id}_reply`] = {
    name: `${endpoint.subject} reply`,
    contentType: 'application/json',
    payload: plain(endpoint.reply),
  };
  messages[`${id}_error`] = {
    name: `${endpoint.subject} error`,
    contentType: 'application/json',
    payload: { $ref: '#/components/schemas/ErrorBody' },
  };
  channels[id] = {
    address: endpoint.subject,
    description: endpoint.description,
    messages: { request: { $ref: `#/components/messages/${id}_request` } },
  };
  channels[`${id}_reply`] = {
    address: null,
    description: `Reply inbox for ${endpoint.subject}`,
    messages: {
      reply: { $ref: `#/components/messages/${id}_reply` },
      error: { $ref: `#/components/messages/${id}_error` },
    },
  };
  operations[`serve_${id}`] = {
    action: 'receive',
    title: `${DEPLOYABLE_OF[endpoint.owner]} answers ${endpoint.subject} (queue group ${DEPLOYABLE_OF[endpoint.owner]})`,
    channel: { $ref: `#/channels/${id}` },
    messages: [{ $ref: `#/channels/${id}/messages/request` }],
    reply: {
      channel: { $ref: `#/channels/${id}_reply` },
      messages: [
        { $ref: `#/channels/${id}_reply/messages/reply` },
        { $ref: `#/channels/${id}_reply/messages/error` },
      ],
    },
    tags: [{ name: DEPLOYABLE_OF[endpoint.owner] }],
  };
}
