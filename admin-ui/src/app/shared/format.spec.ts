import { formatCents, formatSeconds, humanize } from './format';

describe('format', () => {
  it('shows cents as dollars', () => {
    expect(formatCents(12345)).toBe('$123.45');
    expect(formatCents(undefined)).toBe('—');
  });

  it('shows response times in seconds, minutes and hours', () => {
    expect(formatSeconds(42)).toBe('42 s');
    expect(formatSeconds(95)).toBe('1 min 35 s');
    expect(formatSeconds(120)).toBe('2 min');
    expect(formatSeconds(7260)).toBe('2 h 1 min');
    expect(formatSeconds(null)).toBe('—');
  });

  it('turns state codes into words', () => {
    expect(humanize('EN_ROUTE')).toBe('En route');
    expect(humanize('wave 1: offered to 3 locksmiths')).toBe('Wave 1: offered to 3 locksmiths');
    expect(humanize('Avery Keys replied YES')).toBe('Avery Keys replied YES');
  });
});
