import { BaseConfig, loadConfig } from '@trades/runtime';
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
  NATS_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  SHUTDOWN_TIMEOUT_MS: BaseConfig.SHUTDOWN_TIMEOUT_MS,
};

export type GatewayConfig = Static<ReturnType<typeof Type.Object<typeof GatewayConfigSchema>>>;

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  return loadConfig(GatewayConfigSchema, env);
}
