import { ConfigError, configFromEnv } from './config.ts';
import { startStripeEmulator } from './emulator.ts';

// Starts the emulator as a process: `node services/stripe-emulator/src/main.ts`.
let options;
try {
  options = configFromEnv(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

// Fastify logs where it listens; the app logs where it sends webhooks.
const emulator = await startStripeEmulator(options);

let closing = false;
const shutdown = () => {
  if (closing) process.exit(1);
  closing = true;
  const forced = setTimeout(() => process.exit(1), 10_000);
  forced.unref();
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
