// Bench echo process: the runtime's request/reply endpoint (`serveEndpoints`, contract-validated both
// ways, services framework, queue group) and a raw NATS responder, as a service of its own.
import {
  BaseConfig,
  connectNats,
  createLogger,
  createMetrics,
  endpoint,
  loadConfig,
  serveEndpoints,
} from '@trades/runtime';
import { BenchEcho, RAW_ECHO_SUBJECT, READY_LINE } from './contracts.ts';

const config = loadConfig({ NATS_URL: BaseConfig.NATS_URL, LOG_LEVEL: BaseConfig.LOG_LEVEL });
const log = createLogger('bench-echo', config.LOG_LEVEL);
const nc = await connectNats(config.NATS_URL, 'bench-echo', log);

nc.subscribe(RAW_ECHO_SUBJECT, {
  queue: 'bench-echo',
  callback: (error, msg) => {
    if (!error) msg.respond(msg.data);
  },
});

const inFlight = new Set<Promise<unknown>>();
const service = await serveEndpoints(nc, {
  service: 'intake',
  version: '0.0.1',
  description: 'bench echo',
  bindings: [endpoint(BenchEcho, async ({ word }) => ({ echo: word }))],
  log,
  metrics: createMetrics('bench-echo'),
  track: (work) => {
    inFlight.add(work);
    return work.finally(() => inFlight.delete(work));
  },
});
await nc.flush();
console.log(READY_LINE);

const stop = async (): Promise<void> => {
  await service.stop();
  await Promise.allSettled(inFlight);
  await nc.drain();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
