// The `zipcodes` package ships no types; this declares the part the offline geocoder uses.
declare module 'zipcodes' {
  interface ZipCodeRecord {
    zip: string;
    latitude: number;
    longitude: number;
    city: string;
    state: string;
    country: string;
  }
  interface ZipCodes {
    lookup(zip: string): ZipCodeRecord | undefined;
    lookupByName(city: string, state: string): ZipCodeRecord[];
    states: { full: Record<string, string>; abbr: Record<string, string> };
  }
  const zipcodes: ZipCodes;
  export default zipcodes;
}
