import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { UsZipGeocoder, createGeocoder, distanceKm } from '../src/index.ts';
import { US_ZIPS_FILE, usZips } from '../src/us-zips.ts';
import { usZipLines } from '../scripts/us-zip-lines.ts';

describe('offline US geocoder', () => {
  const geocoder = new UsZipGeocoder();

  it('places a street address by its ZIP code and formats it as "<street>, City, ST ZIP"', async () => {
    const placed = await geocoder.geocode('500 Howard St, San Francisco, CA 94105');
    expect(placed).toEqual({
      formatted: '500 Howard St, San Francisco, CA 94105',
      lat: expect.any(Number),
      lng: expect.any(Number),
      zip: '94105',
      city: 'San Francisco',
      state: 'CA',
    });
    expect(distanceKm(placed!, { lat: 37.79, lng: -122.39 })).toBeLessThan(5);
  });

  it('prefers the trailing ZIP over a five-digit house number and accepts ZIP+4 and a country', async () => {
    const placed = await geocoder.geocode('12345 Main St, San Francisco, CA 94105-1234, USA');
    expect(placed?.zip).toBe('94105');
    expect(placed?.formatted).toBe('12345 Main St, San Francisco, CA 94105');
  });

  it('places a bare ZIP code', async () => {
    expect((await geocoder.geocode('  94105 '))?.formatted).toBe('San Francisco, CA 94105');
  });

  it('places "City, ST" and "City, State" without a ZIP code', async () => {
    const byCode = await geocoder.geocode('oakland, ca');
    expect(byCode).toMatchObject({
      city: 'Oakland',
      state: 'CA',
      formatted: expect.stringMatching(/^Oakland, CA \d{5}$/),
    });
    const byName = await geocoder.geocode('1 Elm St, Manchester, New Hampshire');
    expect(byName).toMatchObject({ city: 'Manchester', state: 'NH' });
    expect(byName?.formatted).toMatch(/^1 Elm St, Manchester, NH \d{5}$/);
    const noComma = await geocoder.geocode('Berkeley California');
    expect(noComma).toMatchObject({ city: 'Berkeley', state: 'CA' });
  });

  it('uses a nearby hint to choose the ZIP and refine the point, and ignores a far or invalid one', async () => {
    const mission = { lat: 37.76, lng: -122.42 };
    const placed = await geocoder.geocode('San Francisco, CA', mission);
    expect(placed).toMatchObject({ zip: '94110', lat: mission.lat, lng: mission.lng });
    const farHint = await geocoder.geocode('94105', { lat: 40.7, lng: -74 });
    expect(distanceKm(farHint!, { lat: 40.7, lng: -74 })).toBeGreaterThan(1000);
    const invalidHint = await geocoder.geocode('94105', { lat: Number.NaN, lng: 500 });
    expect(invalidHint?.zip).toBe('94105');
  });

  it.each([
    ['text with no place in it', 'my house'],
    ['an unknown ZIP code', '99999'],
    ['a Canadian postal code', 'Ottawa ON K1A 0B1'],
    ['an unknown state', 'Springfield, ZZ'],
    ['a city that is not in the state', 'Oakland, NH'],
    ['an empty string', '   '],
    ['an absurdly long string', `1 Main St, ${'x'.repeat(5000)}, CA 94105`],
  ])('returns null for %s', async (_label, address) => {
    expect(await geocoder.geocode(address)).toBeNull();
  });

  it('is what createGeocoder picks when no Google key is configured', () => {
    expect(createGeocoder({}).name).toBe('us-zip');
    expect(createGeocoder({ GOOGLE_MAPS_API_KEY: '  ' }).name).toBe('us-zip');
    expect(createGeocoder({ GOOGLE_MAPS_API_KEY: 'key' }).name).toBe('google');
  });

  it('reads its ZIP codes from data/us-zips.tsv, which still matches the zipcodes package', () => {
    const expected = usZipLines();
    expect(readFileSync(US_ZIPS_FILE, 'utf8')).toBe(expected.join('\n') + '\n');
    expect(usZips().size).toBe(expected.length - 1);
    expect(usZips().lookup('94105')).toMatchObject({ zip: '94105', city: 'San Francisco', state: 'CA' });
    // ZIP codes with leading zeros (Massachusetts, Puerto Rico) keep them.
    expect(usZips().lookup('02108')).toMatchObject({ zip: '02108', state: 'MA' });
    expect(usZips().lookup('00000')).toBeNull();
  });
});
