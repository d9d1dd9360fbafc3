export { createRegistryService, registryService, type RegistryOptions } from './app.ts';
export { DEMO_LOCKSMITHS, seedDemoLocksmiths } from './demo-data.ts';
export { reconcileWithDispatch, type FlagRepair, type ReconcileOptions } from './handlers/reconciliation.ts';
export { claimWhenDue } from './store/scheduled-tasks.ts';
