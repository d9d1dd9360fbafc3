// Builds a Node image's file tree WITHOUT Docker, by carrying out its Dockerfile step by step in
// a temporary folder, then starts its command against the machine's Postgres and NATS and waits
// for its health endpoint (or, for setup, for a zero exit). For machines with no container
// engine: it checks what `docker build` + `docker run` would, except the base image itself (the
// machine's Node 24 stands in for the image's).
//
//   node services/deploy-check/scripts/dry-build.ts intake [--port 19101] [--keep]
//
// --port runs it on another port (the image's port variable overridden, as compose or a pod
// spec would), for when the usual one is taken on this machine.
// How a step is carried out: FROM starts an empty folder (or a copy of an earlier stage), COPY
// copies from the repository (minus .dockerignore) or from an earlier stage, keeping symlinks,
// RUN runs under sh with the stage's absolute paths mapped into its folder, ENV and WORKDIR are
// remembered. Flags such as RUN --mount are ignored. Environment for the command: the image's ENV,
// then DATABASE_URL / NATS_URL / APP_ENV from this process (defaults: the local services).
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { dirname, join, relative } from 'node:path';
import { deployable } from '../src/deployables.ts';
import { dockerignoreRules, isIgnored } from '../src/dockerignore.ts';
import { parseDockerfile, type Stage } from '../src/dockerfile.ts';
import { REPO_ROOT } from '../src/repo.ts';

interface StageState {
  readonly root: string;
  workdir: string;
  env: Map<string, string>;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { port: { type: 'string' }, keep: { type: 'boolean', default: false } },
});
const [name] = positionals;
if (!name) {
  console.error('Usage: node services/deploy-check/scripts/dry-build.ts <deployable> [--port N] [--keep]');
  process.exit(2);
}
const target = deployable(name);
if (target.kind === 'ui') {
  console.error(
    'UI images end in nginx: build them with `npm run build -w <ui>` and check nginx separately.',
  );
  process.exit(2);
}
const keep = values.keep;
const dockerfile = parseDockerfile(`${target.folder}/Dockerfile`);
const rules = dockerignoreRules();
const work = mkdtempSync(join(tmpdir(), `dry-build-${name}-`));
const stages = new Map<string, StageState>();

function inStage(stage: StageState, path: string): string {
  return join(stage.root, path.startsWith('/') ? path : join(stage.workdir, path));
}

function copyContext(source: string, destination: string): void {
  const from = join(REPO_ROOT, source);
  if (lstatSync(from).isDirectory()) {
    mkdirSync(destination, { recursive: true });
    for (const entry of readdirSync(from)) {
      const path = relative(REPO_ROOT, join(from, entry));
      if (!isIgnored(path, rules)) copyContext(path, join(destination, entry));
    }
  } else {
    mkdirSync(dirname(destination), { recursive: true });
    cpSync(from, destination);
  }
}

function copyStage(from: StageState, source: string, destination: string): void {
  cpSync(join(from.root, source), destination, { recursive: true, verbatimSymlinks: true });
}

function run(stage: StageState, command: string): void {
  // The stage's absolute paths (/app, /src, /manifests, ...) live under its folder.
  const absolute = /(^|[\s"'=#(])\/(app|src|manifests|sources)\b/g;
  const mapped = command.replace(
    absolute,
    (_match, before: string, top: string) => `${before}${stage.root}/${top}`,
  );
  mkdirSync(inStage(stage, '.'), { recursive: true });
  const result = spawnSync('sh', ['-c', mapped], {
    cwd: inStage(stage, '.'),
    env: { ...process.env, ...Object.fromEntries(stage.env) },
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`RUN failed (${String(result.status)}): ${command}`);
}

function build(): StageState {
  let current: StageState | undefined;
  dockerfile.stages.forEach((stage: Stage, index) => {
    const base = stages.get(stage.image);
    const root = join(work, `stage-${String(index)}-${stage.name ?? 'final'}`);
    if (base) cpSync(base.root, root, { recursive: true, verbatimSymlinks: true });
    else mkdirSync(root, { recursive: true });
    const state: StageState = { root, workdir: base?.workdir ?? '/', env: new Map(base?.env) };
    for (const step of stage.steps) {
      if (step.keyword === 'WORKDIR') state.workdir = step.args;
      else if (step.keyword === 'ENV') {
        for (const [, key, value] of step.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) {
          if (key && value) state.env.set(key, value);
        }
      } else if (step.keyword === 'COPY') {
        const [source = '', destination = ''] = step.args.split(/\s+/);
        const from = step.flags.get('from');
        const to = inStage(state, destination);
        if (from) {
          const fromStage = stages.get(from);
          if (!fromStage) throw new Error(`COPY --from=${from}: no such stage`);
          copyStage(fromStage, source, to);
        } else if (step.heredocs.length > 0) writeFileSync(to, step.heredocs.join('\n'));
        else copyContext(source === '.' ? '' : source, to);
      } else if (step.keyword === 'RUN') run(state, step.args);
    }
    stages.set(stage.name ?? `#${String(index)}`, state);
    current = state;
  });
  if (!current) throw new Error('no stage');
  return current;
}

/** Polls until the URL answers 2xx (or, with anyAnswer, answers at all: the process listens). */
async function waitForHealth(
  url: string,
  child: ReturnType<typeof spawn>,
  anyAnswer: boolean,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited (${String(child.exitCode ?? child.signalCode)}) before it was healthy`);
    }
    try {
      const response = await fetch(url);
      if (response.ok || anyAnswer) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${url} did not answer 2xx within 30 s`);
}

async function main(): Promise<void> {
  console.log(`dry build of ${dockerfile.path} in ${work}`);
  const image = build();
  const cmd = dockerfile.stages
    .at(-1)
    ?.steps.filter((step) => step.keyword === 'CMD')
    .at(-1)?.execForm;
  if (!cmd || cmd.length === 0) throw new Error('no exec-form CMD');
  const appRoot = inStage(image, '.');
  console.log(`image tree: ${appRoot}`);
  for (const top of readdirSync(appRoot)) console.log(`  ${top}`);
  const port = values.port ?? String(target.port);
  const imageEnv = Object.fromEntries(
    [...image.env].map(([key, value]) => [key, value === String(target.port) ? port : value]),
  );
  const env = {
    PATH: process.env['PATH'] ?? '',
    HOME: tmpdir(),
    APP_ENV: process.env['APP_ENV'] ?? 'development',
    DATABASE_URL: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/trades',
    NATS_URL: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222',
    ...imageEnv,
  };
  const [command = '', ...args] = cmd;
  const child = spawn(command, args, { cwd: appRoot, env, stdio: 'inherit' });
  if (target.kind === 'setup') {
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`setup exited with ${String(code)}`);
    console.log('setup exited 0');
    return;
  }
  const path = target.livePath ?? '/';
  try {
    await waitForHealth(`http://127.0.0.1:${port}${path}`, child, target.livePath === undefined);
    console.log(`healthy: GET ${path} on ${port} answered ${target.livePath ? '2xx' : '(listening)'}`);
  } finally {
    const exited = new Promise<string>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null)
        resolve(String(child.exitCode ?? child.signalCode));
      else child.on('exit', (code, signal) => resolve(String(code ?? signal)));
    });
    child.kill('SIGTERM');
    const outcome = await exited;
    console.log(`stopped on SIGTERM: ${outcome === '0' ? 'exit code 0 (graceful)' : outcome}`);
    if (outcome !== '0') process.exitCode = 1;
  }
}

main()
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  })
  .finally(() => {
    if (!keep && existsSync(work)) rmSync(work, { recursive: true, force: true });
  });
