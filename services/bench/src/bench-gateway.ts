// The real gateway (`buildServer` from @trades/gateway, every plugin and route) with two bench routes:
// /bench/local answered by the gateway itself, /bench/nats answered by the bench echo service over NATS
// through the runtime's `call()`. The difference between the two is the cost of the hop.
import { buildServer, loadGatewayConfig } from '@trades/gateway';
import { call, connectNats, createLogger, enterContext } from '@trades/runtime/client';
import Type from 'typebox';
import { BenchEcho, READY_LINE } from './contracts.ts';

const config = loadGatewayConfig();
const nc = await connectNats(
  config.NATS_URL,
  'bench-gateway',
  createLogger('bench-gateway', config.LOG_LEVEL),
);
const server = buildServer(config, { natsConnection: nc });

const Echo = { response: { 200: Type.Object({ echo: Type.String() }) } };
await server.register(async (bench) => {
  // The gateway's routes get this in app.ts; the bench routes sit beside the app plugin, so they do it here.
  bench.addHook('onRequest', async (request) => enterContext(request.id));
  bench.get('/bench/local', { schema: Echo }, async () => ({ echo: 'local' }));
  bench.get('/bench/nats', { schema: Echo }, async () => call(nc, BenchEcho, { word: 'nats' }));
});

await server.listen({ port: config.PORT, host: '127.0.0.1' });
console.log(READY_LINE);

const stop = async (): Promise<void> => {
  await server.close();
  await nc.drain();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
