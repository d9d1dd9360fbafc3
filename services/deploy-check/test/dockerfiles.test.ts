import { describe, expect, it } from '@jest/globals';
import { NODE_FLAGS } from '@trades/runtime/client';
import { DEPLOYABLES, deployable, type Deployable } from '../src/deployables.ts';
import { dockerignoreRules, isIgnored } from '../src/dockerignore.ts';
import {
  finalStage,
  parseDockerfile,
  resolvedImage,
  stepsOf,
  type ParsedDockerfile,
  type Stage,
} from '../src/dockerfile.ts';
import { record, text } from '../src/guards.ts';
import { importClosure } from '../src/imports.ts';
import { existsInRepo, findFilesNamed, readRepoFile } from '../src/repo.ts';
import { runtimeWorkspaceFolders, workspaces } from '../src/workspaces.ts';

const NODE_BUILT = DEPLOYABLES.filter(({ kind }) => kind !== 'ui');
const UIS = DEPLOYABLES.filter(({ kind }) => kind === 'ui');
const rules = dockerignoreRules();
const allWorkspaces = workspaces();

function dockerfileOf(target: Deployable): ParsedDockerfile {
  return parseDockerfile(`${target.folder}/Dockerfile`);
}

/** The ENV values of a stage, for resolving `${VAR}` in its health check. */
function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const step of stepsOf(stage, 'ENV')) {
    for (const [, name, value] of step.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) {
      if (name && value) env.set(name, value);
    }
  }
  return env;
}

/** The stage that installs the npm dependencies, and the workspaces its install names. */
function installStep(dockerfile: ParsedDockerfile): { stage: Stage; command: string; workspaces: string[] } {
  for (const stage of dockerfile.stages) {
    const run = stepsOf(stage, 'RUN').find((step) => /\bnpm (install|ci)\b/.test(step.args));
    if (run) {
      const installed = [...run.args.matchAll(/--workspace[ =](\S+)/g)].map(([, folder]) => folder ?? '');
      return { stage, command: run.args, workspaces: installed };
    }
  }
  throw new Error(`${dockerfile.path}: no npm install`);
}

/** What the final stage copies from the build context (not from other stages, not here-documents). */
function contextCopies(stage: Stage): { source: string; destination: string }[] {
  return stepsOf(stage, 'COPY')
    .filter((step) => !step.flags.has('from') && step.heredocs.length === 0)
    .map((step) => {
      const [source = '', destination = ''] = step.args.split(/\s+/);
      return { source, destination };
    });
}

/**
 * The folders of the repository that end up in a Node image: what the final stage copies from the
 * context, plus what its `sources` stage keeps — the folders of the workspaces npm linked into
 * node_modules/@trades, i.e. the installed workspaces and the workspaces they depend on.
 */
function imageFolders(dockerfile: ParsedDockerfile): string[] {
  const final = finalStage(dockerfile);
  const folders = contextCopies(final).map(({ source }) => source);
  const sourcesStage = dockerfile.stages.find((stage) => stage.name === 'sources');
  if (sourcesStage && stepsOf(final, 'COPY').some((step) => step.flags.get('from') === 'sources')) {
    const available = contextCopies(sourcesStage).map(({ source }) => source);
    const linked = installStep(dockerfile).workspaces.flatMap((folder) =>
      runtimeWorkspaceFolders(folder, allWorkspaces),
    );
    for (const folder of linked) {
      if (!available.some((top) => folder === top || folder.startsWith(`${top}/`))) {
        throw new Error(
          `${dockerfile.path}: workspace ${folder} is linked but the sources stage does not copy it`,
        );
      }
    }
    folders.push(...linked);
  }
  return folders;
}

/** The TypeScript files the image's command runs with node. */
function entryFiles(stage: Stage): string[] {
  const cmd = stepsOf(stage, 'CMD').at(-1)?.execForm ?? [];
  return [...cmd.join(' ').matchAll(/\bnode (?:--\S+ )*(\S+\.ts)\b/g)].map(([, file]) => file ?? '');
}

describe('Dockerfiles', () => {
  it('has exactly one Dockerfile per deployable, in its own folder', () => {
    const expected = DEPLOYABLES.map(({ folder }) => `${folder}/Dockerfile`).sort();
    expect(findFilesNamed('Dockerfile')).toEqual(expected);
  });

  it.each(DEPLOYABLES.map(({ name }) => name))('%s: is multi-stage and pins its base images', (name) => {
    const dockerfile = dockerfileOf(deployable(name));
    expect(readRepoFile(dockerfile.path).startsWith('# syntax=docker/dockerfile:1\n')).toBe(true);
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile.stages) {
      const image = resolvedImage(dockerfile, stage);
      const stageNames = dockerfile.stages.map((candidate) => candidate.name);
      if (stageNames.includes(image)) continue;
      expect(image).toMatch(/^(node:24-(alpine|slim)|nginxinc\/nginx-unprivileged:\d+\.\d+-alpine)$/);
    }
  });

  it.each(DEPLOYABLES.map(({ name }) => name))('%s: runs as a non-root user', (name) => {
    const users = stepsOf(finalStage(dockerfileOf(deployable(name))), 'USER');
    const user = users.at(-1)?.args.split(':')[0];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
  });

  it.each(DEPLOYABLES.filter(({ kind }) => kind !== 'setup').map(({ name }) => name))(
    '%s: exposes its port and checks its own health there',
    (name) => {
      const target = deployable(name);
      const stage = finalStage(dockerfileOf(target));
      expect(stepsOf(stage, 'EXPOSE').map((step) => step.args)).toEqual([String(target.port)]);
      const [healthcheck, ...more] = stepsOf(stage, 'HEALTHCHECK');
      expect(more).toEqual([]);
      const env = envOf(stage);
      const command = (healthcheck?.args ?? '').replace(
        /\$\{([A-Za-z_]+)\}|process\.env\.([A-Za-z_]+)/g,
        (match, braced: string | undefined, fromNode: string | undefined) =>
          env.get(braced ?? fromNode ?? '') ?? match,
      );
      expect(command).toMatch(/^(--\S+\s+)*CMD /);
      expect(command).toContain(String(target.port));
      if (target.livePath)
        expect(command).toContain(`http://127.0.0.1:${String(target.port)}${target.livePath}`);
    },
  );

  it('setup: is a one-shot that declares no health check, and runs provisioning then migrations', () => {
    const stage = finalStage(dockerfileOf(deployable('setup')));
    expect(stepsOf(stage, 'HEALTHCHECK').map((step) => step.args)).toEqual(['NONE']);
    expect(entryFiles(stage)).toEqual(['scripts/provision.ts', 'scripts/migrate.ts']);
    expect(stepsOf(stage, 'CMD').at(-1)?.execForm?.join(' ')).toContain(
      'provision.ts && node scripts/migrate.ts',
    );
  });

  it.each(DEPLOYABLES.map(({ name }) => name))('%s: bakes no secret into the image', (name) => {
    for (const stage of dockerfileOf(deployable(name)).stages) {
      for (const key of envOf(stage).keys())
        expect(key).not.toMatch(/SECRET|TOKEN|PASSWORD|_KEY$|DATABASE_URL/);
    }
  });
});

describe('Node images: production dependencies and the sources they run', () => {
  it.each(NODE_BUILT.map(({ name }) => name))(
    '%s: installs production dependencies only, without the development Node binary',
    (name) => {
      const { stage, command } = installStep(dockerfileOf(deployable(name)));
      expect(stage).not.toBe(finalStage(dockerfileOf(deployable(name))));
      expect(command).toContain('--omit=dev');
      expect(command).toContain('--omit=optional');
      expect(command).toContain('--include-workspace-root=false');
      expect(command).toContain('--ignore-scripts');
    },
  );

  it.each(NODE_BUILT.map(({ name }) => name))(
    "%s: its command runs node, with the platform's Node flags, on files that exist",
    (name) => {
      const target = deployable(name);
      const stage = finalStage(dockerfileOf(target));
      const entries = entryFiles(stage);
      expect(entries.length).toBeGreaterThan(0);
      if (target.main) {
        expect(stepsOf(stage, 'CMD').at(-1)?.execForm).toEqual(['node', ...NODE_FLAGS, target.main]);
      }
      for (const entry of entries) expect(existsInRepo(entry)).toBe(true);
    },
  );

  it.each(NODE_BUILT.map(({ name }) => name))(
    '%s: copies every source file its command loads, none of them left out by .dockerignore',
    (name) => {
      const dockerfile = dockerfileOf(deployable(name));
      const stage = finalStage(dockerfile);
      for (const { source, destination } of contextCopies(stage)) expect(destination).toBe(source);
      const folders = imageFolders(dockerfile);
      const inImage = (file: string): boolean =>
        folders.some((folder) => file === folder || file.startsWith(`${folder}/`)) && !isIgnored(file, rules);
      for (const entry of entryFiles(stage)) {
        const closure = importClosure(entry, allWorkspaces);
        expect(closure.unresolved).toEqual([]);
        expect([...closure.files].filter((file) => !inImage(file))).toEqual([]);
      }
    },
  );

  it.each(NODE_BUILT.map(({ name }) => name))(
    '%s: every npm package its command loads is a declared dependency of a workspace it installs',
    (name) => {
      const dockerfile = dockerfileOf(deployable(name));
      const installed = installStep(dockerfile).workspaces;
      expect(installed.length).toBeGreaterThan(0);
      const folders = new Set(installed.flatMap((folder) => runtimeWorkspaceFolders(folder, allWorkspaces)));
      const declared = new Set(
        allWorkspaces.filter(({ folder }) => folders.has(folder)).flatMap(({ dependencies }) => dependencies),
      );
      for (const entry of entryFiles(finalStage(dockerfile))) {
        const missing = [...importClosure(entry, allWorkspaces).packages].filter(
          (name) => !declared.has(name),
        );
        expect(missing).toEqual([]);
      }
    },
  );

  it.each(NODE_BUILT.filter(({ kind }) => kind !== 'setup').map(({ name }) => name))(
    '%s: installs its own workspace',
    (name) => {
      expect(installStep(dockerfileOf(deployable(name))).workspaces).toEqual([deployable(name).folder]);
    },
  );
});

describe('UI images: Angular build served by unprivileged nginx', () => {
  function nginxConfig(target: Deployable): string {
    const heredocs = finalStage(dockerfileOf(target)).steps.flatMap((step) => step.heredocs);
    expect(heredocs).toHaveLength(1);
    return heredocs[0] ?? '';
  }

  it.each(UIS.map(({ name }) => name))(
    '%s: serves the Angular build output named in angular.json',
    (name) => {
      const target = deployable(name);
      const angular = record(JSON.parse(readRepoFile(`${target.folder}/angular.json`)), 'angular.json');
      const project = record(record(angular['projects'], 'projects')[name], `projects.${name}`);
      const outputPath = text(
        record(record(record(project['architect'], 'architect')['build'], 'build')['options'], 'options')[
          'outputPath'
        ],
        'outputPath',
      );
      const fromBuild = finalStage(dockerfileOf(target)).steps.find(
        (step) => step.flags.get('from') === 'build',
      );
      expect(fromBuild?.args).toBe(`/app/${target.folder}/${outputPath}/browser /usr/share/nginx/html`);
    },
  );

  it.each(UIS.map(({ name }) => name))(
    '%s: listens on its port, falls back to index.html, proxies /api/',
    (name) => {
      const target = deployable(name);
      const config = nginxConfig(target);
      expect(config).toContain(`listen ${String(target.port)};`);
      expect(config).toMatch(/location \/ \{[^}]*try_files \$uri \$uri\/ \/index\.html;/);
      expect(config).toMatch(/location \/api\/ \{[^}]*proxy_pass http:\/\/gateway:8000;/);
      expect(config).toMatch(/location = \/healthz \{[^}]*return 200/);
    },
  );

  it.each(UIS.map(({ name }) => name))(
    '%s: builds with its dev dependencies in a stage that does not ship',
    (name) => {
      const dockerfile = dockerfileOf(deployable(name));
      const { stage, command, workspaces: installed } = installStep(dockerfile);
      expect(installed).toEqual([deployable(name).folder]);
      expect(command).not.toContain('--omit=dev');
      expect(
        stepsOf(stage, 'RUN').some((step) => step.args.includes(`npm run build --workspace ${name}`)),
      ).toBe(true);
      expect(resolvedImage(dockerfile, finalStage(dockerfile))).toMatch(/^nginxinc\/nginx-unprivileged:/);
    },
  );
});

describe('.dockerignore', () => {
  it('keeps installed, built, secret and test files out of every build context', () => {
    for (const path of [
      'node_modules/typebox/package.json',
      'services/intake/node_modules/x',
      'admin-ui/dist/admin-ui/browser/index.html',
      '.git/HEAD',
      '.env',
      'services/intake/test/booking.test.ts',
    ]) {
      expect(isIgnored(path, rules)).toBe(true);
    }
  });

  it('keeps what the builds need', () => {
    for (const path of [
      'package.json',
      'package-lock.json',
      '.npmrc',
      'tsconfig.base.json',
      'scripts/migrate.ts',
    ]) {
      expect(isIgnored(path, rules)).toBe(false);
    }
  });
});

describe('the list of deployables', () => {
  it('has every service that scripts/lib/services.ts starts and migrates, on the same port', () => {
    const source = readRepoFile('scripts/lib/services.ts');
    const listed = [...source.matchAll(/\{\s*dir:\s*'([^']+)'[^}]*httpPort:\s*(\d+)\s*\}/g)].map(
      ([, dir, port]) => ({
        name: dir,
        port: Number(port),
      }),
    );
    expect(listed.length).toBeGreaterThan(0);
    const known = DEPLOYABLES.filter(({ kind }) => kind === 'service').map(({ name, port }) => ({
      name,
      port,
    }));
    expect(known).toEqual(listed);
  });
});
