import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_VERSION, type EmulatorCore, type RequestMeta } from '../domain/core.ts';
import { randomToken } from '../domain/ids.ts';
import { StripeApiError, type StripeErrorBody } from './errors.ts';
import { expandResponse } from './expand.ts';
import { decodeStripeForm, FormDecodeError, type FormObject } from './form.ts';
import { Params } from './params.ts';

export type KeyKind = 'secret' | 'publishable';

export interface StripeRequest {
  params: Params;
  path: Record<string, string>;
  key: KeyKind;
  meta: RequestMeta;
}

export interface StripeRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path under /v1, with fastify's `:param` placeholders. */
  path: string;
  /** Top-level parameters the endpoint accepts, besides `expand`. */
  accepts: readonly string[];
  /** Also callable with a publishable key, as Stripe.js calls it from a browser. */
  publishable?: boolean;
  handle: (request: StripeRequest) => object;
}

export interface Fault {
  method: string;
  pathPrefix: string;
  status: number;
  /** 'before': fail without running; 'after': run (and store for idempotent replay), then fail. */
  when: 'before' | 'after';
  /**
   * 'error': answer with `status`; 'drop': close the connection without an answer; 'hold': keep the
   * request waiting (before or after its effect, by `when`) until `releaseHeld()`, then answer it as usual.
   */
  response: 'error' | 'drop' | 'hold';
  remaining: number;
}

/** What the form-body parser leaves in `request.body`: the undecoded text. */
export type FormEnvelope = { encoded: string };

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: object;
  storedAt: number;
}

/** Stripe keeps idempotency keys for 24 hours; the emulator also bounds how many it holds. */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const IDEMPOTENCY_MAX_KEYS = 10_000;

/**
 * The pipeline every /v1 request goes through, in Stripe's order: authenticate, decode,
 * replay an idempotent result if there is one, validate and run, expand, store.
 */
export class StripeRouter {
  readonly #core: EmulatorCore;
  readonly #secretKey: string | undefined;
  readonly #idempotent = new Map<string, StoredResponse>();
  readonly #faults: Fault[] = [];
  /** Requests kept waiting by a 'hold' fault: each resolves when released. */
  readonly #held = new Set<() => void>();

  /** `secretKey`: the only secret key accepted; without it any test-mode secret key is. */
  constructor(core: EmulatorCore, secretKey?: string) {
    this.#core = core;
    this.#secretKey = secretKey;
  }

  register(app: FastifyInstance, routes: readonly StripeRoute[]): void {
    for (const route of routes) {
      app.route({
        method: route.method,
        url: `/v1${route.path}`,
        handler: async (request, reply) => this.#serve(route, request, reply),
      });
    }
  }

  addFault(fault: Omit<Fault, 'remaining'> & { times?: number }): void {
    this.#faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** Clears the faults not yet taken and lets every held request go on. */
  clearFaults(): void {
    this.#faults.length = 0;
    this.releaseHeld();
  }

  /** How many requests a 'hold' fault is keeping waiting. */
  heldCount(): number {
    return this.#held.size;
  }

  /** Lets every request kept by a 'hold' fault go on to its answer. */
  releaseHeld(): void {
    for (const release of this.#held) release();
    this.#held.clear();
  }

  #hold(): Promise<void> {
    return new Promise((resolve) => this.#held.add(resolve));
  }

  reset(): void {
    this.#idempotent.clear();
    this.clearFaults();
  }

  async #serve(route: StripeRoute, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const requestId = `req_${randomToken(14)}`;
    void reply.header('request-id', requestId).header('stripe-version', API_VERSION);

    const key = authenticate(request.headers.authorization, this.#secretKey);
    if (typeof key !== 'string') return send(reply, key.status, { error: key.body });
    if (key === 'publishable' && route.publishable !== true) {
      return send(reply, 401, {
        error: {
          type: 'invalid_request_error',
          message:
            'This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.',
        },
      });
    }

    let values: FormObject;
    try {
      values = decodeStripeForm(rawParams(request));
    } catch (error) {
      if (!(error instanceof FormDecodeError)) throw error;
      return send(reply, 400, { error: { type: 'invalid_request_error', message: error.message } });
    }

    const fault = this.#takeFault(request);
    if (fault?.when === 'before') {
      if (fault.response !== 'hold') return failByFault(reply, fault);
      await this.#hold();
    }

    const headerKey = request.headers['idempotency-key'];
    const idempotencyKey =
      route.method === 'POST' && typeof headerKey === 'string' && headerKey !== '' ? headerKey : null;
    const fingerprint = `${route.method} ${request.url.split('?')[0]} ${canonical(values)}`;
    const storeKey = idempotencyKey === null ? null : `${authorizationOf(request)} ${idempotencyKey}`;
    if (storeKey !== null) {
      const stored = this.#recall(storeKey);
      if (stored !== undefined) {
        if (stored.fingerprint !== fingerprint) {
          return send(reply, 400, {
            error: {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            },
          });
        }
        // A replayed answer can be lost or slow like any other.
        if (fault?.when === 'after') {
          if (fault.response !== 'hold') return failByFault(reply, fault);
          await this.#hold();
        }
        void reply.header('idempotent-replayed', 'true').header('original-request', requestId);
        if (idempotencyKey !== null) void reply.header('idempotency-key', idempotencyKey);
        return send(reply, stored.status, stored.body);
      }
    }
    if (idempotencyKey !== null) void reply.header('idempotency-key', idempotencyKey);

    const params = new Params(values);
    let status: number;
    let body: object;
    let store = true;
    try {
      params.only(route.accepts);
      const expand = params.stringList('expand') ?? [];
      const result = structuredClone(
        route.handle({
          params,
          path: routeParams(request),
          key,
          meta: { requestId, idempotencyKey },
        }),
      );
      expandResponse(result, expand, this.#core.store);
      status = 200;
      body = result;
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      // A missing object named by the URL is a 404; one named by a parameter the client sent is a 400.
      const param = error.body.param?.split('[', 1)[0];
      const sentReference =
        error.body.code === 'resource_missing' && param !== undefined && params.has(param);
      status = sentReference ? 400 : error.status;
      body = { error: structuredClone(error.body) };
      store = error.replayable;
    }
    if (storeKey !== null && store)
      this.#remember(storeKey, { fingerprint, status, body, storedAt: Date.now() });
    if (fault?.when === 'after') {
      if (fault.response !== 'hold') return failByFault(reply, fault);
      await this.#hold();
    }
    return send(reply, status, body);
  }

  #recall(key: string): StoredResponse | undefined {
    const stored = this.#idempotent.get(key);
    if (stored === undefined) return undefined;
    if (Date.now() - stored.storedAt <= IDEMPOTENCY_TTL_MS) return stored;
    this.#idempotent.delete(key);
    return undefined;
  }

  #remember(key: string, stored: StoredResponse): void {
    this.#idempotent.set(key, stored);
    // Maps iterate in insertion order: the first keys are the oldest.
    for (const oldest of this.#idempotent.keys()) {
      if (this.#idempotent.size <= IDEMPOTENCY_MAX_KEYS) break;
      this.#idempotent.delete(oldest);
    }
  }

  #takeFault(request: FastifyRequest): Fault | undefined {
    const path = request.url.split('?')[0] ?? '';
    const index = this.#faults.findIndex(
      (fault) =>
        (fault.method === '*' || fault.method === request.method) && path.startsWith(fault.pathPrefix),
    );
    const fault = this.#faults[index];
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault;
  }
}

function send(reply: FastifyReply, status: number, body: object): FastifyReply {
  return reply.code(status).type('application/json').send(body);
}

function failByFault(reply: FastifyReply, fault: Fault): FastifyReply {
  if (fault.response === 'drop') {
    // Taken out of fastify's hands: the connection closes with no answer, as when a response is lost.
    reply.hijack();
    reply.raw.destroy();
    return reply;
  }
  return send(reply, fault.status, {
    error: { type: 'api_error', message: 'An unexpected error occurred (injected by the Stripe emulator).' },
  });
}

function rawParams(request: FastifyRequest): string {
  const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
  const body = formText(request.body);
  return [query, body].filter((part) => part !== '').join('&');
}

export function formText(body: unknown): string {
  if (typeof body !== 'object' || body === null || !('encoded' in body)) return '';
  return typeof body.encoded === 'string' ? body.encoded : '';
}

function routeParams(request: FastifyRequest): Record<string, string> {
  const params = request.params;
  const result: Record<string, string> = {};
  if (typeof params !== 'object' || params === null) return result;
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string') result[name] = value;
  }
  return result;
}

function authorizationOf(request: FastifyRequest): string {
  return request.headers.authorization ?? '';
}

/** Stable JSON for comparing a retried request's parameters with the first one's. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Bearer (or Basic, key as user name) test-mode keys only: a live key never belongs here. */
function authenticate(
  header: string | undefined,
  secretKey: string | undefined,
): KeyKind | { status: number; body: StripeErrorBody } {
  const missing = {
    status: 401,
    body: {
      type: 'invalid_request_error' as const,
      message:
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
    },
  };
  if (header === undefined || header.trim() === '') return missing;
  let key: string | undefined;
  const [scheme, credential] = header.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() === 'bearer') key = credential;
  else if (scheme?.toLowerCase() === 'basic' && credential !== undefined) {
    key = Buffer.from(credential, 'base64').toString('utf8').split(':', 1)[0];
  }
  if (key === undefined || key === '') return missing;
  if (secretKey !== undefined ? key === secretKey : /^(sk|rk)_test_[A-Za-z0-9_]+$/.test(key)) return 'secret';
  if (/^pk_test_[A-Za-z0-9_]+$/.test(key)) return 'publishable';
  const masked =
    key.length > 8 ? `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}` : key;
  return {
    status: 401,
    body: {
      type: 'invalid_request_error',
      message:
        secretKey !== undefined
          ? `Invalid API Key provided: ${masked}`
          : `Invalid API Key provided: ${masked}. The Stripe emulator accepts test-mode keys only (sk_test_..., rk_test_..., pk_test_...).`,
    },
  };
}
