// `npm start`: the whole system on one machine, as separate processes with prefixed logs.
//
//   PostgreSQL  DATABASE_URL, else the machine's (5432, over its Unix socket when it has one; database
//               `trades`), else embedded
//   NATS        NATS_URL, else the machine's (127.0.0.1:4222), else `nats-server -js` from PATH
//   emulators   Stripe (12111) and Twilio (12112) unless EMULATORS=none (then real keys are required)
//   email       SMTP_URL, else MailDev (SMTP 1025, web UI 1080) from node_modules
//   then: JetStream provisioning, migrations, the five services, the gateway (8000), demo data,
//   and the two UIs built and served (customer 3000, admin 3001). Ctrl-C stops everything.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { STRIPE_WEBHOOK_EVENTS } from '@trades/payments';
import { DEVELOPMENT_DEFAULTS, NODE_FLAGS } from '@trades/runtime';
import { ensureDatabase, ensureNats } from './lib/infra.ts';
import { formatLogLine } from './lib/log-format.ts';
import { planMailDev } from './lib/maildev.ts';
import { SERVICES } from './lib/services.ts';

const ROOT = resolve(import.meta.dirname, '..');
const NODE = process.execPath;
const GATEWAY_PORT = Number(process.env['PORT'] ?? 8000);
const CUSTOMER_PORT = 3000;
const ADMIN_PORT = 3001;
const STRIPE_PORT = Number(process.env['STRIPE_EMULATOR_PORT'] ?? 12111);
const TWILIO_PORT = Number(process.env['TWILIO_EMULATOR_PORT'] ?? 12112);
const MAILDEV_SMTP_PORT = Number(process.env['MAILDEV_SMTP_PORT'] ?? 1025);
const MAILDEV_WEB_PORT = Number(process.env['MAILDEV_WEB_PORT'] ?? 1080);
const useEmulators = (process.env['EMULATORS'] ?? 'local') !== 'none';

const COLORS = [36, 35, 33, 32, 34, 91, 92, 93, 94, 95, 96];
const colorOf = new Map<string, number>();
function prefix(name: string): string {
  if (!colorOf.has(name)) colorOf.set(name, COLORS[colorOf.size % COLORS.length] ?? 37);
  const pad = name.padEnd(18);
  return process.stdout.isTTY ? `\x1b[${colorOf.get(name)}m${pad}\x1b[0m` : pad;
}
const say = (line: string): void => void process.stdout.write(`${prefix('start')} ${line}\n`);

interface Supervised {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  child?: ChildProcess;
  restarts: number;
}

let shuttingDown = false;
const supervised: Supervised[] = [];

function pipeLines(name: string, stream: NodeJS.ReadableStream | null): void {
  let buffer = '';
  stream?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.trim()) process.stdout.write(`${prefix(name)} ${formatLogLine(line)}\n`);
    }
  });
}

/** Runs a long-lived process and restarts it when it dies (backing off), until shutdown. */
function supervise(name: string, args: string[], env: NodeJS.ProcessEnv): Supervised {
  const entry: Supervised = { name, args, env, restarts: 0 };
  const launch = (): void => {
    const child = spawn(NODE, [...NODE_FLAGS, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    entry.child = child;
    pipeLines(name, child.stdout);
    pipeLines(name, child.stderr);
    const startedAt = Date.now();
    child.once('exit', (code, signal) => {
      if (shuttingDown) return;
      if (Date.now() - startedAt > 30_000) entry.restarts = 0;
      const delay = Math.min(30_000, 2_000 * 2 ** entry.restarts++);
      say(`${name} exited (${signal ?? `code ${code}`}); restarting in ${Math.round(delay / 1000)} s`);
      setTimeout(() => !shuttingDown && launch(), delay).unref();
    });
  };
  launch();
  supervised.push(entry);
  return entry;
}

/** Runs a step to completion; the stack does not start without it. */
function runStep(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(args[0] === 'npm' ? 'npm' : NODE, args[0] === 'npm' ? args.slice(1) : args, {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pipeLines(name, child.stdout);
    pipeLines(name, child.stderr);
    child.once('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`${name} failed (exit ${code})`)),
    );
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function uiNeedsBuild(app: string): boolean {
  const index = join(ROOT, app, 'dist', app, 'browser', 'index.html');
  if (!existsSync(index) || process.env['FORCE_UI_BUILD']) return true;
  return newestMtime(join(ROOT, app, 'src')) > statSync(index).mtimeMs;
}

async function waitForHealth(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !shuttingDown) {
    try {
      const res = await fetch(url);
      if (res.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function shutdown(code: number): Promise<never> {
  if (shuttingDown) process.exit(code);
  shuttingDown = true;
  say('stopping everything…');
  const children = supervised
    .map((s) => s.child)
    .filter((c): c is ChildProcess => !!c && c.exitCode === null);
  await Promise.all(
    children.reverse().map(
      (child) =>
        new Promise<void>((r) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.once('exit', () => {
            clearTimeout(timer);
            r();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  await Promise.all(cleanups.map((c) => c().catch(() => undefined)));
  say('stopped');
  process.exit(code);
}

const cleanups: (() => Promise<void>)[] = [];
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  if (!useEmulators && !process.env['STRIPE_SECRET_KEY']) {
    throw new Error(
      "EMULATORS=none needs the real providers' keys: set STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER.",
    );
  }
  const database = await ensureDatabase(ROOT, say);
  cleanups.push(database.stop);
  const nats = await ensureNats(ROOT, say);
  if (nats.process) cleanups.push(async () => void nats.process?.kill('SIGTERM'));
  const mail = await planMailDev(ROOT, { smtp: MAILDEV_SMTP_PORT, web: MAILDEV_WEB_PORT });
  say(`PostgreSQL: ${database.source}; NATS: ${nats.source}; email: ${mail.source}`);

  const baseUrl = process.env['BASE_URL'] ?? `http://localhost:${GATEWAY_PORT}`;
  const secrets = Object.fromEntries(
    [
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'TWILIO_PHONE_NUMBER',
      'ADMIN_EMAIL',
      'ADMIN_PASSWORD',
      'ADMIN_SESSION_SECRET',
    ].map((k) => [k, process.env[k] ?? DEVELOPMENT_DEFAULTS[k] ?? '']),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...secrets,
    APP_ENV: process.env['APP_ENV'] ?? 'development',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
    DATABASE_URL: database.url,
    NATS_URL: nats.url,
    BASE_URL: baseUrl,
    FRONTEND_URL: process.env['FRONTEND_URL'] ?? `http://localhost:${CUSTOMER_PORT}`,
    ADMIN_URL: process.env['ADMIN_URL'] ?? `http://localhost:${ADMIN_PORT}`,
    SMTP_URL: mail.smtpUrl,
    EMAIL_FROM: process.env['EMAIL_FROM'] ?? DEVELOPMENT_DEFAULTS['EMAIL_FROM'],
    ...(useEmulators
      ? {
          STRIPE_API_BASE: `http://127.0.0.1:${STRIPE_PORT}`,
          TWILIO_API_BASE: `http://127.0.0.1:${TWILIO_PORT}`,
        }
      : {}),
  };

  // UI builds take a while: start them now, alongside provisioning and the services.
  const uiBuilds = (['customer-ui', 'admin-ui'] as const).map(async (app) => {
    if (!uiNeedsBuild(app)) return;
    say(`building ${app}…`);
    await runStep(`build ${app}`, ['npm', 'run', 'build', '-w', app, '--silent'], env);
  });

  await runStep('provision', ['scripts/provision.ts'], env);
  await runStep('migrate', ['scripts/migrate.ts'], env);

  if (useEmulators) {
    supervise('stripe-emulator', ['services/stripe-emulator/src/main.ts'], {
      ...env,
      STRIPE_EMULATOR_PORT: String(STRIPE_PORT),
      STRIPE_WEBHOOK_URL: `http://127.0.0.1:${GATEWAY_PORT}/api/webhooks/stripe`,
      STRIPE_WEBHOOK_EVENTS: STRIPE_WEBHOOK_EVENTS.join(','),
    });
    supervise('twilio-emulator', ['services/twilio-emulator/src/main.ts'], {
      ...env,
      TWILIO_EMULATOR_PORT: String(TWILIO_PORT),
      TWILIO_INBOUND_WEBHOOK_URL: `http://127.0.0.1:${GATEWAY_PORT}/api/webhooks/twilio/sms`,
    });
  }
  if (mail.args) supervise('maildev', mail.args, env);
  for (const service of SERVICES) {
    supervise(service.dir, [`services/${service.dir}/src/main.ts`], {
      ...env,
      HTTP_PORT: String(service.httpPort),
    });
  }
  supervise('gateway', ['gateway/src/main.ts'], { ...env, PORT: String(GATEWAY_PORT) });

  const healthy = await waitForHealth(`http://127.0.0.1:${GATEWAY_PORT}/health`, 90_000);
  if (!healthy) say('the gateway does not report every service up yet; see the logs above');
  else if (existsSync(join(ROOT, 'scripts', 'seed.ts'))) await runStep('seed', ['scripts/seed.ts'], env);

  await Promise.all(uiBuilds);
  supervise(
    'customer-ui',
    [
      'scripts/serve-ui.ts',
      '--app',
      'customer-ui',
      '--port',
      String(CUSTOMER_PORT),
      '--gateway',
      `http://127.0.0.1:${GATEWAY_PORT}`,
    ],
    env,
  );
  supervise(
    'admin-ui',
    [
      'scripts/serve-ui.ts',
      '--app',
      'admin-ui',
      '--port',
      String(ADMIN_PORT),
      '--gateway',
      `http://127.0.0.1:${GATEWAY_PORT}`,
    ],
    env,
  );

  const lines = [
    '',
    'The trades marketplace is up:',
    `  customer UI        http://localhost:${CUSTOMER_PORT}`,
    `  admin console      http://localhost:${ADMIN_PORT}   (sign in: ${secrets['ADMIN_EMAIL']} / ${process.env['ADMIN_PASSWORD'] ? '(ADMIN_PASSWORD)' : secrets['ADMIN_PASSWORD']})`,
    `  gateway            http://localhost:${GATEWAY_PORT}   (health: /health, API docs: /docs)`,
    ...SERVICES.map((s) => `  ${s.dir.padEnd(18)} http://localhost:${s.httpPort}/readyz  /metrics`),
    ...(useEmulators
      ? [
          `  Stripe emulator    http://127.0.0.1:${STRIPE_PORT}   (key ${secrets['STRIPE_SECRET_KEY']}, webhook secret ${secrets['STRIPE_WEBHOOK_SECRET']})`,
          `  Twilio emulator    http://127.0.0.1:${TWILIO_PORT}   (account ${secrets['TWILIO_ACCOUNT_SID']}, token ${secrets['TWILIO_AUTH_TOKEN']})`,
          '  play a locksmith   npm run sms -- --from +14155550101 "YES"',
        ]
      : []),
    ...(mail.webUrl
      ? [`  MailDev (email)    ${mail.webUrl}   (every email sent; SMTP ${mail.smtpUrl}, JSON at /api/email)`]
      : []),
    '  Ctrl-C stops everything.',
    '',
  ];
  for (const line of lines) say(line);
} catch (error) {
  say(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
