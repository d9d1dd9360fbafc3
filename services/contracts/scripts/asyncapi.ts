// Writes docs/asyncapi.json from the contracts (`npm run asyncapi`); `--check` fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildAsyncApi } from '../src/asyncapi.ts';

const root = resolve(import.meta.dirname, '../../..');
const target = resolve(root, 'docs/asyncapi.json');
const version = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')).version as string;
const text = `${JSON.stringify(buildAsyncApi(version), null, 2)}\n`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current !== text) {
    console.error('docs/asyncapi.json is not current: run `npm run asyncapi` and commit it.');
    process.exit(1);
  }
  console.log('docs/asyncapi.json is current');
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
