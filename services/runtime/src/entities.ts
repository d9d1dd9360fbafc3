import { defineEntity, p } from '@mikro-orm/core';

/** The runtime's tables in every service's schema, mapped so they can be inspected through the ORM. */
export const OutboxMessage = defineEntity({
  name: 'OutboxMessage',
  tableName: 'outbox',
  properties: {
    id: p.uuid().primary(),
    subject: p.string(),
    payload: p.json(),
    headers: p.json(),
    createdAt: p.datetime(),
    publishedAt: p.datetime().nullable(),
    attempts: p.integer(),
    lastError: p.text().nullable(),
  },
});

export const InboxEntry = defineEntity({
  name: 'InboxEntry',
  tableName: 'inbox',
  properties: {
    consumer: p.string().primary(),
    eventId: p.uuid().primary(),
    subject: p.string(),
    handledAt: p.datetime(),
  },
});

export const runtimeEntities = [OutboxMessage, InboxEntry];
