import { CONSUMERS, leads } from '@trades/contracts';
import { on, type ConsumerBinding, type EventContext } from '@trades/runtime';

type PublicStatus = 'new' | 'offered' | 'assigned' | 'completed' | 'unsold' | 'credited';

/** The status partners and operators see, from dispatch's sale state. */
export const PUBLIC_STATUS: Record<leads.LeadSaleState, PublicStatus> = {
  NEW: 'new',
  DISPATCHING: 'offered',
  OFFERED: 'offered',
  CHARGING: 'offered',
  ASSIGNED: 'assigned',
  COMPLETED: 'completed',
  UNSOLD: 'unsold',
  CREDITED: 'credited',
};

/**
 * Dispatch's lead sale projected onto the lead: its public status and buyer, the newest event winning
 * (an older one delivered late changes nothing), and a timeline entry when the public status changes.
 */
async function projectSale(data: leads.LeadSaleData, { em }: EventContext): Promise<void> {
  const status = PUBLIC_STATUS[data.state];
  const [before] = await em.execute<{ status: string }[]>(
    'select status from intake.lead where id = ? for update',
    [data.leadId],
  );
  if (!before || before.status === 'rejected') return;
  const moved = await em.execute<{ id: string }[]>(
    `update intake.lead set status = ?, plumber_id = ?, sale_state_at = ?::timestamptz, updated_at = now()
     where id = ? and (sale_state_at is null or sale_state_at < ?::timestamptz) returning id`,
    [status, data.buyer?.id ?? null, data.at, data.leadId, data.at],
  );
  if (moved.length === 0 || before.status === status) return;
  await em.execute(
    'insert into intake.lead_status_change (lead_id, status, at, cause, actor) values (?, ?, ?::timestamptz, ?, ?)',
    [data.leadId, status, data.at, data.cause, data.actor],
  );
}

export function leadStatusConsumer(): ConsumerBinding {
  return {
    definition: CONSUMERS.intakeLeads,
    handlers: Object.values(leads.LEAD_EVENT_BY_STATE).map((contract) => on(contract, projectSale)),
  };
}
