import { randomUUID } from 'node:crypto';
import type { AppError, messaging } from '@trades/contracts';
import { CONSUMERS, conflict, credits, notFound, type EventData, type RequestOf } from '@trades/contracts';
import {
  endpoint,
  on,
  type ConsumerBinding,
  type EndpointBinding,
  type EntityManager,
} from '@trades/runtime';
import type { DispatchContext } from '../config.ts';
import {
  creditableCents,
  creditDeadline,
  creditRequestProblem,
  decideRequest,
  isFlagged,
  reasonFromWords,
  REASON_OF_FACT,
  returnRate,
  SOLD_STATES,
  type RequestProblem,
  type SaleFacts,
} from '../domain/lead-credit.ts';
import { dollars } from '../domain/lead-sale.ts';
import {
  creditNotFound,
  creditsOf,
  earlierDuplicate,
  findCredit,
  getCredit,
  insertCredit,
  listCredits,
  openCreditOf,
  returnCounts,
  toBuyerCredit,
  toLeadCredit,
  updateCredit,
  wasOffered,
  type CreditRow,
} from '../store/credits.ts';
import { findLead, insertLeadTimeline, lockLead } from '../store/leads.ts';
import { iso, type LeadRow } from '../store/rows.ts';
import { creditMessage, linkSignatureValid, tryLeadTransition } from './leads.ts';
import { SYSTEM_ACTOR } from './lifecycle.ts';

type CreditReason = credits.CreditReason;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const LINK_NOT_FOUND = () =>
  notFound(
    'CREDIT_LINK_NOT_FOUND',
    'This link does not open a credit request. Open the whole link from your sale email, or text CREDIT, the lead code and the reason instead.',
  );

/** The sold lead a credit link was signed for (with its buyer); 404 for anything dispatch did not sign. */
async function leadOfCreditToken(ctx: DispatchContext, em: EntityManager, token: string, lock: boolean) {
  const [leadId, mac] = token.split('.');
  if (leadId === undefined || mac === undefined || !UUID.test(leadId)) throw LINK_NOT_FOUND();
  const found = await findLead(em, leadId);
  const lead = found && lock ? await lockLead(em, found.id) : found;
  if (!lead || lead.buyer_id === null) throw LINK_NOT_FOUND();
  if (!linkSignatureValid(ctx, creditMessage(lead.id, lead.buyer_id), mac)) throw LINK_NOT_FOUND();
  return { lead, buyerId: lead.buyer_id };
}

/**
 * What the automatic checks know about a sale. A buyer who was offered the lead (their YES, or next in
 * line after a failed card) was a candidate, so covered its ZIP and bought its service; an operator's
 * sale to anyone else recorded the facts (`assignLead`).
 */
async function saleFacts(em: EntityManager, lead: LeadRow): Promise<SaleFacts> {
  const offered = lead.buyer_id !== null && (await wasOffered(em, lead.id, lead.buyer_id));
  return {
    homeownerUnreachable: lead.homeowner_unreachable_at !== null,
    homeownerUnreachableCode: lead.homeowner_unreachable_code,
    homeownerDenied: lead.homeowner_denied_at !== null,
    buyerCoveredZip: offered ? true : lead.buyer_covered_zip,
    buyerBoughtService: offered ? true : lead.buyer_buys_service,
    zipCode: lead.zip,
    serviceName: lead.service_name,
    duplicateOf: await earlierDuplicate(em, lead),
  };
}

/** The buyer's return rate before this request, and whether it puts them under review. */
async function rateOf(ctx: DispatchContext, em: EntityManager, plumberId: string) {
  const counts = await returnCounts(em, plumberId);
  const rate = returnRate(counts.bought, counts.credited);
  return { rate, flagged: isFlagged(rate, ctx.config.DISPATCH_CREDIT_REVIEW_RATE) };
}

/** Whether a request can be taken for this lead now (its row locked by the caller). */
async function problemOf(
  em: EntityManager,
  lead: LeadRow,
  byBuyer: boolean,
): Promise<RequestProblem | undefined> {
  const pending = await openCreditOf(em, lead.id);
  return creditRequestProblem(
    {
      code: lead.code,
      state: lead.state,
      // A lead sold before sold_at was recorded counts from its last change.
      soldAt: lead.buyer_id === null ? null : new Date(lead.sold_at ?? lead.updated_at),
      priceCents: lead.price_cents,
      creditedCents: lead.credited_cents,
      pending: pending !== undefined,
    },
    new Date(),
    byBuyer,
  );
}

/** A credit's request (and, when approved at once, its approval) to the timeline and the outbox. */
async function announceRequest(
  ctx: DispatchContext,
  em: EntityManager,
  lead: LeadRow,
  row: CreditRow,
): Promise<void> {
  const credit = toLeadCredit(row);
  const outcome =
    row.status === 'approved'
      ? row.automatic
        ? `approved automatically: ${row.evidence ?? ''}`
        : `approved by ${row.decided_by ?? 'an operator'}`
      : `waiting for an operator${row.flagged ? ' (return rate above the review rate)' : ''}`;
  await insertLeadTimeline(
    em,
    lead.id,
    lead.state,
    lead.state,
    `credit of ${dollars(row.amount_cents)} asked for (${row.reason}, ${row.channel}); ${outcome}`,
    row.requested_by,
  );
  await ctx.publish(em, credits.CreditRequested, { credit });
  if (row.status === 'approved') await ctx.publish(em, credits.CreditApproved, { credit });
}

export interface BuyerCreditRequest {
  plumberId: string;
  reason: CreditReason;
  note: string | null;
  channel: 'sms' | 'email';
}

/**
 * The buyer asks for a credit of what is left of the price (by SMS or the link): refused with a
 * problem, or recorded and, when an automatic check holds and they are not flagged, approved at once.
 * The lead row must be locked by the caller.
 */
export async function buyerCredit(
  ctx: DispatchContext,
  em: EntityManager,
  lead: LeadRow,
  request: BuyerCreditRequest,
): Promise<{ row: CreditRow } | { problem: RequestProblem }> {
  if (lead.buyer_id !== request.plumberId) {
    return {
      problem: {
        code: 'NO_SUCH_LEAD',
        message: `Lead ${lead.code} was not sold to you, so there is nothing to credit.`,
      },
    };
  }
  const problem = await problemOf(em, lead, true);
  if (problem) return { problem };
  const { rate, flagged } = await rateOf(ctx, em, request.plumberId);
  const decision = decideRequest(request.reason, await saleFacts(em, lead), flagged);
  const row = await insertCredit(em, {
    id: randomUUID(),
    leadId: lead.id,
    plumberId: request.plumberId,
    reason: request.reason,
    note: request.note,
    channel: request.channel,
    status: decision.status,
    amountCents: creditableCents(lead.price_cents, lead.credited_cents),
    automatic: decision.automatic,
    evidence: decision.evidence,
    returnRate: rate,
    flagged,
    requestedBy: request.plumberId,
    decidedBy: decision.status === 'approved' ? SYSTEM_ACTOR : null,
  });
  await announceRequest(ctx, em, lead, row);
  return { row };
}

const refusal = (problem: RequestProblem): AppError =>
  problem.code === 'NO_SUCH_LEAD'
    ? notFound(problem.code, problem.message)
    : conflict(problem.code, problem.message);

/** An operator credits a sold lead now: approved at once, refunded on the sale's charge. */
export async function operatorCredit(
  ctx: DispatchContext,
  request: RequestOf<typeof credits.LeadCreditCreate>,
): Promise<credits.LeadCredit> {
  return ctx.transaction(async (em) => {
    const lead = await lockLead(em, request.leadId);
    const problem = await problemOf(em, lead, false);
    if (problem) throw refusal(problem);
    const left = creditableCents(lead.price_cents, lead.credited_cents);
    if (request.amountCents > left) {
      throw conflict(
        'CREDIT_TOO_LARGE',
        `Only ${dollars(left)} of lead ${lead.code}'s ${dollars(lead.price_cents)} is left to credit; credit that much or less.`,
        { leftCents: left },
      );
    }
    const buyerId = lead.buyer_id ?? '';
    const { rate } = await rateOf(ctx, em, buyerId);
    const row = await insertCredit(em, {
      id: randomUUID(),
      leadId: lead.id,
      plumberId: buyerId,
      reason: request.reason,
      note: request.note ?? null,
      channel: 'console',
      status: 'approved',
      amountCents: request.amountCents,
      automatic: false,
      evidence: null,
      returnRate: rate,
      flagged: false,
      requestedBy: request.actor,
      decidedBy: request.actor,
    });
    await announceRequest(ctx, em, lead, row);
    return toLeadCredit(row);
  });
}

/** An operator approves (optionally for less) or denies a credit waiting for review. */
export async function decideCredit(
  ctx: DispatchContext,
  request: RequestOf<typeof credits.CreditDecide>,
): Promise<credits.LeadCredit> {
  return ctx.transaction(async (em) => {
    const found = await findCredit(em, request.id);
    if (!found) throw creditNotFound(request.id);
    // Lead row first, then the credit: the order every credit writer takes them.
    const lead = await lockLead(em, found.lead_id);
    const credit = await findCredit(em, request.id, true);
    if (!credit) throw creditNotFound(request.id);
    if (credit.status !== 'review') {
      throw conflict(
        'CREDIT_ALREADY_DECIDED',
        `This credit was already ${credit.status}${credit.decided_by ? ` by ${credit.decided_by}` : ''}; reload it.`,
        { status: credit.status },
      );
    }
    const note = request.note ?? null;
    if (request.decision === 'deny') {
      return recordDecision(
        ctx,
        em,
        lead,
        credit.id,
        { status: 'denied', decided_by: request.actor, decision_note: note },
        `credit of ${dollars(credit.amount_cents)} denied${note ? `: ${note}` : ''}`,
      );
    }
    const left = creditableCents(lead.price_cents, lead.credited_cents);
    const amount = request.amountCents ?? Math.min(credit.amount_cents, left);
    if (amount > left || amount <= 0) {
      throw conflict(
        left === 0 ? 'ALREADY_CREDITED' : 'CREDIT_TOO_LARGE',
        left === 0
          ? `Lead ${lead.code} was already credited in full; deny this request instead.`
          : `Only ${dollars(left)} of lead ${lead.code} is left to credit; approve that much or less.`,
        { leftCents: left },
      );
    }
    return recordDecision(
      ctx,
      em,
      lead,
      credit.id,
      { status: 'approved', amount_cents: amount, decided_by: request.actor, decision_note: note },
      `credit of ${dollars(amount)} approved${note ? `: ${note}` : ''}`,
    );
  });
}

/**
 * A decision on a credit: the row changed and stamped, a line on the lead's timeline by whoever decided,
 * and the event that acts on it (approved: payments refunds; denied: messaging tells the plumber).
 */
async function recordDecision(
  ctx: DispatchContext,
  em: EntityManager,
  lead: LeadRow,
  creditId: string,
  changes: Parameters<typeof updateCredit>[2] & { status: 'approved' | 'denied'; decided_by: string },
  cause: string,
): Promise<credits.LeadCredit> {
  const decided = toLeadCredit(await updateCredit(em, creditId, changes, 'decided_at'));
  await insertLeadTimeline(em, lead.id, lead.state, lead.state, cause, changes.decided_by);
  const event = changes.status === 'approved' ? credits.CreditApproved : credits.CreditDenied;
  await ctx.publish(em, event, { credit: decided });
  return decided;
}

/**
 * A request waiting for review is approved when a fact arriving later proves the lead bad (unless the
 * buyer is flagged), whatever reason the buyer gave: a homeowner who says they never asked, or whose
 * number is dead, makes the lead worthless whether the plumber wrote "wrong number", "could not reach"
 * or anything else.
 */
async function approveWaiting(
  ctx: DispatchContext,
  em: EntityManager,
  lead: LeadRow,
  reason: CreditReason,
): Promise<boolean> {
  const open = await openCreditOf(em, lead.id);
  if (!open || open.status !== 'review' || open.flagged) return Boolean(open);
  const facts = await saleFacts(em, lead);
  const decision = decideRequest(reason, facts, false);
  if (decision.status !== 'approved') return true;
  await recordDecision(
    ctx,
    em,
    lead,
    open.id,
    { status: 'approved', automatic: true, evidence: decision.evidence, decided_by: SYSTEM_ACTOR },
    `credit of ${dollars(open.amount_cents)} approved automatically: ${decision.evidence ?? ''}`,
  );
  return true;
}

/** The confirmation SMS to the homeowner bounced: their number is dead (the wrong_number check). */
export async function onHomeownerUnreachable(
  ctx: DispatchContext,
  em: EntityManager,
  fact: EventData<typeof credits.HomeownerUnreachable>,
): Promise<void> {
  if (!(await findLead(em, fact.leadId))) return;
  const lead = await lockLead(em, fact.leadId);
  if (lead.homeowner_unreachable_at !== null) return;
  const [marked] = await em.execute<LeadRow[]>(
    `update dispatch.lead set homeowner_unreachable_at = ?, homeowner_unreachable_code = ? where id = ? returning *`,
    [fact.at, fact.errorCode, lead.id],
  );
  if (!marked) return;
  await insertLeadTimeline(
    em,
    lead.id,
    lead.state,
    lead.state,
    `the confirmation SMS to the homeowner came back ${fact.status} (${fact.errorCode})`,
    'messaging',
  );
  await approveWaiting(ctx, em, marked, REASON_OF_FACT.unreachable);
}

/**
 * The homeowner replied NO (they never asked): a waiting not_real request is approved; with no request,
 * dispatch asks for the credit itself on the buyer's behalf (full price left), approved unless the buyer
 * is flagged.
 */
export async function onHomeownerReplied(
  ctx: DispatchContext,
  em: EntityManager,
  fact: EventData<typeof credits.HomeownerReplied>,
): Promise<void> {
  if (!(await findLead(em, fact.leadId))) return;
  const lead = await lockLead(em, fact.leadId);
  if (lead.homeowner_denied_at !== null) return;
  const [marked] = await em.execute<LeadRow[]>(
    `update dispatch.lead set homeowner_denied_at = ? where id = ? returning *`,
    [fact.receivedAt, lead.id],
  );
  if (!marked) return;
  await insertLeadTimeline(
    em,
    lead.id,
    lead.state,
    lead.state,
    'the homeowner replied NO: they did not ask for a plumber',
    'homeowner',
  );
  if (await approveWaiting(ctx, em, marked, REASON_OF_FACT.denied)) return;
  if (marked.buyer_id === null || (await problemOf(em, marked, false))) return;
  const { rate, flagged } = await rateOf(ctx, em, marked.buyer_id);
  const decision = decideRequest('not_real', await saleFacts(em, marked), flagged);
  const row = await insertCredit(em, {
    id: randomUUID(),
    leadId: marked.id,
    plumberId: marked.buyer_id,
    reason: 'not_real',
    note: null,
    channel: 'homeowner',
    status: decision.status,
    amountCents: creditableCents(marked.price_cents, marked.credited_cents),
    automatic: decision.automatic,
    evidence: decision.evidence,
    returnRate: rate,
    flagged,
    requestedBy: 'homeowner',
    decidedBy: decision.status === 'approved' ? SYSTEM_ACTOR : null,
  });
  await announceRequest(ctx, em, marked, row);
}

/** Payments refunded a credit: credited; the lead's credited amount grows, CREDITED once it is the price. */
export async function onCreditRefunded(
  ctx: DispatchContext,
  em: EntityManager,
  refund: EventData<typeof credits.LeadChargeCredited>,
): Promise<void> {
  if (!(await findLead(em, refund.leadId))) return;
  const lead = await lockLead(em, refund.leadId);
  const credit = await findCredit(em, refund.creditId, true);
  // Redelivered, or a credit this lead does not have: nothing more to do.
  if (!credit || credit.lead_id !== lead.id || credit.status !== 'approved') return;
  const credited = await updateCredit(
    em,
    credit.id,
    { status: 'credited', refund_id: refund.refundId },
    'credited_at',
  );
  const [updated] = await em.execute<LeadRow[]>(
    'update dispatch.lead set credited_cents = credited_cents + ? where id = ? returning *',
    [credited.amount_cents, lead.id],
  );
  if (!updated) return;
  const cause = `${dollars(credited.amount_cents)} credited (${credited.reason}); refund ${refund.refundId}`;
  const actor = credited.decided_by ?? SYSTEM_ACTOR;
  const full = updated.credited_cents >= updated.price_cents;
  const moved =
    full && (updated.state === 'ASSIGNED' || updated.state === 'COMPLETED')
      ? await tryLeadTransition(ctx, em, updated, 'CREDITED', { cause, actor })
      : undefined;
  if (!moved) await insertLeadTimeline(em, lead.id, updated.state, updated.state, cause, actor);
  const after = await findCredit(em, credit.id);
  await ctx.publish(em, credits.CreditRefunded, {
    credit: toLeadCredit(after ?? credited),
    leadCreditedCents: updated.credited_cents,
    partnerId: updated.partner_id,
  });
}

/** Stripe refused the refund for good: the credit failed, for an operator to look at. */
export async function onCreditRefundFailed(
  _ctx: DispatchContext,
  em: EntityManager,
  failure: EventData<typeof credits.LeadChargeCreditFailed>,
): Promise<void> {
  if (!(await findLead(em, failure.leadId))) return;
  const lead = await lockLead(em, failure.leadId);
  const credit = await findCredit(em, failure.creditId, true);
  if (!credit || credit.lead_id !== lead.id || credit.status !== 'approved') return;
  await updateCredit(
    em,
    credit.id,
    { status: 'failed', failure: `${failure.code}: ${failure.message}` },
    null,
  );
  await insertLeadTimeline(
    em,
    lead.id,
    lead.state,
    lead.state,
    `credit of ${dollars(credit.amount_cents)} could not be refunded (${failure.code})`,
    'payments',
  );
}

const HOW_TO_ASK =
  "To ask for a credit, text CREDIT, the lead's 4-digit code and what was wrong, e.g. CREDIT 4821 wrong number.";

/** `CREDIT <code> <words>` from a plumber: a credit request, or a reply saying why it cannot be taken. */
export async function handleCreditSms(
  ctx: DispatchContext,
  em: EntityManager,
  sms: EventData<typeof messaging.SmsReceived>,
  providerId: string,
): Promise<void> {
  const code = sms.command.jobCode ?? null;
  const reject = (problem: RequestProblem) =>
    ctx.publish(em, credits.CreditRequestRejected, {
      providerId,
      providerPhone: sms.from,
      leadCode: code,
      code: problem.code,
      message: problem.message,
    });
  if (code === null) {
    await reject({ code: 'NO_SUCH_LEAD', message: HOW_TO_ASK });
    return;
  }
  const [found] = await em.execute<{ id: string }[]>(
    `select id from dispatch.lead where buyer_id = ? and code = ? and state in (${SOLD_STATES.map(() => '?').join(', ')})
     order by sold_at desc nulls last, updated_at desc limit 1`,
    [providerId, code, ...SOLD_STATES],
  );
  if (!found) {
    await reject({
      code: 'NO_SUCH_LEAD',
      message: `You have no lead ${code} bought from us. ${HOW_TO_ASK}`,
    });
    return;
  }
  const lead = await lockLead(em, found.id);
  const note = sms.command.text?.trim() ?? '';
  const outcome = await buyerCredit(ctx, em, lead, {
    plumberId: providerId,
    reason: reasonFromWords(note),
    note: note === '' ? null : note,
    channel: 'sms',
  });
  if ('problem' in outcome) await reject(outcome.problem);
}

/** svc.dispatch.credit.* and svc.dispatch.lead.credit. */
export function creditEndpoints(ctx: DispatchContext): EndpointBinding[] {
  const read = <T>(work: (em: EntityManager) => Promise<T>): Promise<T> => work(ctx.orm.em.fork());
  return [
    endpoint(credits.CreditLinkGet, ({ token }) =>
      read(async (em) => {
        const { lead, buyerId } = await leadOfCreditToken(ctx, em, token, false);
        const soldAt = new Date(lead.sold_at ?? lead.updated_at);
        const problem = await problemOf(em, lead, true);
        const rows = await creditsOf(em, lead.id, buyerId);
        return {
          leadCode: lead.code,
          serviceName: lead.service_name,
          urgency: lead.urgency,
          zipCode: lead.zip,
          priceCents: lead.price_cents,
          creditedCents: lead.credited_cents,
          soldAt: iso(soldAt),
          deadline: iso(creditDeadline(soldAt)),
          open: problem === undefined,
          plumber: { firstName: (lead.buyer_name ?? '').split(' ')[0] ?? '' },
          credits: rows.map(toBuyerCredit),
        };
      }),
    ),
    endpoint(credits.CreditLinkRequest, ({ token, reason, note }) =>
      ctx.transaction(async (em) => {
        const { lead, buyerId } = await leadOfCreditToken(ctx, em, token, true);
        const trimmed = note?.trim() ?? '';
        const outcome = await buyerCredit(ctx, em, lead, {
          plumberId: buyerId,
          reason,
          note: trimmed === '' ? null : trimmed,
          channel: 'email',
        });
        if ('problem' in outcome) throw refusal(outcome.problem);
        return toBuyerCredit(outcome.row);
      }),
    ),
    endpoint(credits.LeadCreditCreate, (request) => operatorCredit(ctx, request)),
    endpoint(credits.CreditDecide, (request) => decideCredit(ctx, request)),
    endpoint(credits.CreditList, (query) => read((em) => listCredits(em, query))),
    endpoint(credits.CreditGet, ({ id }) => read((em) => getCredit(em, id))),
  ];
}

/** The homeowner's NO or dead number → facts for the checks; the refund's outcome → credited or failed. */
export function creditConsumers(ctx: DispatchContext): ConsumerBinding[] {
  return [
    {
      definition: CONSUMERS.dispatchHomeowners,
      concurrency: 4,
      handlers: [
        on(credits.HomeownerReplied, (fact, { em }) => onHomeownerReplied(ctx, em, fact)),
        on(credits.HomeownerUnreachable, (fact, { em }) => onHomeownerUnreachable(ctx, em, fact)),
      ],
    },
  ];
}

/** The refund results ride on the lead-charge consumer (same stream subject `evt.payments.lead_charge.>`). */
export function creditRefundHandlers(ctx: DispatchContext) {
  return [
    on(credits.LeadChargeCredited, (refund, { em }) => onCreditRefunded(ctx, em, refund)),
    on(credits.LeadChargeCreditFailed, (failure, { em }) => onCreditRefundFailed(ctx, em, failure)),
  ];
}
