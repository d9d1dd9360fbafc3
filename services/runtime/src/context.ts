import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface RequestContext {
  correlationId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with a correlation id that every log line and outgoing NATS message inside it carries. */
export function withContext<T>(correlationId: string | undefined, fn: () => T): T {
  return storage.run({ correlationId: correlationId || randomUUID() }, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

export const correlationId = (): string | undefined => storage.getStore()?.correlationId;

/** Binds a correlation id to the rest of the current async chain (for frameworks with hooks, not callbacks). */
export function enterContext(correlationId: string): void {
  storage.enterWith({ correlationId });
}
