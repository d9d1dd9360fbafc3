import { Client, Status } from '@googlemaps/google-maps-services-js';
import type { AddressComponent, GeocodeResult } from '@googlemaps/google-maps-services-js';
import { distanceKm, isValidLatLng } from './geocoder.ts';
import type { GeocodedAddress, Geocoder, LatLng } from './geocoder.ts';
import { usZips } from './us-zips.ts';

/** The geocoding backend failed (quota, key, network): not the address's fault. */
export class GeocoderUnavailableError extends Error {
  override readonly name = 'GeocoderUnavailableError';
}

export interface GoogleGeocoderOptions {
  apiKey: string;
  /** Override of Google's endpoint, for tests against a local stand-in. */
  url?: string;
  timeoutMs?: number;
  client?: Client;
}

/** Degrees around a hint that Google is asked to prefer (about 10 km). */
const HINT_BIAS_DEGREES = 0.1;

/** Google Maps Geocoding, restricted to the United States. */
export class GoogleGeocoder implements Geocoder {
  readonly name = 'google';
  private readonly client: Client;
  private readonly options: GoogleGeocoderOptions;

  constructor(options: GoogleGeocoderOptions) {
    this.options = options;
    this.client = options.client ?? new Client({});
  }

  async geocode(address: string, hint?: LatLng): Promise<GeocodedAddress | null> {
    const trimmed = address.trim();
    if (trimmed.length === 0) return null;
    const bias = hint && isValidLatLng(hint) ? hint : undefined;
    let results: GeocodeResult[];
    try {
      const response = await this.client.geocode({
        ...(this.options.url ? { url: this.options.url } : {}),
        timeout: this.options.timeoutMs ?? 5000,
        params: {
          key: this.options.apiKey,
          address: trimmed,
          components: { country: 'US' },
          ...(bias
            ? {
                bounds: {
                  southwest: { lat: bias.lat - HINT_BIAS_DEGREES, lng: bias.lng - HINT_BIAS_DEGREES },
                  northeast: { lat: bias.lat + HINT_BIAS_DEGREES, lng: bias.lng + HINT_BIAS_DEGREES },
                },
              }
            : {}),
        },
      });
      if (response.data.status === Status.ZERO_RESULTS) return null;
      if (response.data.status !== Status.OK) {
        throw new GeocoderUnavailableError(`Google geocoding answered ${response.data.status}`);
      }
      results = response.data.results;
    } catch (error) {
      if (error instanceof GeocoderUnavailableError) throw error;
      if (isZeroResultsRejection(error)) return null;
      throw new GeocoderUnavailableError('Google geocoding request failed', { cause: error });
    }
    for (const result of results) {
      const placed = toGeocodedAddress(result);
      if (placed) return placed;
    }
    return null;
  }
}

function toGeocodedAddress(result: GeocodeResult): GeocodedAddress | null {
  const components = result.address_components;
  if (component(components, 'country')?.short_name !== 'US') return null;
  const location = result.geometry.location;
  const state = component(components, 'administrative_area_level_1')?.short_name;
  if (!state) return null;
  const city =
    component(components, 'locality')?.long_name ??
    component(components, 'sublocality')?.long_name ??
    component(components, 'postal_town')?.long_name ??
    component(components, 'administrative_area_level_3')?.long_name ??
    '';
  const zip = component(components, 'postal_code')?.short_name ?? nearestCityZip(city, state, location);
  if (!zip || !/^\d{5}$/.test(zip)) return null;
  return {
    formatted: result.formatted_address.replace(/, USA$/, ''),
    lat: location.lat,
    lng: location.lng,
    zip,
    city,
    state,
  };
}

function component(components: AddressComponent[], type: string): AddressComponent | undefined {
  return components.find((candidate) => candidate.types.some((candidateType) => candidateType === type));
}

/** A city-level result has no postal code; the city's ZIP nearest the point stands in. */
function nearestCityZip(city: string, state: string, point: LatLng): string | null {
  if (!city) return null;
  const records = usZips().inCity(city, state.toUpperCase());
  let best: { zip: string; distance: number } | null = null;
  for (const record of records) {
    const distance = distanceKm(point, record);
    if (!best || distance < best.distance) best = { zip: record.zip, distance };
  }
  return best?.zip ?? null;
}

/** The client rejects non-2xx answers; Google's "nothing found" is not an outage. */
function isZeroResultsRejection(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('response' in error)) return false;
  const response = error.response;
  if (typeof response !== 'object' || response === null || !('data' in response)) return false;
  const data = response.data;
  return typeof data === 'object' && data !== null && 'status' in data && data.status === Status.ZERO_RESULTS;
}
