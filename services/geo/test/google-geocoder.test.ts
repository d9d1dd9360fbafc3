import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { GeocoderUnavailableError, createGeocoder } from '../src/index.ts';

/** A local stand-in for Google's geocoding endpoint: answers by the `address` parameter. */
function startFakeGoogle(): Promise<{ server: Server; url: string; requests: URL[] }> {
  const requests: URL[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    requests.push(url);
    const address = url.searchParams.get('address') ?? '';
    const reply = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (address.includes('Howard')) {
      reply(200, {
        status: 'OK',
        results: [
          {
            formatted_address: '500 Howard St, San Francisco, CA 94105, USA',
            geometry: { location: { lat: 37.7887, lng: -122.3964 } },
            types: ['street_address'],
            address_components: [
              { long_name: '500', short_name: '500', types: ['street_number'] },
              { long_name: 'San Francisco', short_name: 'SF', types: ['locality', 'political'] },
              {
                long_name: 'California',
                short_name: 'CA',
                types: ['administrative_area_level_1', 'political'],
              },
              { long_name: 'United States', short_name: 'US', types: ['country', 'political'] },
              { long_name: '94105', short_name: '94105', types: ['postal_code'] },
            ],
          },
        ],
      });
    } else if (address.includes('Oakland')) {
      reply(200, {
        status: 'OK',
        results: [
          {
            formatted_address: 'Oakland, CA, USA',
            geometry: { location: { lat: 37.8044, lng: -122.2712 } },
            types: ['locality'],
            address_components: [
              { long_name: 'Oakland', short_name: 'Oakland', types: ['locality', 'political'] },
              {
                long_name: 'California',
                short_name: 'CA',
                types: ['administrative_area_level_1', 'political'],
              },
              { long_name: 'United States', short_name: 'US', types: ['country', 'political'] },
            ],
          },
        ],
      });
    } else if (address.includes('quota')) {
      reply(200, { status: 'OVER_QUERY_LIMIT', results: [], error_message: 'quota' });
    } else {
      reply(200, { status: 'ZERO_RESULTS', results: [] });
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}/maps/api/geocode/json`, requests });
    });
  });
}

describe('Google Maps geocoder', () => {
  let fake: Awaited<ReturnType<typeof startFakeGoogle>>;
  beforeAll(async () => {
    fake = await startFakeGoogle();
  });
  afterAll(() => new Promise<void>((resolve) => fake.server.close(() => resolve())));

  const geocoder = () =>
    createGeocoder({ GOOGLE_MAPS_API_KEY: 'test-key', GOOGLE_MAPS_GEOCODE_URL: fake.url });

  it('maps the first US result to a GeocodedAddress, restricted to the US and biased to the hint', async () => {
    const placed = await geocoder().geocode('500 Howard St, SF', { lat: 37.78, lng: -122.39 });
    expect(placed).toEqual({
      formatted: '500 Howard St, San Francisco, CA 94105',
      lat: 37.7887,
      lng: -122.3964,
      zip: '94105',
      city: 'San Francisco',
      state: 'CA',
    });
    const sent = fake.requests.at(-1)!;
    expect(sent.searchParams.get('key')).toBe('test-key');
    expect(sent.searchParams.get('components')).toBe('country:US');
    expect(sent.searchParams.get('bounds')).toContain('37.68');
  });

  it('fills a city-level result’s missing ZIP from the city’s nearest ZIP code', async () => {
    const placed = await geocoder().geocode('Oakland');
    expect(placed).toMatchObject({ city: 'Oakland', state: 'CA', zip: expect.stringMatching(/^946\d\d$/) });
  });

  it('returns null when Google finds nothing', async () => {
    expect(await geocoder().geocode('asdfgh')).toBeNull();
  });

  it('reports an outage (quota, key) as GeocoderUnavailableError rather than "address not found"', async () => {
    await expect(geocoder().geocode('quota please')).rejects.toBeInstanceOf(GeocoderUnavailableError);
  });
});
