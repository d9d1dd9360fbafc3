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

const paths = (keys: string[]): string[] => keys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

function censor(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1] ?? '';
  if (typeof value !== 'string') return '[redacted]';
  if (PHONE_KEYS.includes(key)) return maskPhone(value);
  if (EMAIL_KEYS.includes(key)) return maskEmail(value);
  return '[redacted]';
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
    redact: { paths: [...paths(PHONE_KEYS), ...paths(EMAIL_KEYS), ...paths(SECRET_KEYS)], censor },
    formatters: { level: (label) => ({ level: label }) },
  };
  // Standard output unless told otherwise (tests read the lines back from a stream).
  return destination ? pino(options, destination) : pino(options);
}
