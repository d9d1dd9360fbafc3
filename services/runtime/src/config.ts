import Type, { type Static, type TObject, type TProperties, type TSchema } from 'typebox';
import { Value } from 'typebox/value';

/** Variables every process shares. Services extend this with their own. */
export const BaseConfig = {
  APP_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL connection URL' }),
  NATS_URL: Type.String({ minLength: 1, description: 'NATS server URL(s), comma separated' }),
  HTTP_PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    description: 'Port for /livez, /readyz and /metrics',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  NATS_STREAM_REPLICAS: Type.Integer({ minimum: 1, maximum: 5, default: 1 }),
  BASE_URL: Type.String({ default: 'http://localhost:8000', description: 'Public URL of the gateway' }),
  FRONTEND_URL: Type.String({
    default: 'http://localhost:3000',
    description: 'Public URL of the customer UI',
  }),
} satisfies TProperties;

export type BaseConfigValues = Static<TObject<typeof BaseConfig>>;

/** Defaults that make a bare `node services/x/src/main.ts` work on a developer machine, never in production. */
export const DEVELOPMENT_DEFAULTS: Record<string, string> = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/trades',
  NATS_URL: 'nats://127.0.0.1:4222',
  STRIPE_SECRET_KEY: 'sk_test_local_development_key',
  STRIPE_WEBHOOK_SECRET: 'whsec_local_development_secret',
  TWILIO_ACCOUNT_SID: 'ACdev00000000000000000000000000000',
  TWILIO_AUTH_TOKEN: 'dev_twilio_auth_token',
  TWILIO_PHONE_NUMBER: '+15005550006',
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'admin-password-dev',
  ADMIN_SESSION_SECRET: 'dev-only-admin-session-secret-change-me-0123456789',
  DISPATCH_LINK_SECRET: 'dev-only-dispatch-link-secret-change-me',
  // MailDev, which `npm start` runs in local mode (its web UI on 1080).
  SMTP_URL: 'smtp://127.0.0.1:1025',
  EMAIL_FROM: 'Trades Marketplace <no-reply@trades.local>',
};

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Reads the environment once, against a schema: converts strings to numbers and booleans, applies
 * defaults, and fails with every problem listed (not just the first).
 */
export function loadConfig<P extends TProperties>(
  properties: P,
  env: Record<string, string | undefined> = process.env,
): Static<TObject<P>> {
  const schema = Type.Object(properties);
  const isProduction = env['APP_ENV'] === 'production';
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(properties)) {
    const value = env[key] ?? (isProduction ? undefined : DEVELOPMENT_DEFAULTS[key]);
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(schema, raw);
  const converted = Value.Convert(schema, withDefaults);
  if (Value.Check(schema, converted)) return converted;

  // One problem per variable, each checked on its own: TypeBox stops collecting errors after a few
  // (a bad enum alone produces one per literal), and every wrong variable must be named at boot.
  const values: Record<string, unknown> =
    typeof converted === 'object' && converted !== null ? { ...converted } : {};
  const required = new Set<unknown>(Array.isArray(schema.required) ? schema.required : []);
  const problems: string[] = [];
  for (const [key, property] of Object.entries(properties)) {
    const value = values[key];
    const description =
      'description' in property && typeof property.description === 'string'
        ? ` — ${property.description}`
        : '';
    if (value === undefined) {
      if (required.has(key)) problems.push(`${key}: is required but not set${description}`);
      continue;
    }
    const [first] = Value.Errors(property, value);
    if (!first) continue;
    const shown =
      raw[key] !== undefined && !/SECRET|TOKEN|PASSWORD|KEY/.test(key) ? ` (got "${String(raw[key])}")` : '';
    problems.push(`${key}: ${describeProblem(property, first.message)}${shown}${description}`);
  }
  throw new ConfigError(problems.length > 0 ? problems : ['the configuration does not match its schema']);
}

/** "must be one of a, b" for an enum of literals, TypeBox's own sentence otherwise. */
function describeProblem(property: TSchema, message: string): string {
  const options: unknown = 'anyOf' in property ? property.anyOf : undefined;
  if (Array.isArray(options)) {
    const literals = options.map((o: unknown) =>
      typeof o === 'object' && o !== null && 'const' in o ? o.const : undefined,
    );
    if (literals.every((l) => l !== undefined)) return `must be one of ${literals.map(String).join(', ')}`;
  }
  return message;
}
