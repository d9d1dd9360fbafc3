// The files and npm packages a Node entry point loads: relative imports followed file by file,
// `@trades/*` workspace packages followed into their sources, every other bare specifier
// collected as a package the image must have installed. Type-only imports are erased by Node's
// type stripping and are not followed.
import { isBuiltin } from 'node:module';
import { dirname, join, normalize } from 'node:path';
import { existsInRepo, readRepoFile } from './repo.ts';
import { isRecord, record } from './guards.ts';
import { workspaces, type Workspace } from './workspaces.ts';

const STATIC_IMPORT =
  /(?:^|\n)[ \t]*(import|export)[ \t]+(type[ \t]+)?(?:[^;'"]*?[ \t\n}*]from[ \t]*)?['"]([^'"]+)['"]/g;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

export interface ImportClosure {
  /** Repository-relative paths of every source file loaded. */
  readonly files: ReadonlySet<string>;
  /** npm package names imported by those files (not workspaces, not Node built-ins). */
  readonly packages: ReadonlySet<string>;
  /** Imports that lead nowhere: a relative path with no file, a workspace with no entry. */
  readonly unresolved: readonly string[];
}

export function specifiersOf(source: string): string[] {
  const found: string[] = [];
  for (const [, keyword, typeOnly, specifier] of source.matchAll(STATIC_IMPORT)) {
    if (typeOnly || !specifier || !keyword) continue;
    found.push(specifier);
  }
  for (const [, specifier] of source.matchAll(DYNAMIC_IMPORT)) if (specifier) found.push(specifier);
  return found;
}

export function packageName(specifier: string): string {
  const [first = '', second = ''] = specifier.split('/');
  return first.startsWith('@') ? `${first}/${second}` : first;
}

export function importClosure(entry: string, all: readonly Workspace[] = workspaces()): ImportClosure {
  const byName = new Map(all.map((workspace) => [workspace.name, workspace]));
  const files = new Set<string>();
  const packages = new Set<string>();
  const unresolved: string[] = [];
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop();
    if (file === undefined || files.has(file)) continue;
    if (!existsInRepo(file)) {
      unresolved.push(file);
      continue;
    }
    files.add(file);
    if (!file.endsWith('.ts') && !file.endsWith('.js')) continue;
    for (const specifier of specifiersOf(readRepoFile(file))) {
      if (specifier.startsWith('.')) pending.push(normalize(join(dirname(file), specifier)));
      else if (isBuiltin(specifier)) continue;
      else {
        const workspace = byName.get(packageName(specifier));
        if (!workspace) packages.add(packageName(specifier));
        else {
          const target = workspaceEntry(workspace, specifier);
          if (target) pending.push(target);
          else unresolved.push(specifier);
        }
      }
    }
  }
  return { files, packages, unresolved };
}

/** The file a workspace import resolves to through the workspace's `exports` map. */
function workspaceEntry(workspace: Workspace, specifier: string): string | undefined {
  const manifest = record(JSON.parse(readRepoFile(`${workspace.folder}/package.json`)), workspace.folder);
  const subpath = `.${specifier.slice(workspace.name.length)}`;
  const exportsField = manifest['exports'];
  const target = isRecord(exportsField) ? exportsField[subpath] : subpath === '.' ? exportsField : undefined;
  const path =
    typeof target === 'string'
      ? target
      : isRecord(target)
        ? (target['import'] ?? target['default'])
        : undefined;
  return typeof path === 'string' ? normalize(join(workspace.folder, path)) : undefined;
}
