// The part of the runtime that needs no database: configuration, logs, the correlation context and
// NATS request/reply. The gateway imports `@trades/runtime/client`, not the package root, so it never
// loads MikroORM and the pg driver (about 50 MB of RSS it has no use for).
export * from './config.ts';
export * from './context.ts';
export * from './logger.ts';
export * from './nats.ts';
export * from './endpoints.ts';
export * from './node-flags.ts';
export * from './local-postgres.ts';
