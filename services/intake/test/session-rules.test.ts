import { describe, expect, it } from '@jest/globals';
import { AppError } from '@trades/contracts';
import {
  checkStep,
  decodeCursor,
  encodeCursor,
  jobStateRank,
  newSessionId,
  newTrackingToken,
  normalisePhone,
  userAgentClass,
} from '../src/domain/session.ts';

function expectedStep(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return { status: error.status, code: error.code, details: error.details };
    throw error;
  }
  return 'allowed';
}

describe('booking session rules', () => {
  it('makes unguessable, URL-safe ids and tracking tokens (192 bits)', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newSessionId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(newTrackingToken()).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('names the step a session expects when one is taken out of order', () => {
    const draft = (step: 'location' | 'service' | 'payment') => ({ state: 'draft' as const, step });
    expect(expectedStep(() => checkStep(draft('location'), 'service'))).toEqual({
      status: 409,
      code: 'STEP_OUT_OF_ORDER',
      details: { expected: 'location' },
    });
    expect(expectedStep(() => checkStep(draft('service'), 'payment'))).toMatchObject({
      details: { expected: 'service' },
    });
    expect(expectedStep(() => checkStep(draft('payment'), 'complete'))).toMatchObject({
      details: { expected: 'payment' },
    });
    expect(expectedStep(() => checkStep(draft('payment'), 'location'))).toBe('allowed');
    expect(expectedStep(() => checkStep(draft('payment'), 'service'))).toBe('allowed');
    const paying = { state: 'awaiting_payment' as const, step: 'payment' as const };
    expect(expectedStep(() => checkStep(paying, 'service'))).toMatchObject({
      details: { expected: 'payment' },
    });
    expect(expectedStep(() => checkStep(paying, 'complete'))).toBe('allowed');
    const done = { state: 'completed' as const, step: 'complete' as const };
    expect(expectedStep(() => checkStep(done, 'location'))).toMatchObject({
      details: { expected: 'complete' },
    });
    expect(expectedStep(() => checkStep(done, 'complete'))).toBe('allowed');
  });

  it('normalises US mobile numbers to E.164 and refuses what cannot be one', () => {
    expect(normalisePhone('(415) 555-0123')).toBe('+14155550123');
    expect(normalisePhone('415.555.0123')).toBe('+14155550123');
    expect(normalisePhone('+1 415 555 0123')).toBe('+14155550123');
    expect(normalisePhone('+44 7911 123456')).toBe('+447911123456');
    for (const bad of ['12345', '555-0123', 'call me', '+1 000 000 0000', ''])
      expect(normalisePhone(bad)).toBeNull();
  });

  it('classes user agents as mobile, desktop or bot', () => {
    expect(userAgentClass('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148')).toBe(
      'mobile',
    );
    expect(userAgentClass('Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36')).toBe('mobile');
    expect(userAgentClass('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0')).toBe(
      'desktop',
    );
    expect(userAgentClass('Googlebot/2.1 (+http://www.google.com/bot.html)')).toBe('bot');
    expect(userAgentClass('curl/8.5.0')).toBe('bot');
    expect(userAgentClass(undefined)).toBeNull();
  });

  it('orders job states so a late event cannot overtake a later state at the same instant', () => {
    expect(jobStateRank('OFFERED')).toBeLessThan(jobStateRank('ASSIGNED'));
    expect(jobStateRank('ASSIGNED')).toBeLessThan(jobStateRank('EN_ROUTE'));
    expect(jobStateRank('EN_ROUTE')).toBeLessThan(jobStateRank('COMPLETED'));
  });

  it('round-trips keyset cursors and rejects forged ones', () => {
    const cursor = encodeCursor('2026-11-21T16:50:46.026Z', 'abcdefghijklmnopqrstuvwx');
    expect(decodeCursor(cursor)).toEqual({
      createdAt: '2026-11-21T16:50:46.026Z',
      id: 'abcdefghijklmnopqrstuvwx',
    });
    for (const forged of [
      '',
      'not base64 at all',
      Buffer.from('[1,2]').toString('base64url'),
      Buffer.from('["yesterday","x"]').toString('base64url'),
    ]) {
      expect(decodeCursor(forged)).toBeNull();
    }
  });
});
