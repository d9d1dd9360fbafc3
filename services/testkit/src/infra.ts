import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** True when something accepts TCP connections at the URL's host and port within `timeoutMs`. */
export function reachable(url: string, defaultPort: number, timeoutMs = 1_500): Promise<boolean> {
  const { hostname, port } = new URL(url.split(',')[0] ?? url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname || '127.0.0.1', port: Number(port || defaultPort) });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Whether a container runtime answers. testcontainers hangs forever when DOCKER_HOST points at something
 * that accepts and never answers, so ask in a child process with a hard timeout.
 */
export function containerRuntimeAvailable(): boolean {
  const socket =
    process.env['DOCKER_HOST'] ?? (existsSync('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : '');
  if (!socket) return false;
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      "import('testcontainers').then(m=>m.getContainerRuntimeClient()).then(()=>process.exit(0),()=>process.exit(1))",
    ],
    { timeout: 10_000, stdio: 'ignore' },
  );
  return probe.status === 0;
}

/** Starts the machine's `nats-server` with JetStream on a free port, for when no NATS is reachable. */
export async function startLocalNatsServer(
  port: number,
): Promise<{ url: string; stop: () => void } | undefined> {
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const binary = which.stdout.trim();
  if (!binary) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'nats-js-'));
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], {
    stdio: 'ignore',
  });
  const url = `nats://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if (await reachable(url, port, 200)) return { url, stop: () => child.kill('SIGTERM') };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  return undefined;
}
