import { describe, expect, it } from '@jest/globals';
import { loggedUrl } from '../src/server.ts';

// A signed link is the only credential a plumber's credit page, card page or accept page needs, and a
// tracking token the only one a customer's status page needs: whoever reads the logs must not get them.
describe('request URLs in the gateway log', () => {
  it.each([
    ['/api/lead-credits/3f0c2a1e-0000-4000-8000-000000000001.abcDEF_123-xyz', '/api/lead-credits/[token]'],
    ['/api/lead-offers/3f0c2a1e-0000-4000-8000-000000000001.mac/accept', '/api/lead-offers/[token]/accept'],
    ['/api/plumber-card/Zm9vYmFyYmF6cXV4cXV1eA/complete?x=1', '/api/plumber-card/[token]/complete'],
    ['/api/track/tok_123/events?since=4', '/api/track/[token]/events'],
  ])('hides the token of %s', (url, logged) => {
    expect(loggedUrl(url)).toBe(logged);
  });

  it('keeps every other URL as it came, query and all', () => {
    expect(loggedUrl('/api/admin/leads?status=assigned&zip=94105')).toBe(
      '/api/admin/leads?status=assigned&zip=94105',
    );
    expect(loggedUrl('/api/lead-credits')).toBe('/api/lead-credits');
  });
});
