export { createRegistryService, registryService, type RegistryOptions } from './app.ts';
export { DEMO_LOCKSMITHS, seedDemoLocksmiths } from './demo-data.ts';
