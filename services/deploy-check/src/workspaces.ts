// The npm workspaces, and which of them a workspace needs at run time.
import { readdirSync } from 'node:fs';
import { existsInRepo, readRepoFile, repoPath } from './repo.ts';
import { record, text, type Dict } from './guards.ts';

export interface Workspace {
  readonly name: string;
  readonly folder: string;
  readonly dependencies: readonly string[];
}

function readManifest(folder: string): Dict {
  return record(JSON.parse(readRepoFile(`${folder}/package.json`)), `${folder}/package.json`);
}

export function workspaces(): Workspace[] {
  const folders = [
    ...readdirSync(repoPath('services')).map((name) => `services/${name}`),
    'gateway',
    'admin-ui',
    'customer-ui',
  ].filter((folder) => existsInRepo(`${folder}/package.json`));
  return folders.map((folder) => {
    const manifest = readManifest(folder);
    const dependencies =
      manifest['dependencies'] === undefined ? {} : record(manifest['dependencies'], folder);
    return {
      name: text(manifest['name'], `${folder} name`),
      folder,
      dependencies: Object.keys(dependencies),
    };
  });
}

/** The folders of the workspaces a workspace depends on at run time, directly or not, itself included. */
export function runtimeWorkspaceFolders(folder: string, all: readonly Workspace[] = workspaces()): string[] {
  const byName = new Map(all.map((workspace) => [workspace.name, workspace]));
  const start = all.find((workspace) => workspace.folder === folder);
  if (!start) throw new Error(`${folder} is not a workspace`);
  const seen = new Set<string>();
  const visit = (workspace: Workspace): void => {
    if (seen.has(workspace.folder)) return;
    seen.add(workspace.folder);
    for (const dependency of workspace.dependencies) {
      const inRepo = byName.get(dependency);
      if (inRepo) visit(inRepo);
    }
  };
  visit(start);
  return [...seen].sort();
}
