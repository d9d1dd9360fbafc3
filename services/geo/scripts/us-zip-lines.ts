import zipcodes from 'zipcodes';

/** The file's lines: a header comment, then every US record of the package in its own order. */
export function usZipLines(): string[] {
  const lines = ['# zip\tlat\tlng\tcity\tstate — generated from the zipcodes package; do not edit'];
  for (const record of Object.values(zipcodes.codes)) {
    if (record.country !== 'US') continue;
    if (/[\t\n]/.test(record.city)) throw new Error(`ZIP ${record.zip}: a city name with a tab or newline`);
    lines.push([record.zip, record.latitude, record.longitude, record.city, record.state].join('\t'));
  }
  return lines;
}
