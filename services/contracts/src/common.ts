import Type, { type Static, type TSchema } from 'typebox';

export const Uuid = Type.String({ format: 'uuid' });
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 instant' });
export const E164 = Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'Phone number in E.164' });
export const Cents = Type.Integer({ minimum: 0, description: 'Amount in US cents' });
export const ServiceCode = Type.String({
  pattern: '^[a-z][a-z0-9_]{1,40}$',
  description: 'Catalog service code',
});
export const Cursor = Type.String({ maxLength: 512, description: 'Opaque keyset cursor' });
export const Limit = Type.Integer({ minimum: 1, maximum: 200 });

export const Empty = Type.Object({}, { additionalProperties: false });

/** A page of a keyset-paginated list. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Cursor, Type.Null()]) });

export const PageQuery = {
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
};

export const GeoPoint = Type.Object({
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lng: Type.Number({ minimum: -180, maximum: 180 }),
});

export const Address = Type.Object({
  formatted: Type.String({ maxLength: 300 }),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lng: Type.Number({ minimum: -180, maximum: 180 }),
  zip: Type.String({ pattern: '^[0-9]{5}$' }),
});
export type Address = Static<typeof Address>;

/** Every event on the wire: an id (also the `Nats-Msg-Id`), a time, and the payload of its subject. */
export const EventEnvelope = Type.Object({
  id: Uuid,
  occurredAt: Timestamp,
  data: Type.Unknown(),
});
export type EventEnvelope = Static<typeof EventEnvelope>;

/** Header carrying the correlation id from the gateway through every hop. */
export const CORRELATION_HEADER = 'X-Correlation-Id';

/** One audit record: who did what to which target, when, with a summary of the payload (no secrets). */
export const AuditEntry = Type.Object({
  id: Uuid,
  at: Timestamp,
  operator: Type.String(),
  /** How the operator was identified: the admin console's login, Cloudflare Access, or an operator's CLI (`npm run dlq`). */
  via: Type.Union([Type.Literal('local'), Type.Literal('cloudflare'), Type.Literal('cli')]),
  action: Type.String(),
  method: Type.String(),
  path: Type.String(),
  target: Type.Union([Type.String(), Type.Null()]),
  status: Type.Integer(),
  summary: Type.Record(Type.String(), Type.Unknown()),
  correlationId: Type.String(),
});
export type AuditEntry = Static<typeof AuditEntry>;
