import { describe, expect, it } from '@jest/globals';

import { formatPhone, toE164 } from './phone';

describe('toE164', () => {
  it.each([
    ['(415) 555-0123', '+14155550123'],
    ['415.555.0123', '+14155550123'],
    ['1 415 555 0123', '+14155550123'],
    ['+14155550123', '+14155550123'],
    ['+44 7700 900123', '+447700900123'],
  ])('reads %s as %s', (input, expected) => {
    expect(toE164(input)).toBe(expected);
  });

  it.each(['', '555-0123', 'call me', '+0 123 456 789', '(015) 555-0123', '415 555 01234 5'])(
    'rejects %s',
    (input) => {
      expect(toE164(input)).toBeNull();
    },
  );
});

describe('formatPhone', () => {
  it('writes a North American number the usual way and leaves others as they are', () => {
    expect(formatPhone('+14155550123')).toBe('(415) 555-0123');
    expect(formatPhone('+447700900123')).toBe('+447700900123');
  });
});
