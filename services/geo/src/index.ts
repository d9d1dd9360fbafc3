import { GoogleGeocoder } from './google-geocoder.ts';
import { UsZipGeocoder } from './us-zip-geocoder.ts';
import type { Geocoder } from './geocoder.ts';

export type { GeocodedAddress, Geocoder, LatLng } from './geocoder.ts';
export { distanceKm, isValidLatLng } from './geocoder.ts';
export { GoogleGeocoder, GeocoderUnavailableError } from './google-geocoder.ts';
export type { GoogleGeocoderOptions } from './google-geocoder.ts';
export { UsZipGeocoder } from './us-zip-geocoder.ts';
export { usZips, type ZipRecord } from './us-zips.ts';

export interface GeocoderEnvironment {
  GOOGLE_MAPS_API_KEY?: string | undefined;
  /** Optional override of Google's geocoding endpoint (a local stand-in in tests). */
  GOOGLE_MAPS_GEOCODE_URL?: string | undefined;
}

/** Google Maps when a key is configured; otherwise the offline US ZIP / city geocoder. */
export function createGeocoder(env: GeocoderEnvironment = process.env): Geocoder {
  const apiKey = env.GOOGLE_MAPS_API_KEY?.trim();
  if (apiKey) {
    const url = env.GOOGLE_MAPS_GEOCODE_URL?.trim();
    return new GoogleGeocoder({ apiKey, ...(url ? { url } : {}) });
  }
  return new UsZipGeocoder();
}
