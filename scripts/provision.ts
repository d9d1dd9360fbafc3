// Creates or updates the JetStream streams and durable consumers declared in the contracts package.
import {
  BaseConfig,
  ConfigError,
  connectNats,
  createLogger,
  loadConfig,
  provisionJetStream,
} from '@trades/runtime';

let config;
try {
  config = loadConfig({
    NATS_URL: BaseConfig.NATS_URL,
    LOG_LEVEL: BaseConfig.LOG_LEVEL,
    NATS_STREAM_REPLICAS: BaseConfig.NATS_STREAM_REPLICAS,
  });
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
const log = createLogger('provision', config.LOG_LEVEL);
const nc = await connectNats(config.NATS_URL, 'provision', log);
try {
  await provisionJetStream(nc, { replicas: config.NATS_STREAM_REPLICAS, log });
} catch (error) {
  log.error({ err: error }, 'JetStream provisioning failed');
  process.exitCode = 1;
} finally {
  await nc.drain();
}
