import type { EndpointContract, EventContract } from './define.ts';
import * as dispatch from './dispatch.ts';
import * as intake from './intake.ts';
import * as leads from './leads.ts';
import * as messaging from './messaging.ts';
import * as payments from './payments.ts';
import * as registry from './registry.ts';
import * as credits from './lead-credits.ts';
import * as partners from './partners.ts';
import * as pricing from './lead-pricing.ts';

const modules = [intake, payments, dispatch, leads, messaging, registry, credits, partners, pricing];

function collect<T extends EventContract | EndpointContract>(kind: T['kind']): T[] {
  const seen = new Map<string, T>();
  for (const mod of modules) {
    for (const value of Object.values(mod)) {
      if (typeof value === 'object' && value !== null && 'kind' in value && value.kind === kind) {
        const contract = value as T;
        seen.set(contract.subject, contract);
      }
    }
  }
  return [...seen.values()].sort((a, b) => a.subject.localeCompare(b.subject));
}

/** Every event subject the system publishes, from the contract modules. */
export const ALL_EVENTS: EventContract[] = collect<EventContract>('event');
/** Every request/reply endpoint the services answer. */
export const ALL_ENDPOINTS: EndpointContract[] = collect<EndpointContract>('endpoint');
