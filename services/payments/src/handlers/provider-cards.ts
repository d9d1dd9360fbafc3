import { randomUUID } from 'node:crypto';
import { AppError, badRequest, conflict, CONSUMERS, notFound, payments, registry } from '@trades/contracts';
import {
  endpoint,
  on,
  type ConsumerBinding,
  type EndpointBinding,
  type EntityManager,
  type ServiceContext,
} from '@trades/runtime';
import Stripe from 'stripe';
import {
  CARD_LINK_TTL_MS,
  CARD_PURPOSE,
  cardFacts,
  cardLinkRefused,
  hashLinkToken,
  linkState,
  newLinkToken,
  setupIsNews,
} from '../domain/card-link.ts';
import {
  findCustomer,
  findLinkByHash,
  hasLink,
  insertCustomer,
  insertLink,
  markLinkUsed,
  saveCard,
  setLinkSetupIntent,
  toCard,
  type CardLinkRow,
  type CustomerRow,
} from '../store/provider-cards.ts';
import type { StripeSettings } from './deposits.ts';

export interface CardSettings extends StripeSettings {
  /** The customer UI's public URL: card links point at its /plumber/card/<token> page. */
  frontendUrl: string;
}

interface Recipient {
  providerId: string;
  firstName: string;
  email: string;
  phone: string;
}

const createdOf = (row: CustomerRow): number | null =>
  row.setup_intent_created === null ? null : Number(row.setup_intent_created);

/**
 * Providers' cards on file: one Stripe customer per provider, single-use links to a page that confirms
 * a SetupIntent (usage off_session), and one fold of a succeeded SetupIntent into the card on file,
 * shared by the page's `complete` and Stripe's `setup_intent.succeeded` webhook.
 */
export function providerCardOperations(ctx: ServiceContext<unknown>, settings: CardSettings) {
  const { stripe } = settings;

  /** The provider's Stripe customer, created once (Stripe's idempotency key covers concurrent first calls). */
  async function ensureCustomer(recipient: Recipient): Promise<CustomerRow> {
    const known = await findCustomer(ctx.orm.em.fork(), recipient.providerId);
    if (known) return known;
    const customer = await stripe.customers.create(
      {
        name: recipient.firstName,
        email: recipient.email,
        phone: recipient.phone,
        metadata: { provider_id: recipient.providerId },
      },
      { idempotencyKey: `provider-customer:${recipient.providerId}` },
    );
    // Announced with no card yet, so the plumber shows their Stripe customer before saving one.
    await ctx.transaction(async (em) => {
      if (!(await insertCustomer(em, recipient.providerId, customer.id))) return;
      await ctx.publish(em, payments.ProviderCardUpdated, {
        providerId: recipient.providerId,
        stripeCustomerId: customer.id,
        status: 'none',
        brand: null,
        last4: null,
        at: new Date().toISOString(),
      });
    });
    const row = await findCustomer(ctx.orm.em.fork(), recipient.providerId);
    if (!row) throw new Error(`provider_customer ${recipient.providerId} missing right after its insert`);
    return row;
  }

  /**
   * A new link for the provider, announced for messaging to send. The customer row's lock orders
   * concurrent links: the last one wins.
   */
  async function createLink(recipient: Recipient): Promise<{ url: string; expiresAt: string }> {
    await ensureCustomer(recipient);
    return ctx.transaction(async (tx) => {
      await findCustomer(tx, recipient.providerId, true);
      return insertAndAnnounce(tx, recipient);
    });
  }

  /**
   * A new plumber's first link, inside the consumer's transaction, unless they already have one (an
   * operator or the seed asked first): a later automatic link would supersede the one they were sent.
   */
  async function createFirstLink(em: EntityManager, recipient: Recipient): Promise<void> {
    await ensureCustomer(recipient);
    await findCustomer(em, recipient.providerId, true);
    if (await hasLink(em, recipient.providerId)) return;
    await insertAndAnnounce(em, recipient);
  }

  async function insertAndAnnounce(
    tx: EntityManager,
    recipient: Recipient,
  ): Promise<{ url: string; expiresAt: string }> {
    const { token, hash } = newLinkToken();
    const url = `${settings.frontendUrl.replace(/\/+$/, '')}/plumber/card/${token}`;
    const expiresAt = new Date(Date.now() + CARD_LINK_TTL_MS);
    await insertLink(tx, {
      id: randomUUID(),
      providerId: recipient.providerId,
      tokenHash: hash,
      firstName: recipient.firstName,
      expiresAt,
    });
    await ctx.publish(tx, payments.ProviderCardLinkCreated, {
      ...recipient,
      url,
      expiresAt: expiresAt.toISOString(),
    });
    return { url, expiresAt: expiresAt.toISOString() };
  }

  async function requireLink(token: string): Promise<CardLinkRow> {
    const link = await findLinkByHash(ctx.orm.em.fork(), hashLinkToken(token));
    if (!link) throw payments.cardLinkNotFound();
    return link;
  }

  async function currentCard(providerId: string): Promise<payments.ProviderCard> {
    const row = await findCustomer(ctx.orm.em.fork(), providerId);
    return row ? toCard(row) : { status: 'none', brand: null, last4: null };
  }

  /** Throws the link's refusal unless it can still save a card. */
  async function requireLive(link: CardLinkRow): Promise<void> {
    const state = linkState(
      { usedAt: link.used_at, supersededAt: link.superseded_at, expiresAt: link.expires_at },
      new Date(),
    );
    if (state === 'used') throw cardLinkRefused('used', await currentCard(link.provider_id));
    if (state !== 'live') throw cardLinkRefused(state);
  }

  /** The link's SetupIntent, created on first use (keyed by the link, so concurrent opens share it). */
  async function setupIntentFor(link: CardLinkRow): Promise<Stripe.SetupIntent> {
    if (link.setup_intent_id) return stripe.setupIntents.retrieve(link.setup_intent_id);
    const customer = await findCustomer(ctx.orm.em.fork(), link.provider_id);
    if (!customer) throw new Error(`card link ${link.id} has no provider_customer`);
    const created = await stripe.setupIntents.create(
      {
        customer: customer.stripe_customer_id,
        usage: 'off_session',
        // Cards saved in the page's card field; nothing that would send the plumber away to a redirect.
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        metadata: { provider_id: link.provider_id, purpose: CARD_PURPOSE, card_link_id: link.id },
      },
      { idempotencyKey: `card-setup:${link.id}` },
    );
    const kept = await setLinkSetupIntent(ctx.orm.em.fork(), link.id, created.id);
    return kept === created.id ? created : stripe.setupIntents.retrieve(kept);
  }

  /**
   * The one fold of a succeeded SetupIntent into the provider's card on file: the card becomes the
   * customer's default payment method, the row says saved with brand and last 4, the link is used, and
   * card_updated is published, once, whichever of the page and the webhook comes first. A SetupIntent
   * older than the one that set the current card changes nothing.
   */
  async function foldSetupIntent(intent: Stripe.SetupIntent): Promise<payments.ProviderCard | null> {
    const providerId = intent.metadata?.['provider_id'];
    if (intent.status !== 'succeeded' || !providerId) return null;
    const known = await findCustomer(ctx.orm.em.fork(), providerId);
    if (!known) return null;
    const current = { setupIntentId: known.setup_intent_id, setupIntentCreated: createdOf(known) };
    if (!setupIsNews(current, intent.id, intent.created)) {
      await markLinkUsed(ctx.orm.em.fork(), intent.id);
      return toCard(known);
    }
    const paymentMethodId =
      typeof intent.payment_method === 'string' ? intent.payment_method : intent.payment_method?.id;
    if (!paymentMethodId) throw new Error(`SetupIntent ${intent.id} succeeded without a payment method`);
    const paymentMethod = await stripe.paymentMethods.retrieve(paymentMethodId);
    await stripe.customers.update(
      known.stripe_customer_id,
      { invoice_settings: { default_payment_method: paymentMethodId } },
      { idempotencyKey: `card-default:${intent.id}` },
    );
    const { brand, last4 } = cardFacts(paymentMethod.card);
    return ctx.transaction(async (em) => {
      const row = await findCustomer(em, providerId, true);
      if (!row) throw new Error(`provider_customer ${providerId} vanished`);
      await markLinkUsed(em, intent.id);
      const now = { setupIntentId: row.setup_intent_id, setupIntentCreated: createdOf(row) };
      if (!setupIsNews(now, intent.id, intent.created)) return toCard(row);
      await saveCard(em, providerId, {
        paymentMethodId,
        brand,
        last4,
        setupIntentId: intent.id,
        setupIntentCreated: intent.created,
      });
      await ctx.publish(em, payments.ProviderCardUpdated, {
        providerId,
        stripeCustomerId: row.stripe_customer_id,
        status: 'saved',
        brand,
        last4,
        at: new Date().toISOString(),
      });
      return { status: 'saved' as const, brand, last4 };
    });
  }

  async function session(token: string) {
    const link = await requireLink(token);
    await requireLive(link);
    const intent = await setupIntentFor(link);
    if (intent.status === 'succeeded') {
      // Confirmed at Stripe but not folded yet (the page closed before it said so): fold it now.
      throw cardLinkRefused('used', (await foldSetupIntent(intent)) ?? undefined);
    }
    if (intent.status === 'canceled' || !intent.client_secret) throw cardLinkRefused('expired');
    return {
      setupIntentId: intent.id,
      clientSecret: intent.client_secret,
      plumber: { firstName: link.first_name },
      mode: settings.emulator ? ('emulator' as const) : ('stripe' as const),
      ...(settings.publishableKey ? { publishableKey: settings.publishableKey } : {}),
      expiresAt: link.expires_at.toISOString(),
    };
  }

  async function testConfirm(token: string, paymentMethod: string) {
    if (!settings.emulator) {
      throw notFound(
        'NOT_AVAILABLE',
        'Test confirmation is only available against the local Stripe emulator.',
      );
    }
    const link = await requireLink(token);
    await requireLive(link);
    const intent = await setupIntentFor(link);
    if (intent.status === 'succeeded') return { setupIntentId: intent.id, status: intent.status };
    try {
      const confirmed = await stripe.setupIntents.confirm(
        intent.id,
        { payment_method: paymentMethod },
        { idempotencyKey: `card-setup-confirm:${intent.id}:${paymentMethod}` },
      );
      return { setupIntentId: confirmed.id, status: confirmed.status };
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError) {
        throw new AppError(402, 'CARD_DECLINED', error.message || 'Your card was declined.', {
          declineCode: error.decline_code ?? null,
        });
      }
      if (error instanceof Stripe.errors.StripeInvalidRequestError) {
        throw badRequest('INVALID_PAYMENT_METHOD', error.message);
      }
      throw error;
    }
  }

  async function complete(token: string): Promise<{ card: payments.ProviderCard }> {
    const link = await requireLink(token);
    if (link.used_at) return { card: await currentCard(link.provider_id) };
    if (link.setup_intent_id) {
      // Saved even when the link expired or was superseded meanwhile: the plumber did confirm this card.
      const intent = await stripe.setupIntents.retrieve(link.setup_intent_id);
      const card = await foldSetupIntent(intent);
      if (card) return { card };
    }
    await requireLive(link);
    throw conflict(
      'CARD_NOT_CONFIRMED',
      'Your card has not been confirmed yet. Enter your card details and save them again.',
    );
  }

  /** Stripe's setup_intent.succeeded: the SetupIntent re-read from Stripe, folded if it saves a provider's card. */
  async function onSetupIntentSucceeded(setupIntentId: string): Promise<void> {
    let intent: Stripe.SetupIntent;
    try {
      intent = await stripe.setupIntents.retrieve(setupIntentId);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing') {
        ctx.log.warn({ setupIntentId }, 'Stripe does not know the SetupIntent this event is about');
        return;
      }
      throw error;
    }
    if (intent.metadata?.['purpose'] !== CARD_PURPOSE) {
      ctx.log.info({ setupIntentId }, 'SetupIntent not for a provider card; recorded only');
      return;
    }
    if (!(await foldSetupIntent(intent)))
      ctx.log.warn(
        { setupIntentId },
        'SetupIntent for a provider payments has no customer for; recorded only',
      );
  }

  /**
   * A charge on the card on file failed (declined, authentication required): the card needs updating,
   * announced once (`card_updated`), and the provider gets a fresh link (`card_link_created`), in the
   * caller's transaction. Nothing to do for a provider without a Stripe customer.
   */
  async function cardFailed(em: EntityManager, recipient: Recipient): Promise<void> {
    const row = await findCustomer(em, recipient.providerId, true);
    if (!row) return;
    if (row.card_status !== 'needs_update') {
      await em.execute(
        `update payments.provider_customer set card_status = 'needs_update', updated_at = now() where provider_id = ?`,
        [recipient.providerId],
      );
      await ctx.publish(em, payments.ProviderCardUpdated, {
        providerId: recipient.providerId,
        stripeCustomerId: row.stripe_customer_id,
        status: 'needs_update',
        brand: row.card_brand,
        last4: row.card_last4,
        at: new Date().toISOString(),
      });
    }
    await insertAndAnnounce(em, recipient);
  }

  return {
    createLink,
    createFirstLink,
    cardFailed,
    session,
    testConfirm,
    complete,
    foldSetupIntent,
    onSetupIntentSucceeded,
  };
}

export type ProviderCardOperations = ReturnType<typeof providerCardOperations>;

export function providerCardEndpoints(cards: ProviderCardOperations): EndpointBinding[] {
  return [
    endpoint(payments.ProviderCardLink, (recipient) => cards.createLink(recipient)),
    endpoint(payments.ProviderCardSession, ({ token }) => cards.session(token)),
    endpoint(payments.ProviderCardTestConfirm, ({ token, paymentMethod }) =>
      cards.testConfirm(token, paymentMethod),
    ),
    endpoint(payments.ProviderCardComplete, ({ token }) => cards.complete(token)),
  ];
}

/** A plumber joined: their Stripe customer and a first card link, which messaging sends them. */
export function providerConsumers(cards: ProviderCardOperations): ConsumerBinding {
  return {
    definition: CONSUMERS.paymentsProviders,
    handlers: [
      on(registry.ProviderCreated, async ({ provider, plumber }, { em }) => {
        if (provider.trade !== 'plumber' || !plumber) return;
        await cards.createFirstLink(em, {
          providerId: plumber.id,
          firstName: plumber.firstName,
          email: plumber.email,
          phone: plumber.phone,
        });
      }),
    ],
  };
}
