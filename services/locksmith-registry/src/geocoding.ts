/**
 * What the registry needs from a geocoder; `@trades/geo`'s Geocoder satisfies it. Kept as a port so
 * the service never depends on which adapter (Google, offline ZIP data) places an address.
 */
export interface AddressGeocoder {
  geocode(address: string): Promise<{ formatted: string; lat: number; lng: number; zip: string } | null>;
}
