import { createHash, randomBytes } from 'node:crypto';
import { AppError, type payments } from '@trades/contracts';

/** How long a card link works. */
export const CARD_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Marks a SetupIntent as saving a provider's card, so the webhook knows what it is for. */
export const CARD_PURPOSE = 'provider_card';

/** Where a link stands: usable, or why not. A used link stays used even after it would have expired. */
export type LinkState = 'live' | 'used' | 'expired' | 'superseded';

export interface LinkFacts {
  usedAt: Date | null;
  supersededAt: Date | null;
  expiresAt: Date;
}

export function linkState(link: LinkFacts, now: Date): LinkState {
  if (link.usedAt) return 'used';
  if (link.supersededAt) return 'superseded';
  if (link.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'live';
}

/** A new link's secret (256 random bits, URL-safe) and the hash that is all we keep of it. */
export function newLinkToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashLinkToken(token) };
}

export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const REFUSALS: Record<Exclude<LinkState, 'live'>, string> = {
  used: 'This link was already used to save your card. To change the card, ask us for a new link.',
  expired: 'This link has expired. Ask us for a new link to save your card.',
  superseded: 'A newer link was sent to you. Use the latest link in your texts or email.',
};

/** 410 for a link that no longer works, saying what the plumber can do; a used link names the card saved. */
export function cardLinkRefused(state: Exclude<LinkState, 'live'>, card?: payments.ProviderCard): AppError {
  return new AppError(410, 'CARD_LINK_EXPIRED', REFUSALS[state], {
    reason: state,
    ...(card && state === 'used' ? { card } : {}),
  });
}

/** What the SetupIntent's card says: brand and last 4, when Stripe tells them. */
export function cardFacts(card: { brand?: string | null; last4?: string | null } | null | undefined): {
  brand: string | null;
  last4: string | null;
} {
  const last4 = card?.last4 && /^[0-9]{4}$/.test(card.last4) ? card.last4 : null;
  const brand = card?.brand ? card.brand.slice(0, 40) : null;
  return { brand, last4 };
}

/**
 * Whether a succeeded SetupIntent (created at `created`, Unix seconds) is news to the customer's card
 * as last folded: not the same one again, and not older than the one that set the current card.
 */
export function setupIsNews(
  current: { setupIntentId: string | null; setupIntentCreated: number | null },
  setupIntentId: string,
  created: number,
): boolean {
  if (current.setupIntentId === setupIntentId) return false;
  return current.setupIntentCreated === null || created >= current.setupIntentCreated;
}
