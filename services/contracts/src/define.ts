import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Validator } from 'typebox/compile';

/** The services that own subjects. A subject names its owner: `evt.<owner>.…` / `svc.<owner>.…`. */
export const SERVICE_NAMES = ['intake', 'dispatch', 'messaging', 'payments', 'registry'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** The deployable process that owns each subject prefix (registry is deployed as `locksmith-registry`). */
export const DEPLOYABLE_OF: Record<ServiceName, string> = {
  intake: 'intake',
  dispatch: 'dispatch',
  messaging: 'messaging',
  payments: 'payments',
  registry: 'locksmith-registry',
};

export interface SchemaCheck<T> {
  check(value: unknown): value is T;
  /** One line per problem: `/path must …`. Empty when valid. */
  errors(value: unknown): string[];
}

function compiled<S extends TSchema>(schema: S): SchemaCheck<Static<S>> {
  let validator: Validator | undefined;
  const get = (): Validator => (validator ??= Compile(schema));
  return {
    check: (value: unknown): value is Static<S> => get().Check(value),
    errors: (value: unknown) =>
      get()
        .Errors(value)
        .map((e) => `${e.instancePath || '/'} ${e.message}`),
  };
}

export interface EventContract<S extends TSchema = TSchema> {
  readonly kind: 'event';
  readonly subject: string;
  readonly owner: ServiceName;
  readonly stream: string;
  readonly description: string;
  readonly schema: S;
  readonly validate: SchemaCheck<Static<S>>;
}

export interface EndpointContract<Req extends TSchema = TSchema, Rep extends TSchema = TSchema> {
  readonly kind: 'endpoint';
  readonly subject: string;
  readonly owner: ServiceName;
  /** The endpoint's name within its service group, e.g. `provider.list`. */
  readonly name: string;
  readonly description: string;
  readonly request: Req;
  readonly reply: Rep;
  readonly validateRequest: SchemaCheck<Static<Req>>;
  readonly validateReply: SchemaCheck<Static<Rep>>;
}

export type EventData<E> = E extends EventContract<infer S> ? Static<S> : never;
export type RequestOf<E> = E extends EndpointContract<infer Req, TSchema> ? Static<Req> : never;
export type ReplyOf<E> = E extends EndpointContract<TSchema, infer Rep> ? Static<Rep> : never;

const EVENT_SUBJECT = /^evt\.([a-z]+)\.([a-z_]+)\.([a-z_]+)\.v(\d+)$/;
const ENDPOINT_SUBJECT = /^svc\.([a-z]+)\.([a-z_]+(?:\.[a-z_]+)*)$/;

/** Stream holding every event of one owner: `EVT_<OWNER>` with subjects `evt.<owner>.>`. */
export const streamOf = (owner: ServiceName): string => `EVT_${owner.toUpperCase()}`;

export function defineEvent<S extends TSchema>(
  subject: string,
  description: string,
  schema: S,
): EventContract<S> {
  const match = EVENT_SUBJECT.exec(subject);
  const owner = match?.[1];
  if (!match || !isServiceName(owner)) {
    throw new Error(
      `event subject ${subject} must be evt.<owner>.<aggregate>.<fact>.v<N> with a known owner`,
    );
  }
  return {
    kind: 'event',
    subject,
    owner,
    stream: streamOf(owner),
    description,
    schema,
    validate: compiled(schema),
  };
}

export function defineEndpoint<Req extends TSchema, Rep extends TSchema>(
  subject: string,
  description: string,
  request: Req,
  reply: Rep,
): EndpointContract<Req, Rep> {
  const match = ENDPOINT_SUBJECT.exec(subject);
  const owner = match?.[1];
  const name = match?.[2];
  if (!match || !isServiceName(owner) || !name) {
    throw new Error(`endpoint subject ${subject} must be svc.<service>.<endpoint> with a known service`);
  }
  return {
    kind: 'endpoint',
    subject,
    owner,
    name,
    description,
    request,
    reply,
    validateRequest: compiled(request),
    validateReply: compiled(reply),
  };
}

function isServiceName(value: string | undefined): value is ServiceName {
  return (SERVICE_NAMES as readonly (string | undefined)[]).includes(value);
}
