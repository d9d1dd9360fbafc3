import { describe, expect, it } from '@jest/globals';

import { formatCents, formatPriceRange } from './money';

describe('money', () => {
  it('shows whole dollars without cents and other amounts with them', () => {
    expect(formatCents(4900)).toBe('$49');
    expect(formatCents(4950)).toBe('$49.50');
    expect(formatCents(123400)).toBe('$1,234');
  });

  it('shows a range, or one price when both ends match', () => {
    expect(formatPriceRange(8900, 14900)).toBe('$89–$149');
    expect(formatPriceRange(8900, 8900)).toBe('$89');
  });
});
