export { buildServer } from './server.ts';
export { loadGatewayConfig, type GatewayConfig } from './config.ts';
