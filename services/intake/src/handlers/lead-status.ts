import { CONSUMERS, credits, leads, type EventData, type intake, type partners } from '@trades/contracts';
import { on, type ConsumerBinding, type EntityManager, type EventContext } from '@trades/runtime';
import { enqueueDelivery } from '../store/webhooks.ts';

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

/** The sale states that are an outcome a partner's webhook is told of. */
const WEBHOOK_OUTCOME: Partial<Record<leads.LeadSaleState, partners.WebhookOutcome>> = {
  ASSIGNED: 'sold',
  UNSOLD: 'unsold',
};

/**
 * When each fact first happened, whatever order the events arrive in: the first offer, the sale, the
 * completion. Kept apart from the newest-event-wins status so a late event still records its fact.
 */
const FACT_COLUMN: Partial<Record<leads.LeadSaleState, 'offered_at' | 'sold_at' | 'completed_at'>> = {
  OFFERED: 'offered_at',
  ASSIGNED: 'sold_at',
  COMPLETED: 'completed_at',
};

interface ProjectedLead {
  status: intake.LeadStatus;
  partner_id: string | null;
  external_id: string | null;
  price_cents: number;
  credited_cents: number;
}

/** Queues the webhook of a partner's lead outcome, with the lead as it now stands. */
async function notifyPartner(
  em: EntityManager,
  leadId: string,
  outcome: partners.WebhookOutcome,
  outcomeKey: string,
): Promise<void> {
  const [lead] = await em.execute<ProjectedLead[]>(
    'select status, partner_id, external_id, price_cents, credited_cents from intake.lead where id = ?',
    [leadId],
  );
  if (!lead?.partner_id || lead.status === 'rejected') return;
  await enqueueDelivery(em, {
    partnerId: lead.partner_id,
    outcome,
    outcomeKey,
    lead: {
      leadId,
      externalId: lead.external_id,
      status: lead.status,
      priceCents: lead.price_cents,
      creditedCents: lead.credited_cents,
    },
  });
}

/**
 * Dispatch's lead sale projected onto the lead: its public status and buyer, the newest event winning
 * (an older one delivered late changes nothing), a timeline entry when the public status changes, when
 * it was first offered, sold and completed, and the partner's webhook for a sale or no sale (once per
 * outcome, however often the event comes).
 */
async function projectSale(data: leads.LeadSaleData, { em }: EventContext): Promise<void> {
  const status = PUBLIC_STATUS[data.state];
  const [before] = await em.execute<{ status: string }[]>(
    'select status from intake.lead where id = ? for update',
    [data.leadId],
  );
  if (!before || before.status === 'rejected') return;
  const fact = FACT_COLUMN[data.state];
  if (fact)
    await em.execute(
      `update intake.lead set ${fact} = ?::timestamptz where id = ? and (${fact} is null or ${fact} > ?::timestamptz)`,
      [data.at, data.leadId, data.at],
    );
  const moved = await em.execute<{ id: string }[]>(
    `update intake.lead set status = ?, plumber_id = ?, sale_state_at = ?::timestamptz, updated_at = now()
     where id = ? and (sale_state_at is null or sale_state_at < ?::timestamptz) returning id`,
    [status, data.buyer?.id ?? null, data.at, data.leadId, data.at],
  );
  const outcome = WEBHOOK_OUTCOME[data.state];
  if (outcome) await notifyPartner(em, data.leadId, outcome, `lead:${data.leadId}:${outcome}`);
  if (moved.length === 0 || before.status === status) return;
  await em.execute(
    'insert into intake.lead_status_change (lead_id, status, at, cause, actor) values (?, ?, ?::timestamptz, ?, ?)',
    [data.leadId, status, data.at, data.cause, data.actor],
  );
}

/**
 * A credit refunded to the buyer: the lead's credited total (never lowered by a late event) and the
 * partner's `lead.credited` webhook, once per credit.
 */
async function countCredit(
  data: EventData<typeof credits.CreditRefunded>,
  { em }: EventContext,
): Promise<void> {
  const leadId = data.credit.leadId;
  const updated = await em.execute<{ id: string }[]>(
    `update intake.lead set credited_cents = greatest(credited_cents, ?), updated_at = now()
      where id = ? and status <> 'rejected' returning id`,
    [data.leadCreditedCents, leadId],
  );
  if (updated.length === 0) return;
  await notifyPartner(em, leadId, 'credited', `credit:${data.credit.id}`);
}

export function leadStatusConsumer(): ConsumerBinding {
  return {
    definition: CONSUMERS.intakeLeads,
    handlers: [
      ...Object.values(leads.LEAD_EVENT_BY_STATE).map((contract) => on(contract, projectSale)),
      on(credits.CreditRefunded, countCredit),
    ],
  };
}
