// The processes a scenario runs: each a real OS process (so its RSS is its own), its output kept in a
// log file under bench-results/logs/, stopped with SIGTERM (SIGKILL after a grace period).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { NODE_FLAGS } from '@trades/runtime/client';

export const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;
export const RESULTS_DIR = join(REPO_ROOT, 'bench-results');
export const LOG_DIR = join(RESULTS_DIR, 'logs');

export interface Managed {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<string>;
  /** The last lines it printed, for error messages. */
  tail(): string;
  onLine(listener: (line: string) => void): void;
  stop(): Promise<void>;
}

const running = new Set<Managed>();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `command` (a TypeScript entry point when it ends in .ts, run on this Node). */
export function launch(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Managed {
  mkdirSync(LOG_DIR, { recursive: true });
  const isScript = command.endsWith('.ts');
  const child = spawn(
    isScript ? process.execPath : command,
    isScript ? [...NODE_FLAGS, command, ...args] : args,
    {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid === undefined) throw new Error(`${name} did not start (${command})`);
  const log: WriteStream = createWriteStream(join(LOG_DIR, `${name}.log`));
  const lines: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  const feed = (stream: NodeJS.ReadableStream | null): void => {
    let buffer = '';
    stream?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        if (lines.length > 40) lines.shift();
        for (const listener of listeners) listener(line);
      }
    });
  };
  feed(child.stdout);
  feed(child.stderr);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      log.end();
      resolve(signal ?? `code ${code}`);
    }),
  );
  const managed: Managed = {
    name,
    pid: child.pid,
    child,
    exited,
    tail: () => lines.join('\n'),
    onLine: (listener) => void listeners.push(listener),
    stop: async () => {
      running.delete(managed);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(managed);
  return managed;
}

/** Runs a one-off step (provisioning, migrations, seeding) to completion. */
export async function runStep(name: string, script: string, env: NodeJS.ProcessEnv): Promise<void> {
  const step = launch(name, script, [], env);
  const outcome = await step.exited;
  if (outcome !== 'code 0') throw new Error(`${name} failed (${outcome}):\n${step.tail()}`);
}

/** Polls `url` until it answers 2xx; fails early if the process dies. */
export async function waitForHttp(process: Managed, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void process.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${process.name} exited before it was ready:\n${process.tail()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${process.name} not ready at ${url} after ${timeoutMs} ms:\n${process.tail()}`);
}

/** Stops every process still running, newest first. */
export async function stopAll(): Promise<void> {
  for (const managed of [...running].reverse()) await managed.stop();
}

/** Waits until the process prints a line matching `pattern`; fails early if it dies. */
export function waitForLine(managed: Managed, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${managed.name}: no ${pattern} after ${timeoutMs} ms:\n${managed.tail()}`)),
      timeoutMs,
    );
    managed.onLine((line) => {
      if (pattern.test(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    void managed.exited.then((outcome) => {
      clearTimeout(timer);
      reject(new Error(`${managed.name} exited (${outcome}) before ${pattern}:\n${managed.tail()}`));
    });
  });
}
