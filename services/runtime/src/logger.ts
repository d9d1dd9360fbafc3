import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { correlationId } from './context.ts';

export type { Logger };

/** Keeps the last four digits: enough to tell numbers apart in a log, useless to anyone else. */
export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  return digits.length <= 4 ? '***' : `***${digits.slice(-4)}`;
}

export function maskEmail(value: string): string {
  const at = value.indexOf('@');
  return at <= 0 ? '***' : `${value[0]}***${value.slice(at)}`;
}

const PHONE_KEYS = ['phone', 'to', 'from', 'From', 'To', 'providerPhone', 'customerPhone'];
const EMAIL_KEYS = ['email'];
const SECRET_KEYS = [
  'password',
  'token',
  'secret',
  'authorization',
  'Authorization',
  'cookie',
  'clientSecret',
  'client_secret',
  'card',
  'cardNumber',
  'cvc',
  'rawBody',
  'signature',
  'trackingToken',
];

/**
 * A copy of a value with the fields the logs redact masked the same way, at any depth: for showing stored
 * payloads (a dead letter's event) to an operator.
 */
export function maskPersonalData(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => maskPersonalData(item, key));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskPersonalData(v, k)]));
  }
  if (PHONE_KEYS.includes(key) || EMAIL_KEYS.includes(key) || SECRET_KEYS.includes(key)) {
    return censor(value, [key]);
  }
  return value;
}

const paths = (keys: string[]): string[] => keys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

function censor(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1] ?? '';
  if (typeof value !== 'string') return '[redacted]';
  if (PHONE_KEYS.includes(key)) return maskPhone(value);
  if (EMAIL_KEYS.includes(key)) return maskEmail(value);
  return '[redacted]';
}

/** What an error may show in a log: what went wrong and where, never the data it was carrying. */
const ERROR_FIELDS = [
  'type',
  'message',
  'stack',
  'code',
  'status',
  'statusCode',
  'errno',
  'syscall',
  'requestId',
  'moreInfo',
  'details',
  // PostgreSQL's, which name the object but not the values (its `detail` quotes the row's key).
  'schema',
  'table',
  'constraint',
] as const;

/**
 * Errors by a whitelist of fields. Pino's own serializer copies every enumerable field, and some errors
 * carry their whole request: axios's (inside the Twilio SDK) its `config` with the Authorization header
 * and the form body (phone numbers, message text); Stripe's its `raw` answer, with a PaymentIntent's
 * client secret. Redaction only reaches fields it is told of, three levels down. For an HTTP client's
 * error the method and the URL without its query are kept; causes are serialized the same way.
 */
export function serializeError(value: unknown, depth = 0): unknown {
  if (!(value instanceof Error)) return value;
  const full = pino.stdSerializers.err(value) as unknown as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const field of ERROR_FIELDS) if (full[field] !== undefined) kept[field] = full[field];
  const config = (value as { config?: { method?: unknown; url?: unknown } }).config;
  if (config && typeof config.url === 'string') {
    kept['method'] = typeof config.method === 'string' ? config.method.toUpperCase() : undefined;
    kept['url'] = config.url.split('?')[0];
  }
  const cause = (value as { cause?: unknown }).cause;
  if (cause instanceof Error && depth < 3) kept['cause'] = serializeError(cause, depth + 1);
  if (value instanceof AggregateError && depth < 3)
    kept['errors'] = value.errors.slice(0, 5).map((e: unknown) => serializeError(e, depth + 1));
  return kept;
}

/**
 * JSON logs with the service name, the correlation id of the work in hand, and phone numbers, emails,
 * card data and secrets redacted wherever they appear as fields.
 */
export function createLogger(service: string, level = 'info', destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const id = correlationId();
      return id ? { correlationId: id } : {};
    },
    serializers: { err: serializeError, error: serializeError },
    redact: { paths: [...paths(PHONE_KEYS), ...paths(EMAIL_KEYS), ...paths(SECRET_KEYS)], censor },
    formatters: { level: (label) => ({ level: label }) },
  };
  // Standard output unless told otherwise (tests read the lines back from a stream).
  return destination ? pino(options, destination) : pino(options);
}
