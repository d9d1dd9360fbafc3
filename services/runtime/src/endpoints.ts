import {
  NoRespondersError,
  RequestError,
  TimeoutError,
  type Msg,
  type NatsConnection,
} from '@nats-io/nats-core';
import {
  ServiceError,
  ServiceErrorCodeHeader,
  ServiceErrorHeader,
  Svcm,
  type Service,
} from '@nats-io/services';
import {
  AppError,
  CORRELATION_HEADER,
  DEPLOYABLE_OF,
  type EndpointContract,
  type ReplyOf,
  type RequestOf,
  type ServiceName,
} from '@trades/contracts';
import { withContext } from './context.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { encodeJson, outgoingHeaders } from './nats.ts';

/** A handler for one endpoint: validated request in, reply out (validated before it leaves). */
export type EndpointHandler<E extends EndpointContract> = (request: RequestOf<E>) => Promise<ReplyOf<E>>;

export interface EndpointBinding {
  contract: EndpointContract;
  handle: (request: unknown) => Promise<unknown>;
}

/** Pairs a contract with its handler, keeping the request and reply types tied to the contract. */
export function endpoint<E extends EndpointContract>(
  contract: E,
  handle: EndpointHandler<E>,
): EndpointBinding {
  return { contract, handle: (request) => handle(request as RequestOf<E>) };
}

export interface ServeOptions {
  service: ServiceName;
  version: string;
  description: string;
  bindings: EndpointBinding[];
  log: Logger;
  metrics: Metrics;
  /** Tracks in-flight work so shutdown can wait for it. */
  track: <T>(work: Promise<T>) => Promise<T>;
}

/**
 * Registers every endpoint with the NATS services framework: one queue group per service (so replicas
 * share the load), `$SRV.PING/INFO/STATS` discovery, and errors in the `Nats-Service-Error*` headers.
 */
export async function serveEndpoints(nc: NatsConnection, options: ServeOptions): Promise<Service> {
  const { service, bindings, log, metrics } = options;
  const svc = await new Svcm(nc).add({
    name: DEPLOYABLE_OF[service],
    version: options.version,
    description: options.description,
    queue: DEPLOYABLE_OF[service],
  });
  for (const binding of bindings) {
    const { contract } = binding;
    if (contract.owner !== service) throw new Error(`${service} cannot serve ${contract.subject}`);
    svc.addEndpoint(contract.name.replaceAll('.', '_'), {
      subject: contract.subject,
      metadata: { description: contract.description },
      handler: (err, msg) => {
        if (err) {
          log.error({ err, subject: contract.subject }, 'endpoint subscription failed');
          return;
        }
        const started = performance.now();
        const correlation = msg.headers?.get(CORRELATION_HEADER) || undefined;
        void options.track(
          withContext(correlation, async () => {
            const outcome = await answer(binding, msg, log);
            metrics.endpointSeconds.observe(
              { subject: contract.subject, outcome },
              (performance.now() - started) / 1000,
            );
          }),
        );
      },
    });
  }
  return svc;
}

/** Where a NUL character sits in a parsed JSON value (a string or a key), as a JSON pointer; else undefined. */
export function pathOfNul(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path || '/' : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = pathOfNul(item, `${path}/${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const at = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1').replaceAll('\0', '\\u0000')}`;
      if (key.includes('\0')) return at;
      const found = pathOfNul(item, at);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

async function answer(binding: EndpointBinding, msg: Msg, log: Logger): Promise<string> {
  const { contract } = binding;
  const respondError = (error: AppError): string => {
    const h = outgoingHeaders({
      [ServiceErrorHeader]: error.code,
      [ServiceErrorCodeHeader]: String(error.status),
    });
    msg.respond(encodeJson(error.toBody()), { headers: h });
    return error.status >= 500 ? 'error' : 'rejected';
  };
  let request: unknown;
  try {
    request = msg.data.length === 0 ? {} : msg.json();
  } catch {
    return respondError(new AppError(400, 'INVALID_JSON', 'The request body is not valid JSON.'));
  }
  if (!contract.validateRequest.check(request)) {
    const problems = contract.validateRequest.errors(request);
    return respondError(
      new AppError(
        400,
        'INVALID_REQUEST',
        `The request does not match ${contract.subject}: ${problems.join('; ')}.`,
        {
          problems,
        },
      ),
    );
  }
  const nul = pathOfNul(request);
  if (nul !== undefined) {
    // PostgreSQL stores no NUL in text or jsonb ("invalid message format"): refused here, with where it is,
    // instead of failing the handler's transaction with a 500.
    return respondError(
      new AppError(400, 'INVALID_TEXT', `Text may not contain NUL characters (\\u0000): see ${nul}.`, {
        path: nul,
      }),
    );
  }
  try {
    const reply = await binding.handle(request);
    if (!contract.validateReply.check(reply)) {
      log.error(
        { subject: contract.subject, problems: contract.validateReply.errors(reply) },
        'reply breaks its contract',
      );
      return respondError(new AppError(500, 'INTERNAL', 'The service produced an invalid reply.'));
    }
    msg.respond(encodeJson(reply), { headers: outgoingHeaders() });
    return 'ok';
  } catch (error) {
    if (error instanceof AppError) {
      if (error.status >= 500) log.error({ err: error, subject: contract.subject }, 'endpoint failed');
      return respondError(error);
    }
    log.error({ err: error, subject: contract.subject }, 'endpoint failed');
    return respondError(new AppError(500, 'INTERNAL', 'Something went wrong on our side.'));
  }
}

export interface CallOptions {
  timeoutMs?: number;
}

/**
 * Calls a service endpoint. The request is checked against its contract before it leaves; a service's
 * error comes back as the same AppError it threw; no responder or no answer becomes a 503 / 504.
 */
export async function call<E extends EndpointContract>(
  nc: NatsConnection,
  contract: E,
  request: RequestOf<E>,
  options: CallOptions = {},
): Promise<ReplyOf<E>> {
  if (!contract.validateRequest.check(request)) {
    const problems = contract.validateRequest.errors(request);
    throw new AppError(
      400,
      'INVALID_REQUEST',
      `Invalid request for ${contract.subject}: ${problems.join('; ')}.`,
      {
        problems,
      },
    );
  }
  let reply: Msg;
  try {
    reply = await nc.request(contract.subject, encodeJson(request), {
      timeout: options.timeoutMs ?? 5_000,
      headers: outgoingHeaders(),
    });
  } catch (error) {
    const service = DEPLOYABLE_OF[contract.owner];
    if (isNoResponders(error)) {
      throw new AppError(
        503,
        'SERVICE_UNAVAILABLE',
        `The ${service} service is not available right now; try again shortly.`,
      );
    }
    if (
      error instanceof TimeoutError ||
      (error instanceof RequestError && error.cause instanceof TimeoutError)
    ) {
      throw new AppError(
        504,
        'SERVICE_TIMEOUT',
        `The ${service} service did not answer in time; try again shortly.`,
      );
    }
    throw error;
  }
  if (ServiceError.isServiceError(reply)) {
    const status = Number(reply.headers?.get(ServiceErrorCodeHeader) ?? 500);
    const code = reply.headers?.get(ServiceErrorHeader) ?? 'INTERNAL';
    let body: unknown;
    try {
      body = reply.json();
    } catch {
      body = undefined;
    }
    const message =
      typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string'
        ? body.message
        : 'The service reported an error.';
    const details = typeof body === 'object' && body !== null && 'details' in body ? body.details : undefined;
    throw new AppError(Number.isInteger(status) && status >= 400 ? status : 500, code, message, details);
  }
  const value: unknown = reply.json();
  if (!contract.validateReply.check(value)) {
    throw new AppError(502, 'BAD_REPLY', `The reply from ${contract.subject} does not match its contract.`, {
      problems: contract.validateReply.errors(value),
    });
  }
  // Checked against the contract's reply schema just above; ReplyOf<E> is that schema's static type.
  return value as ReplyOf<E>;
}

function isNoResponders(error: unknown): boolean {
  if (error instanceof NoRespondersError) return true;
  return error instanceof RequestError && error.cause instanceof NoRespondersError;
}
