export { createRegistryService, registryService, type RegistryOptions } from './app.ts';
export { DEMO_LOCKSMITHS, seedDemoLocksmiths } from './demo-data.ts';
export { DEMO_PLUMBERS, seedDemoPlumbers, type DemoPlumber } from './demo-plumbers.ts';
export { reconcileWithDispatch, type FlagRepair, type ReconcileOptions } from './handlers/reconciliation.ts';
export { claimWhenDue } from './store/scheduled-tasks.ts';
