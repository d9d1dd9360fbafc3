import states from 'zipcodes/lib/states.js';
import { distanceKm, isValidLatLng } from './geocoder.ts';
import type { GeocodedAddress, Geocoder, LatLng } from './geocoder.ts';
import { usZips, type ZipRecord } from './us-zips.ts';

/** Longer than any real address; anything beyond is noise and not worth scanning. */
const MAX_ADDRESS_LENGTH = 300;
/** A hint this close to the ZIP or city's centre is taken as the more precise point. */
const HINT_TRUST_RADIUS_KM = 15;

const ZIP_PATTERN = /\b(\d{5})(?:-\d{4})?\b/g;
const TRAILING_COUNTRY = /[,\s]*\b(?:U\.?S\.?A?\.?|United States(?: of America)?)\s*$/i;

/**
 * Offline US geocoder on the `zipcodes` data set (data/us-zips.tsv): no key, no network. It places an address
 * by its 5-digit ZIP code, or by "City, ST" / "City, State" when there is no ZIP, at the
 * ZIP's centre. Street-level precision comes only from the caller's hint.
 */
export class UsZipGeocoder implements Geocoder {
  readonly name = 'us-zip';

  async geocode(address: string, hint?: LatLng): Promise<GeocodedAddress | null> {
    const trustedHint = hint && isValidLatLng(hint) ? hint : undefined;
    const cleaned = normaliseSpaces(address);
    if (cleaned.length === 0 || cleaned.length > MAX_ADDRESS_LENGTH) return null;
    const withoutCountry = cleaned.replace(TRAILING_COUNTRY, '');
    return placeByZip(withoutCountry, trustedHint) ?? placeByCityAndState(withoutCountry, trustedHint);
  }
}

function placeByZip(address: string, hint: LatLng | undefined): GeocodedAddress | null {
  // The ZIP is usually last; a 5-digit house number earlier in the line must not win.
  const matches = [...address.matchAll(ZIP_PATTERN)].reverse();
  for (const match of matches) {
    const record = lookupZip(match[1] ?? '');
    if (!record) continue;
    const before = address.slice(0, match.index);
    const after = address.slice(match.index + match[0].length);
    const street = stripPlaceNames(before, record) || stripPlaceNames(after, record);
    return toAddress(street, record, hint);
  }
  return null;
}

function placeByCityAndState(address: string, hint: LatLng | undefined): GeocodedAddress | null {
  const segments = address
    .split(',')
    .map((segment) => segment.trim())
    .filter((segment) => segment.length > 0);
  const last = segments.at(-1);
  if (!last) return null;

  // "…, San Francisco, CA" — the state is a segment of its own.
  const stateAlone = normaliseState(last);
  if (stateAlone && segments.length >= 2) {
    const city = segments.at(-2) ?? '';
    const record = chooseCityZip(city, stateAlone, hint);
    if (record) return toAddress(segments.slice(0, -2).join(', '), record, hint);
  }

  // "…, San Francisco CA" or "…, Manchester New Hampshire" — the state ends the last segment.
  const words = last.split(' ');
  for (let stateWords = Math.min(3, words.length - 1); stateWords >= 1; stateWords--) {
    const state = normaliseState(words.slice(-stateWords).join(' '));
    if (!state) continue;
    const record = chooseCityZip(words.slice(0, -stateWords).join(' '), state, hint);
    if (record) return toAddress(segments.slice(0, -1).join(', '), record, hint);
  }
  return null;
}

function lookupZip(zip: string): ZipRecord | null {
  return usZips().lookup(zip);
}

/** The city's ZIP nearest the hint, else the one nearest the city's centre. */
function chooseCityZip(city: string, state: string, hint: LatLng | undefined): ZipRecord | null {
  if (city.length === 0 || /\d/.test(city)) return null;
  const records = usZips().inCity(city, state);
  if (records.length === 0) return null;
  const centre = {
    lat: records.reduce((sum, record) => sum + record.lat, 0) / records.length,
    lng: records.reduce((sum, record) => sum + record.lng, 0) / records.length,
  };
  const target = hint && distanceKm(hint, centre) <= HINT_TRUST_RADIUS_KM * 3 ? hint : centre;
  return records.reduce((best, record) =>
    distanceKm(record, target) < distanceKm(best, target) ? record : best,
  );
}

function toAddress(streetPart: string, record: ZipRecord, hint: LatLng | undefined): GeocodedAddress {
  const street = streetPart.replace(/^[\s,]+|[\s,]+$/g, '');
  const place = `${record.city}, ${record.state} ${record.zip}`;
  const point = hint && distanceKm(hint, record) <= HINT_TRUST_RADIUS_KM ? hint : record;
  return {
    formatted: street ? `${street}, ${place}` : place,
    lat: point.lat,
    lng: point.lng,
    zip: record.zip,
    city: record.city,
    state: record.state,
  };
}

/** Drops a trailing state and city (as the customer typed them) so they are not repeated. */
function stripPlaceNames(text: string, record: ZipRecord): string {
  let rest = text.replace(/^[\s,]+|[\s,]+$/g, '');
  const stateName = states.abbr[record.state] ?? '';
  for (const name of [record.state, stateName, record.city]) {
    if (!name) continue;
    const trailing = new RegExp(`(?:^|[\\s,])${escapeRegExp(name)}$`, 'i');
    rest = rest.replace(trailing, '').replace(/[\s,]+$/g, '');
  }
  return rest;
}

/** "ca", "CA", "California" → "CA"; anything else → null. */
function normaliseState(text: string): string | null {
  const upper = text.replace(/\./g, '').trim().toUpperCase();
  if (upper.length === 2) return upper in states.abbr ? upper : null;
  return states.full[upper] ?? null;
}

function normaliseSpaces(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
