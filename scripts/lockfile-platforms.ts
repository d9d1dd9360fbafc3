// Gives package-lock.json an entry for every platform build of a native package that the registry this
// lockfile was made against does not serve (the mirror here has only the Linux builds). Without them
// `npm ci` refuses the lockfile as "out of sync". The entries are optional and gated by os/cpu/libc, so
// npm skips them on other platforms without fetching; on a platform that needs one, npm fetches it by
// name and version. Run after `npm install`: `node scripts/lockfile-platforms.ts`.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
/** Packages whose optional dependencies are per-platform builds. */
const NATIVE_PARENTS = ['@swc/core', 'unrs-resolver'];

const OSES = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openharmony'];
const CPUS = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'loong64', 'riscv64'];
const LIBC: Record<string, string> = { gnu: 'glibc', gnueabihf: 'glibc', musl: 'musl', musleabihf: 'musl' };

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

function platformOf(name: string): Pick<LockEntry, 'os' | 'cpu' | 'libc'> | undefined {
  const parts = name.split('/').pop()?.split('-') ?? [];
  for (let i = 0; i < parts.length - 1; i++) {
    const os = parts[i];
    const cpu = parts[i + 1];
    if (os && cpu && OSES.includes(os) && CPUS.includes(cpu)) {
      const libc = LIBC[parts[i + 2] ?? ''];
      return { os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) };
    }
  }
  return undefined;
}

const path = resolve(ROOT, 'package-lock.json');
const lock = JSON.parse(readFileSync(path, 'utf8')) as { packages: Record<string, LockEntry> };
let added = 0;
for (const parent of NATIVE_PARENTS) {
  const entry = lock.packages[`node_modules/${parent}`];
  for (const [name, version] of Object.entries(entry?.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key]) continue;
    const platform = platformOf(name);
    if (!platform) throw new Error(`cannot tell the platform of ${name}; add it by hand`);
    lock.packages[key] = { version, ...platform, ...(entry?.dev ? { dev: true } : {}), optional: true };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} platform entries added`);
