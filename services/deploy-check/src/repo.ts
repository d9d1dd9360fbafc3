// Where the deployment artefacts are, relative to the repository root.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const NEVER_SEARCHED = new Set([
  'node_modules',
  '.git',
  'dist',
  '.angular',
  'coverage',
  '.data',
  'test-artifacts',
]);

export function repoPath(...segments: string[]): string {
  return join(REPO_ROOT, ...segments);
}

export function existsInRepo(path: string): boolean {
  return existsSync(repoPath(path));
}

export function readRepoFile(path: string): string {
  return readFileSync(repoPath(path), 'utf8');
}

/** Repository-relative paths of every file with this exact name, outside installed and built trees. */
export function findFilesNamed(fileName: string, under = ''): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (NEVER_SEARCHED.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name === fileName) found.push(relative(REPO_ROOT, path));
    }
  };
  walk(repoPath(under));
  return found.sort();
}

/** Repository-relative paths of every file under a folder whose name ends with one of the extensions. */
export function findFilesUnder(folder: string, extensions: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (extensions.some((extension) => name.endsWith(extension)))
        found.push(relative(REPO_ROOT, path));
    }
  };
  walk(repoPath(folder));
  return found.sort();
}
