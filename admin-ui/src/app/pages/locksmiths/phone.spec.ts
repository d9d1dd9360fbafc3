import { toE164 } from './phone';

describe('toE164', () => {
  it('reads US numbers however they are typed', () => {
    expect(toE164('(415) 555-0100')).toBe('+14155550100');
    expect(toE164('415.555.0100')).toBe('+14155550100');
    expect(toE164('1 415 555 0100')).toBe('+14155550100');
  });

  it('keeps international numbers given with their country code', () => {
    expect(toE164('+44 20 7946 0958')).toBe('+442079460958');
  });

  it('refuses what cannot be a mobile number', () => {
    expect(toE164('555-01')).toBeNull();
    expect(toE164('call me')).toBeNull();
    expect(toE164('+0 123 456 789')).toBeNull();
  });
});
