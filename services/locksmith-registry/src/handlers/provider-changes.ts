import { registry } from '@trades/contracts';
import type { EntityManager, ServiceContext } from '@trades/runtime';

interface ProviderState {
  id: string;
  phone: string;
  available: boolean;
  status: registry.Provider['status'];
}

/**
 * What an operator's edit of a provider (locksmith or plumber) tells the others besides `provider.updated`:
 * availability changed (messaging confirms it by SMS), deactivated (dispatch stops offering them work).
 */
export async function announceOperatorChanges(
  ctx: ServiceContext<unknown>,
  em: EntityManager,
  before: ProviderState,
  after: ProviderState,
  actor: string,
): Promise<void> {
  if (before.available !== after.available) {
    await ctx.publish(em, registry.ProviderAvailabilityChanged, {
      providerId: after.id,
      phone: after.phone,
      available: after.available,
      cause: 'admin',
    });
  }
  if (before.status !== 'deactivated' && after.status === 'deactivated') {
    await ctx.publish(em, registry.ProviderDeactivated, {
      providerId: after.id,
      phone: after.phone,
      cause: `admin:${actor}`,
    });
  }
}
