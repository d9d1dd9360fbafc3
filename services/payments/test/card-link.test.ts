import { describe, expect, it } from '@jest/globals';
import {
  cardFacts,
  cardLinkRefused,
  hashLinkToken,
  linkState,
  newLinkToken,
  setupIsNews,
} from '../src/domain/card-link.ts';

const now = new Date('2026-12-04T12:00:00Z');
const later = new Date('2026-12-11T12:00:00Z');

describe('card links', () => {
  it('work until used, superseded or expired; a used link stays used after its expiry', () => {
    expect(linkState({ usedAt: null, supersededAt: null, expiresAt: later }, now)).toBe('live');
    expect(linkState({ usedAt: null, supersededAt: null, expiresAt: now }, now)).toBe('expired');
    expect(linkState({ usedAt: null, supersededAt: now, expiresAt: later }, now)).toBe('superseded');
    expect(linkState({ usedAt: now, supersededAt: now, expiresAt: now }, later)).toBe('used');
  });

  it('carry 256 random bits, URL-safe, of which only the SHA-256 is kept', () => {
    const { token, hash } = newLinkToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hash).toBe(hashLinkToken(token));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(newLinkToken().token).not.toBe(token);
  });

  it('are refused with 410 and a reason; a used one names the card on file', () => {
    const card = { status: 'saved' as const, brand: 'visa', last4: '4242' };
    expect(cardLinkRefused('used', card).toBody()).toEqual({
      code: 'CARD_LINK_EXPIRED',
      message: 'This link was already used to save your card. To change the card, ask us for a new link.',
      details: { reason: 'used', card },
    });
    const expired = cardLinkRefused('expired', card);
    expect(expired.status).toBe(410);
    expect(expired.details).toEqual({ reason: 'expired' });
  });
});

describe('folding a succeeded SetupIntent', () => {
  it('is news unless it is the one folded already or older than it', () => {
    const none = { setupIntentId: null, setupIntentCreated: null };
    const current = { setupIntentId: 'seti_b', setupIntentCreated: 200 };
    expect(setupIsNews(none, 'seti_a', 100)).toBe(true);
    expect(setupIsNews(current, 'seti_b', 200)).toBe(false);
    expect(setupIsNews(current, 'seti_a', 100)).toBe(false);
    expect(setupIsNews(current, 'seti_c', 200)).toBe(true);
    expect(setupIsNews(current, 'seti_c', 300)).toBe(true);
  });

  it('keeps brand and last 4 only in their expected shapes', () => {
    expect(cardFacts({ brand: 'visa', last4: '4242' })).toEqual({ brand: 'visa', last4: '4242' });
    expect(cardFacts({ brand: '', last4: '42' })).toEqual({ brand: null, last4: null });
    expect(cardFacts(null)).toEqual({ brand: null, last4: null });
  });
});
