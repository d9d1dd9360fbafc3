import { readFileSync } from 'node:fs';

/** One US ZIP code's centre, as the offline geocoder uses it. */
export interface ZipRecord {
  zip: string;
  lat: number;
  lng: number;
  city: string;
  state: string;
}

export interface UsZipIndex {
  size: number;
  lookup(zip: string): ZipRecord | null;
  /** The ZIP codes of a city (any case) in a state (its abbreviation), in the file's order. */
  inCity(city: string, state: string): ZipRecord[];
}

/**
 * The US records of the `zipcodes` package, one `zip lat lng city state` line each (tab-separated),
 * written by `npm run build:zips -w @trades/geo`. Importing the package itself parses a 5 MB JavaScript
 * object literal and keeps ~70 MB of RSS in every process that imports the geocoder; this file is read
 * into a few typed arrays, and only once a process geocodes.
 */
export const US_ZIPS_FILE = new URL('../data/us-zips.tsv', import.meta.url);

export function parseUsZips(text: string): UsZipIndex {
  // Line by line with indexOf rather than split(): every piece is garbage at once, so parsing 42,000
  // lines does not grow the heap (and the RSS) by more than the arrays it keeps.
  let capacity = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) capacity++;
  const zips = new Int32Array(capacity + 1);
  const lat = new Float64Array(capacity + 1);
  const lng = new Float64Array(capacity + 1);
  const cityOf = new Int32Array(capacity + 1);
  const stateOf = new Uint8Array(capacity + 1);
  const cities: string[] = [];
  const cityIds = new Map<string, number>();
  const states: string[] = [];
  let size = 0;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    const [zip, latText, lngText, city, state] = line.split('\t');
    if (!zip || !/^\d{5}$/.test(zip) || !latText || !lngText || city === undefined || !state) {
      throw new Error(`bad line in ${US_ZIPS_FILE.pathname}: ${line}`);
    }
    zips[size] = Number(zip);
    lat[size] = Number(latText);
    lng[size] = Number(lngText);
    let cityId = cityIds.get(city);
    if (cityId === undefined) {
      cityId = cities.push(city) - 1;
      cityIds.set(city, cityId);
    }
    cityOf[size] = cityId;
    let stateId = states.indexOf(state);
    if (stateId < 0) stateId = states.push(state) - 1;
    stateOf[size] = stateId;
    size++;
  }
  const citiesUpper = cities.map((city) => city.toUpperCase());
  // Rows by ZIP for a binary search.
  const order = Int32Array.from({ length: size }, (_, i) => i).sort(
    (a, b) => (zips[a] ?? 0) - (zips[b] ?? 0),
  );
  const sortedZips = Int32Array.from(order, (i) => zips[i] ?? 0);

  const record = (i: number): ZipRecord => ({
    zip: String(zips[i]).padStart(5, '0'),
    lat: lat[i] ?? 0,
    lng: lng[i] ?? 0,
    city: cities[cityOf[i] ?? 0] ?? '',
    state: states[stateOf[i] ?? 0] ?? '',
  });
  return {
    size,
    lookup(zip) {
      if (!/^\d{5}$/.test(zip)) return null;
      const wanted = Number(zip);
      let low = 0;
      let high = size - 1;
      while (low <= high) {
        const mid = (low + high) >> 1;
        const value = sortedZips[mid] ?? 0;
        if (value === wanted) return record(order[mid] ?? 0);
        if (value < wanted) low = mid + 1;
        else high = mid - 1;
      }
      return null;
    },
    inCity(city, state) {
      const stateId = states.indexOf(state);
      const upper = city.toUpperCase();
      const wanted = new Set<number>();
      citiesUpper.forEach((name, id) => {
        if (name === upper) wanted.add(id);
      });
      const found: ZipRecord[] = [];
      if (stateId < 0 || wanted.size === 0) return found;
      for (let i = 0; i < size; i++) {
        if (stateOf[i] === stateId && wanted.has(cityOf[i] ?? -1)) found.push(record(i));
      }
      return found;
    },
  };
}

let loaded: UsZipIndex | undefined;

/** The index, read from disk on first use. */
export function usZips(): UsZipIndex {
  loaded ??= parseUsZips(readFileSync(US_ZIPS_FILE, 'utf8'));
  return loaded;
}
