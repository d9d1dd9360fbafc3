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
    codes: Record<string, ZipCodeRecord>;
    lookup(zip: string): ZipCodeRecord | undefined;
    lookupByName(city: string, state: string): ZipCodeRecord[];
    states: { full: Record<string, string>; abbr: Record<string, string> };
  }
  const zipcodes: ZipCodes;
  export default zipcodes;
}

// The package's small state-name table, imported alone: the package's main module loads every ZIP code.
declare module 'zipcodes/lib/states.js' {
  const states: { full: Record<string, string>; abbr: Record<string, string> };
  export default states;
}
