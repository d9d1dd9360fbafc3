// Serves a built Angular app (customer-ui or admin-ui) and proxies its API calls to the gateway:
//
//   node scripts/serve-ui.ts --app customer-ui --port 3000 [--gateway http://127.0.0.1:8000] [--host 127.0.0.1]
//
// - files from <app>/dist/<app>/browser, with the SPA fallback: a path that is no file and does not
//   end like a static file (.js, .css, .png…) gets index.html, so deep links like /status/abc and
//   /lead-offer/<offerId>.<signature> work on reload;
// - hashed build output (main-ABC123.js, media/…) is cached for a year, index.html never;
// - gzip and brotli copies are written next to the build output once at start (skipped when the
//   folder is read-only) and served to browsers that accept them;
// - /api/* goes to the gateway unchanged, streamed both ways, so Server-Sent Events arrive as sent;
// - one JSON log line per request.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

import fastifyHttpProxy from '@fastify/http-proxy';
import fastifyStatic from '@fastify/static';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';

/**
 * What a missing static file looks like: a path ending in one of these gets a 404, any other path the app
 * (a deep link such as /lead-offer/<offerId>.<signature> has a dot too, and must open its page).
 */
const STATIC_FILE =
  /^\.(?:html?|m?js|css|map|json|txt|xml|webmanifest|ico|png|jpe?g|gif|svg|webp|avif|woff2?|ttf|otf)$/i;

const APPS = ['customer-ui', 'admin-ui'] as const;
type AppName = (typeof APPS)[number];

export interface ServeUiOptions {
  readonly app: AppName;
  /** The built app: `<app>/dist/<app>/browser`. */
  readonly root: string;
  /** Base URL of the gateway that answers /api/*. */
  readonly gateway: string;
  readonly logger?: boolean;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HASHED = /[-.][A-Za-z0-9_]{8,}\.(?:js|mjs|css|woff2?|ttf|svg|png|jpe?g|webp|avif)$/;
const COMPRESSIBLE = new Set([
  '.js',
  '.mjs',
  '.css',
  '.html',
  '.svg',
  '.json',
  '.txt',
  '.map',
  '.webmanifest',
]);
const YEAR = 'public, max-age=31536000, immutable';

function isAppName(value: string | undefined): value is AppName {
  return APPS.some((app) => app === value);
}

function cacheControlFor(path: string, root: string): string {
  // With precompression the path may be the `.br` or `.gz` copy: judge the file it stands for.
  const name = relative(root, path).replace(/\.(?:br|gz)$/, '');
  if (name === 'index.html' || name.endsWith('.html')) return 'no-cache';
  if (HASHED.test(name) || name.startsWith('media/')) return YEAR;
  // favicon and other files copied as they are: short, revalidated.
  return 'public, max-age=3600';
}

/** Writes `.br` and `.gz` siblings of text assets that have none yet (or older ones). */
function precompress(root: string): { written: number; skipped?: string } {
  let written = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
        continue;
      }
      if (!COMPRESSIBLE.has(extname(entry.name))) continue;
      const mtime = statSync(path).mtimeMs;
      const fresh = (copy: string): boolean => existsSync(copy) && statSync(copy).mtimeMs >= mtime;
      if (fresh(`${path}.br`) && fresh(`${path}.gz`)) continue;
      const content = readFileSync(path);
      writeFileSync(
        `${path}.br`,
        brotliCompressSync(content, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
      );
      writeFileSync(`${path}.gz`, gzipSync(content, { level: 9 }));
      written += 1;
    }
  };
  try {
    walk(root);
    return { written };
  } catch (error) {
    return { written, skipped: error instanceof Error ? error.message : String(error) };
  }
}

export async function buildServer(options: ServeUiOptions): Promise<FastifyInstance> {
  const server = Fastify({
    logger: options.logger === false ? false : { level: 'info' },
    // Fastify's two lines per request (incoming, completed) give way to the one below.
    logController: new LogController({ disableRequestLogging: true }),
    // The proxied API keeps its own body limits; this server parses no bodies itself.
    bodyLimit: 1024 * 1024,
  });

  const compressed = precompress(options.root);
  if (compressed.skipped) {
    server.log.warn({ reason: compressed.skipped }, 'serving without precompressed files');
  }

  server.addHook('onRequest', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'strict-origin-when-cross-origin');
    reply.header('x-frame-options', 'DENY');
  });

  const logRequest = (request: FastifyRequest, reply: FastifyReply, closedByClient: boolean): void => {
    // The server's logger, not request.log: the proxy routes log only fatal errors of their own.
    const log = reply.statusCode >= 500 ? server.log.warn.bind(server.log) : server.log.info.bind(server.log);
    log(
      {
        reqId: request.id,
        app: options.app,
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        contentType: reply.getHeader('content-type'),
        contentEncoding: reply.getHeader('content-encoding'),
        userAgent: request.headers['user-agent'],
        // An event stream ends this way when the customer leaves the status page.
        ...(closedByClient ? { closedByClient } : {}),
        ...(request.failure ? { error: request.failure } : {}),
      },
      'request',
    );
  };
  server.addHook('onResponse', async (request, reply) => logRequest(request, reply, false));
  server.addHook('onRequest', async (request, reply) => {
    // A response the client cut off never finishes, and Fastify skips onResponse for it.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) logRequest(request, reply, true);
    });
  });

  await server.register(fastifyHttpProxy, {
    upstream: options.gateway,
    prefix: '/api',
    rewritePrefix: '/api',
    // Headers must come within 30 s, but a body may stream for as long as it likes: the tracking
    // page keeps one Server-Sent Events response open for the whole job.
    undici: { headersTimeout: 30_000, bodyTimeout: 0 },
    // reply-from logs every forwarded request and failure; the onResponse line says it all.
    logLevel: 'fatal',
    replyOptions: {
      onError: (reply, { error }) => {
        reply.request.failure = error.message;
        void reply.code(502).send({
          code: 'GATEWAY_UNAVAILABLE',
          message: 'Our booking service is not reachable right now. Please try again in a moment.',
        });
      },
    },
  });

  await server.register(fastifyStatic, {
    root: options.root,
    prefix: '/',
    index: 'index.html',
    cacheControl: false,
    preCompressed: true,
    setHeaders: (reply, path) => {
      reply.header('cache-control', cacheControlFor(path, options.root));
    },
  });

  server.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const wantsPage =
      (request.method === 'GET' || request.method === 'HEAD') &&
      !path.startsWith('/api/') &&
      !STATIC_FILE.test(extname(path));
    if (!wantsPage) {
      return reply
        .code(404)
        .type('application/json')
        .send({ code: 'NOT_FOUND', message: `No file at ${path}.` });
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });

  return server;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Why the gateway could not answer, for the request's log line. */
    failure?: string;
  }
}

function usage(problem: string): never {
  console.error(
    `${problem}\nusage: node scripts/serve-ui.ts --app <${APPS.join('|')}> [--port 3000] [--host 127.0.0.1] [--gateway http://127.0.0.1:8000]`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      app: { type: 'string' },
      port: { type: 'string', default: process.env['PORT'] ?? '3000' },
      host: { type: 'string', default: process.env['HOST'] ?? '127.0.0.1' },
      gateway: { type: 'string', default: process.env['GATEWAY_URL'] ?? 'http://127.0.0.1:8000' },
    },
  });
  if (!isAppName(values.app)) usage(`--app must be one of ${APPS.join(', ')}.`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    usage(`--port must be a port number, not ${values.port}.`);
  try {
    new URL(values.gateway);
  } catch {
    usage(`--gateway must be a URL such as http://127.0.0.1:8000, not ${values.gateway}.`);
  }
  const root = join(repoRoot, values.app, 'dist', values.app, 'browser');
  if (!existsSync(join(root, 'index.html'))) {
    usage(
      `${relative(process.cwd(), root)}/index.html is missing: run \`npm run build -w ${values.app}\` first.`,
    );
  }

  const server = await buildServer({ app: values.app, root, gateway: values.gateway });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      server.log.info({ signal }, 'shutting down');
      void server.close().then(() => process.exit(0));
    });
  }
  await server.listen({ port, host: values.host });
  server.log.info({ app: values.app, root, gateway: values.gateway }, 'serving');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
