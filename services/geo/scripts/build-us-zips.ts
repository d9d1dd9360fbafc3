// Writes services/geo/data/us-zips.tsv from the `zipcodes` package (run after upgrading it):
//   npm run build:zips -w @trades/geo
// A test checks the file still matches the package.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { US_ZIPS_FILE } from '../src/us-zips.ts';
import { usZipLines } from './us-zip-lines.ts';

const lines = usZipLines();
writeFileSync(US_ZIPS_FILE, lines.join('\n') + '\n');
console.log(`wrote ${lines.length - 1} ZIP codes to ${fileURLToPath(US_ZIPS_FILE)}`);
