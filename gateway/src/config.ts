import { BaseConfig, loadConfig } from '@trades/runtime/client';
import Type, { type Static } from 'typebox';

export const GatewayConfigSchema = {
  APP_ENV: BaseConfig.APP_ENV,
  LOG_LEVEL: BaseConfig.LOG_LEVEL,
  NATS_URL: BaseConfig.NATS_URL,
  BASE_URL: BaseConfig.BASE_URL,
  FRONTEND_URL: BaseConfig.FRONTEND_URL,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8000 }),
  HOST: Type.String({ default: '0.0.0.0' }),
  ADMIN_URL: Type.String({ default: 'http://localhost:3001', description: 'Public URL of the admin UI' }),
  /** Comma-separated extra origins allowed by CORS (the two UIs' URLs are always allowed). */
  CORS_ORIGINS: Type.String({ default: '' }),
  PUBLIC_RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, default: 120 }),
  TWILIO_WEBHOOK_RATE_LIMIT_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 60_000,
    description:
      'Twilio webhooks per minute from one address (Twilio posts from a few; every SMS brings up to three status callbacks, and Twilio retries none)',
  }),
  NATS_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  // The customer's live status stream (routes/booking): open streams are counted across replicas.
  STATUS_STREAMS_PER_TOKEN: Type.Integer({
    minimum: 1,
    maximum: 1_000,
    default: 5,
    description: 'Open live-status streams one tracking link may have at once, across replicas',
  }),
  STATUS_STREAMS_PER_CLIENT: Type.Integer({
    minimum: 1,
    maximum: 1_000,
    default: 20,
    description: 'Open live-status streams one client address may have at once, across replicas',
  }),
  STATUS_STREAM_MAX_LIFETIME_MS: Type.Integer({
    minimum: 1_000,
    maximum: 60 * 60 * 1000,
    default: 15 * 60 * 1000,
    description:
      'After this long (less up to a tenth, at random) the server ends a stream; the page reconnects',
  }),
  SHUTDOWN_TIMEOUT_MS: BaseConfig.SHUTDOWN_TIMEOUT_MS,
  // Operator access (plugins/admin-auth.ts): Cloudflare Access when both CF_ACCESS_* are set, else the
  // local login. Empty means unset; the plugin refuses to start when the chosen mode lacks what it needs.
  ADMIN_EMAIL: Type.String({ default: '', description: 'Local operator login: the operator email' }),
  ADMIN_PASSWORD: Type.String({ default: '', description: 'Local operator login: the password' }),
  ADMIN_SESSION_SECRET: Type.String({
    default: '',
    description: 'HMAC key for local operator session cookies (32+ chars)',
  }),
  TWILIO_AUTH_TOKEN: Type.String({
    default: '',
    description:
      'Twilio auth token: lets the gateway check and park an inbound SMS for messaging when messaging does not answer (empty: 503)',
  }),
  CF_ACCESS_TEAM_DOMAIN: Type.String({
    default: '',
    description: 'Cloudflare Access team domain, e.g. acme.cloudflareaccess.com',
  }),
  CF_ACCESS_AUD: Type.String({
    default: '',
    description: 'Cloudflare Access application audience (AUD) tag',
  }),
};

export type GatewayConfig = Static<ReturnType<typeof Type.Object<typeof GatewayConfigSchema>>>;

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  return loadConfig(GatewayConfigSchema, env);
}
