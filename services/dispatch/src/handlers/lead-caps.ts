import { leads } from '@trades/contracts';
import type { EntityManager } from '@trades/runtime';
import type { DispatchContext } from '../config.ts';
import {
  capExceeded,
  capLimit,
  capResetsAt,
  capsReached,
  capUsed,
  capWindows,
  capWindowStart,
  type CapKind,
  type Caps,
  type CapUsage,
  type CapWindows,
} from '../domain/lead-caps.ts';
import { LEAD_CLOSE_REASON } from '../domain/lead-sale.ts';
import { capUsage, capUsageOf, recordCapNotice, storedCaps } from '../store/lead-caps.ts';
import { iso, type LeadRow } from '../store/rows.ts';
import { closeOffers } from './lifecycle.ts';

export interface CapCheck {
  /** The cap this sale would take them over, or null when it fits. */
  exceeded: CapKind | null;
  usage: CapUsage;
  windows: CapWindows;
}

/**
 * Whether selling a lead at `priceCents` to the plumber keeps to their caps, counted now in their time
 * zone. Decides only when the caller holds the plumber's lock (`lockProvider`): every sale of theirs is
 * decided under it, so nobody else's sale can commit between this count and the caller's update.
 */
export async function checkSaleCaps(
  em: EntityManager,
  plumberId: string,
  caps: Caps,
  priceCents: number,
): Promise<CapCheck> {
  const windows = capWindows(new Date(), caps.timeZone);
  const usage = await capUsage(em, { plumberId, windows });
  return { exceeded: capExceeded(caps, usage, priceCents), usage, windows };
}

/**
 * The candidates of a wave a lead at `priceCents` may be offered to: not at a cap, nor taken over one by
 * this lead. (A YES is checked again under the plumber's lock: a sale meanwhile refuses it.)
 */
export async function withinCaps<C extends { providerId: string } & Caps>(
  em: EntityManager,
  candidates: readonly C[],
  priceCents: number,
): Promise<C[]> {
  const capped = candidates.filter(
    (c) => c.dailyCap > 0 || c.weeklyCap > 0 || c.monthlyCap > 0 || c.monthlySpendCapCents > 0,
  );
  const now = new Date();
  const usage = await capUsageOf(
    em,
    capped.map((c) => ({ plumberId: c.providerId, windows: capWindows(now, c.timeZone) })),
  );
  return candidates.filter((c) => {
    const used = usage.get(c.providerId);
    return used === undefined || capExceeded(c, used, priceCents) === null;
  });
}

/**
 * After a sale (the lead just ASSIGNED): the caps it took the buyer to. The first time in a cap's window
 * they reach it, `lead.cap_reached` (messaging texts them; one notice per window, whatever the
 * redeliveries), and whatever lead offer they still hold closes (`cap reached`): they are offered nothing
 * until it resets.
 */
export async function afterSaleCaps(ctx: DispatchContext, em: EntityManager, sold: LeadRow): Promise<void> {
  const caps = storedCaps(sold.buyer_caps);
  if (!caps || sold.buyer_id === null) return;
  const windows = capWindows(new Date(), caps.timeZone);
  const usage = await capUsage(em, { plumberId: sold.buyer_id, windows });
  const reached = capsReached(caps, usage);
  if (reached.length === 0) return;
  const fresh: CapKind[] = [];
  for (const cap of reached) {
    const first = await recordCapNotice(em, {
      plumberId: sold.buyer_id,
      cap,
      windowStart: capWindowStart(cap, windows),
      limit: capLimit(caps, cap),
      used: capUsed(usage, cap),
    });
    if (first) fresh.push(cap);
  }
  // One text per sale: the cap that keeps them out longest is the one worth telling.
  const told = fresh.sort((a, b) => capResetsAt(b, windows).getTime() - capResetsAt(a, windows).getTime())[0];
  if (told) {
    await ctx.publish(em, leads.PlumberCapReached, {
      providerId: sold.buyer_id,
      providerName: sold.buyer_name ?? '',
      providerPhone: sold.buyer_phone ?? '',
      providerEmail: sold.buyer_email ?? '',
      cap: told,
      limit: capLimit(caps, told),
      used: capUsed(usage, told),
      resetsAt: iso(capResetsAt(told, windows)),
      timeZone: caps.timeZone,
    });
  }
  const held = await em.execute<{ id: string; lead_id: string; code: string }[]>(
    `select o.id, o.lead_id, l.code from dispatch.offer o join dispatch.lead l on l.id = o.lead_id
     where o.provider_id = ? and o.status = 'PENDING' and o.lead_id <> ?`,
    [sold.buyer_id, sold.id],
  );
  for (const offer of held) {
    const closed = await closeOffers(
      ctx,
      em,
      { code: offer.code },
      { sql: 'id = ?', params: [offer.id] },
      'CANCELED',
      LEAD_CLOSE_REASON.capReached,
      false,
    );
    // That lead's wave moves on at its next look. Its row is only tried, never waited for: a second
    // lead row waited for under this one could deadlock; whoever holds it looks at its offers anyway.
    if (closed.length > 0) {
      await em.execute(
        `update dispatch.lead set next_action_at = now() where id in
           (select id from dispatch.lead where id = ? and state = 'OFFERED' for update skip locked)`,
        [offer.lead_id],
      );
    }
  }
}
