import { CONSUMERS, credits, leads, payments, type EventData } from '@trades/contracts';
import {
  endpoint,
  on,
  type ConsumerBinding,
  type EndpointBinding,
  type EntityManager,
  type EventContext,
  type ServiceContext,
} from '@trades/runtime';
import Stripe from 'stripe';
import { findCustomer } from '../store/provider-cards.ts';
import type { StripeSettings } from './deposits.ts';
import type { ProviderCardOperations } from './provider-cards.ts';

/** Marks what a PaymentIntent is for. */
export const LEAD_PURPOSE = 'lead_charge';
/** Marks a refund made for a lead's credit. */
export const LEAD_CREDIT_PURPOSE = 'lead_credit';

interface LeadChargeRow {
  lead_id: string;
  provider_id: string;
  charge_attempt: number;
  idempotency_key: string;
  payment_intent_id: string | null;
  status: payments.LeadChargeStatus;
  amount_cents: number;
  code: string | null;
  message: string | null;
  created_at: Date | string;
}

/** What charging came to: succeeded, or failed with Stripe's code (a card problem, or no card at all). */
type ChargeResult =
  | { status: 'succeeded'; paymentIntentId: string }
  | {
      status: 'failed';
      paymentIntentId: string | null;
      code: string;
      message: string;
      /** The card itself was refused: it needs updating. */
      cardProblem: boolean;
    };

const toLeadCharge = (row: LeadChargeRow): payments.LeadCharge => ({
  leadId: row.lead_id,
  providerId: row.provider_id,
  paymentIntentId: row.payment_intent_id,
  status: row.status,
  amountCents: row.amount_cents,
  code: row.code,
  message: row.message,
  createdAt: (row.created_at instanceof Date ? row.created_at : new Date(row.created_at)).toISOString(),
});

/**
 * Lead charges: dispatch's `lead.charging` (a plumber said YES, or an operator sold them the lead) is
 * charged off-session to the plumber's card on file: a PaymentIntent with `customer`, the default
 * `payment_method`, `off_session` and `confirm`, under the idempotency key dispatch names per (lead,
 * plumber). The row and the result event are written in one transaction; a redelivered request finds
 * the row and publishes nothing. Network errors and Stripe 5xx are thrown: the event is redelivered and
 * retried with the same key, so Stripe never charges twice.
 */
export function leadCharges(
  ctx: ServiceContext<unknown>,
  settings: StripeSettings,
  cards: Pick<ProviderCardOperations, 'cardFailed'>,
) {
  const { stripe } = settings;

  /** The plumber's card on file (their Stripe customer and default payment method), or why there is none. */
  async function chargeableCard(
    em: EntityManager,
    providerId: string,
  ): Promise<{ customer: string; paymentMethod: string } | { missing: string }> {
    const row = await findCustomer(em, providerId);
    if (!row) return { missing: 'no card on file' };
    if (row.card_status === 'needs_update') return { missing: 'their card on file needs updating' };
    if (row.card_status !== 'saved' || row.default_payment_method === null)
      return { missing: 'no card on file' };
    return { customer: row.stripe_customer_id, paymentMethod: row.default_payment_method };
  }

  async function charge(
    em: EntityManager,
    data: leads.LeadSaleData,
    buyer: leads.LeadBuyer,
    key: string,
  ): Promise<ChargeResult> {
    const card = await chargeableCard(em, buyer.id);
    if ('missing' in card) {
      return {
        status: 'failed',
        paymentIntentId: null,
        code: 'no_card',
        message: card.missing,
        cardProblem: false,
      };
    }
    try {
      const intent = await stripe.paymentIntents.create(
        {
          amount: data.priceCents,
          currency: 'usd',
          customer: card.customer,
          payment_method: card.paymentMethod,
          off_session: true,
          confirm: true,
          description: `Lead ${data.leadCode}: ${data.serviceName}, ZIP ${data.zipCode}`,
          metadata: { purpose: LEAD_PURPOSE, lead_id: data.leadId, provider_id: buyer.id },
        },
        { idempotencyKey: key },
      );
      if (intent.status === 'succeeded') return { status: 'succeeded', paymentIntentId: intent.id };
      return {
        status: 'failed',
        paymentIntentId: intent.id,
        code: intent.status === 'requires_action' ? 'authentication_required' : intent.status,
        message: intent.last_payment_error?.message ?? `the payment is ${intent.status}`,
        cardProblem: true,
      };
    } catch (error) {
      if (
        error instanceof Stripe.errors.StripeCardError ||
        error instanceof Stripe.errors.StripeInvalidRequestError
      ) {
        return {
          status: 'failed',
          paymentIntentId: error.payment_intent?.id ?? null,
          code:
            error.code ??
            (error instanceof Stripe.errors.StripeCardError ? 'card_declined' : 'invalid_request'),
          message: error.message,
          cardProblem: true,
        };
      }
      throw error;
    }
  }

  async function publishResult(
    em: EntityManager,
    row: Pick<
      LeadChargeRow,
      'lead_id' | 'provider_id' | 'payment_intent_id' | 'amount_cents' | 'code' | 'message'
    >,
    status: 'succeeded' | 'failed',
    chargeAttempt: number,
  ): Promise<void> {
    const base = {
      leadId: row.lead_id,
      providerId: row.provider_id,
      paymentIntentId: row.payment_intent_id,
      amountCents: row.amount_cents,
      chargeAttempt,
    };
    if (status === 'succeeded') {
      await ctx.publish(em, payments.LeadChargeSucceeded, base);
    } else {
      await ctx.publish(em, payments.LeadChargeFailed, {
        ...base,
        code: row.code ?? 'card_declined',
        message: row.message ?? 'the card did not go through',
      });
    }
  }

  async function onCharging(data: leads.LeadSaleData, { em, log }: EventContext): Promise<void> {
    const buyer = data.buyer;
    if (!buyer || data.idempotencyKey === undefined) return;
    const [existing] = await em.execute<LeadChargeRow[]>(
      'select * from payments.lead_charge where lead_id = ? and provider_id = ? for update',
      [data.leadId, buyer.id],
    );
    if (existing) {
      // Redelivered: already answered. A later attempt for the same plumber (an operator selling it to
      // them again) gets the same answer again, never a second charge.
      if (existing.charge_attempt >= data.chargeAttempt || existing.status === 'refunded') return;
      await em.execute(
        'update payments.lead_charge set charge_attempt = ?, updated_at = now() where lead_id = ? and provider_id = ?',
        [data.chargeAttempt, data.leadId, buyer.id],
      );
      await publishResult(em, existing, existing.status, data.chargeAttempt);
      return;
    }
    const result = await charge(em, data, buyer, data.idempotencyKey);
    const row = {
      lead_id: data.leadId,
      provider_id: buyer.id,
      payment_intent_id: result.paymentIntentId,
      amount_cents: data.priceCents,
      code: result.status === 'failed' ? result.code : null,
      message: result.status === 'failed' ? result.message : null,
    };
    const inserted = await em.execute<{ lead_id: string }[]>(
      `insert into payments.lead_charge (lead_id, provider_id, charge_attempt, idempotency_key, payment_intent_id, status,
         amount_cents, code, message)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing returning lead_id`,
      [
        row.lead_id,
        row.provider_id,
        data.chargeAttempt,
        data.idempotencyKey,
        row.payment_intent_id,
        result.status,
        row.amount_cents,
        row.code,
        row.message,
      ],
    );
    // Another delivery of the same request got there first and answered.
    if (inserted.length === 0) return;
    await publishResult(em, row, result.status, data.chargeAttempt);
    if (result.status === 'failed') {
      log.info({ leadId: data.leadId, providerId: buyer.id, code: result.code }, 'lead charge failed');
      if (result.cardProblem) {
        // Their card needs updating (the registry stops offering them leads) and a fresh link goes out.
        await cards.cardFailed(em, {
          providerId: buyer.id,
          firstName: buyer.name.split(' ')[0] ?? buyer.name,
          email: buyer.email,
          phone: buyer.phone,
        });
      }
    }
  }

  async function onVoided(
    data: EventData<typeof leads.LeadChargeVoided>,
    { em }: EventContext,
  ): Promise<void> {
    const [row] = await em.execute<LeadChargeRow[]>(
      'select * from payments.lead_charge where lead_id = ? and provider_id = ? for update',
      [data.leadId, data.providerId],
    );
    if (!row || row.status !== 'succeeded' || row.payment_intent_id === null) return;
    await stripe.refunds.create(
      { payment_intent: row.payment_intent_id, metadata: { purpose: LEAD_PURPOSE, lead_id: row.lead_id } },
      { idempotencyKey: `lead-refund:${row.payment_intent_id}` },
    );
    await em.execute(
      `update payments.lead_charge set status = 'refunded', updated_at = now() where lead_id = ? and provider_id = ?`,
      [data.leadId, data.providerId],
    );
    await ctx.publish(em, payments.LeadChargeRefunded, {
      leadId: row.lead_id,
      providerId: row.provider_id,
      paymentIntentId: row.payment_intent_id,
      amountCents: row.amount_cents,
      chargeAttempt: row.charge_attempt,
      reason: data.reason,
    });
  }

  /**
   * An approved credit → a refund of its amount on the buyer's succeeded charge of the lead (partial
   * allowed), idempotency key `lead-credit:<creditId>`. The row and the result event are written in one
   * transaction: a redelivered approval finds the row and publishes nothing. Stripe refusing the refund
   * (nothing left to refund, …) is final: `lead_charge.credit_failed`. Network errors and 5xx are thrown
   * and retried with the same key.
   */
  async function onCreditApproved(
    { credit }: EventData<typeof credits.CreditApproved>,
    { em, log }: EventContext,
  ): Promise<void> {
    const [done] = await em.execute<{ credit_id: string }[]>(
      'select credit_id from payments.lead_credit_refund where credit_id = ?',
      [credit.id],
    );
    if (done) return;
    const [charge] = await em.execute<LeadChargeRow[]>(
      `select * from payments.lead_charge where lead_id = ? and provider_id = ? and status = 'succeeded' for update`,
      [credit.leadId, credit.plumberId],
    );
    const base = {
      creditId: credit.id,
      leadId: credit.leadId,
      providerId: credit.plumberId,
      amountCents: credit.amountCents,
      paymentIntentId: charge?.payment_intent_id ?? null,
    };
    const record = (
      status: 'refunded' | 'failed',
      refundId: string | null,
      code: string | null,
      message: string | null,
    ) =>
      em.execute<{ credit_id: string }[]>(
        `insert into payments.lead_credit_refund (credit_id, lead_id, provider_id, payment_intent_id, refund_id, status,
           amount_cents, code, message)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing returning credit_id`,
        [
          credit.id,
          credit.leadId,
          credit.plumberId,
          base.paymentIntentId,
          refundId,
          status,
          credit.amountCents,
          code,
          message,
        ],
      );
    const fail = async (code: string, message: string) => {
      log.warn({ creditId: credit.id, leadId: credit.leadId, code }, 'a lead credit could not be refunded');
      if ((await record('failed', null, code, message)).length === 0) return;
      await ctx.publish(em, credits.LeadChargeCreditFailed, { ...base, code, message });
    };
    if (!charge || charge.payment_intent_id === null) {
      await fail(
        'no_charge',
        `there is no succeeded charge of lead ${credit.leadCode} to ${credit.plumberName} to refund`,
      );
      return;
    }
    let refundId: string;
    try {
      const refund = await stripe.refunds.create(
        {
          payment_intent: charge.payment_intent_id,
          amount: credit.amountCents,
          reason: 'requested_by_customer',
          metadata: { purpose: LEAD_CREDIT_PURPOSE, lead_id: credit.leadId, credit_id: credit.id },
        },
        { idempotencyKey: `lead-credit:${credit.id}` },
      );
      refundId = refund.id;
    } catch (error) {
      if (
        error instanceof Stripe.errors.StripeInvalidRequestError ||
        error instanceof Stripe.errors.StripeCardError
      ) {
        await fail(error.code ?? 'refund_refused', error.message);
        return;
      }
      throw error;
    }
    if ((await record('refunded', refundId, null, null)).length === 0) return;
    await ctx.publish(em, credits.LeadChargeCredited, { ...base, refundId });
  }

  const consumers: ConsumerBinding[] = [
    {
      definition: CONSUMERS.paymentsLeads,
      // Several at once: a slow Stripe call for one lead does not hold up every other sale.
      concurrency: 4,
      handlers: [
        on(leads.LeadCharging, onCharging),
        on(leads.LeadChargeVoided, onVoided),
        on(credits.CreditApproved, onCreditApproved),
      ],
    },
  ];
  const endpoints: EndpointBinding[] = [
    endpoint(payments.LeadChargeList, async ({ leadId }) => {
      const rows = await ctx.orm.em
        .fork()
        .execute<LeadChargeRow[]>(
          'select * from payments.lead_charge where lead_id = ? order by created_at',
          [leadId],
        );
      return { items: rows.map(toLeadCharge) };
    }),
  ];
  return { consumers, endpoints };
}
