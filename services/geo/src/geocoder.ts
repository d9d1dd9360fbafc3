/** A place the platform can serve: where it is, and the postal facts dispatch and analytics need. */
export interface GeocodedAddress {
  /** One line a customer recognises, e.g. "500 Howard St, San Francisco, CA 94105". */
  formatted: string;
  lat: number;
  lng: number;
  /** Five-digit US ZIP code. */
  zip: string;
  city: string;
  /** Two-letter state code. */
  state: string;
}

export interface LatLng {
  lat: number;
  lng: number;
}

/**
 * The port every caller uses. `hint` is where the caller believes the address is (the
 * browser's geolocation, say); an adapter may use it to choose between candidates or to
 * refine the point, never to invent an address. `null` means the address cannot be placed.
 */
export interface Geocoder {
  readonly name: string;
  geocode(address: string, hint?: LatLng): Promise<GeocodedAddress | null>;
}

const EARTH_RADIUS_KM = 6371;

/** Great-circle distance in kilometres. */
export function distanceKm(from: LatLng, to: LatLng): number {
  const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;
  const dLat = toRadians(to.lat - from.lat);
  const dLng = toRadians(to.lng - from.lng);
  const a =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(toRadians(from.lat)) * Math.cos(toRadians(to.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

export function isValidLatLng(point: LatLng): boolean {
  return (
    Number.isFinite(point.lat) &&
    Number.isFinite(point.lng) &&
    Math.abs(point.lat) <= 90 &&
    Math.abs(point.lng) <= 180
  );
}
