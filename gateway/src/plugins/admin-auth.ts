import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, ErrorBody } from '@trades/contracts';
import { ConfigError } from '@trades/runtime/client';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import Type from 'typebox';
import type { GatewayConfig } from '../config.ts';

export interface Operator {
  email: string;
  via: 'local' | 'cloudflare';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated operator on every /api/admin route (set by the admin-auth plugin). */
    operator?: Operator;
  }
  interface FastifyContextConfig {
    /** An /api/admin route reachable without an operator (only the login). */
    adminPublic?: boolean;
    /** false: a mutating admin route that is not written to the audit log (login, logout). */
    audit?: boolean;
  }
}

export interface CloudflareAccess {
  teamDomain: string;
  audience: string;
  /** The keys that sign Access tokens; by default the team's JWKS at /cdn-cgi/access/certs. */
  keys?: JWTVerifyGetKey;
}

export interface AdminAuthOptions {
  /** Cloudflare Access in front of the console; when set, the local login is off. */
  cloudflare?: CloudflareAccess;
  local?: { email: string; password: string; sessionSecret: string };
  /** Mark the session cookie Secure (the public URL is https). */
  secureCookies: boolean;
  sessionTtlSeconds?: number;
  loginAttemptsPerMinute?: number;
}

export const SESSION_COOKIE = 'trades_admin_session';
const DEFAULT_SESSION_TTL_SECONDS = 12 * 60 * 60;
const MIN_SECRET_LENGTH = 32;

/** The access mode the configuration asks for, with every problem listed at boot. */
export function adminAuthOptions(config: GatewayConfig): AdminAuthOptions {
  const secureCookies = config.BASE_URL.startsWith('https://');
  const teamDomain = config.CF_ACCESS_TEAM_DOMAIN.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const audience = config.CF_ACCESS_AUD;
  if (teamDomain || audience) {
    const problems = [
      ...(teamDomain ? [] : ['CF_ACCESS_TEAM_DOMAIN: required when CF_ACCESS_AUD is set']),
      ...(audience ? [] : ['CF_ACCESS_AUD: required when CF_ACCESS_TEAM_DOMAIN is set']),
    ];
    if (problems.length > 0) throw new ConfigError(problems);
    return { cloudflare: { teamDomain, audience }, secureCookies };
  }
  const problems = [
    ...(config.ADMIN_EMAIL
      ? []
      : ['ADMIN_EMAIL: required for the local operator login (or configure CF_ACCESS_*)']),
    ...(config.ADMIN_PASSWORD
      ? []
      : ['ADMIN_PASSWORD: required for the local operator login (or configure CF_ACCESS_*)']),
    ...(config.ADMIN_SESSION_SECRET.length >= MIN_SECRET_LENGTH
      ? []
      : [`ADMIN_SESSION_SECRET: must be at least ${MIN_SECRET_LENGTH} characters`]),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    local: {
      email: config.ADMIN_EMAIL,
      password: config.ADMIN_PASSWORD,
      sessionSecret: config.ADMIN_SESSION_SECRET,
    },
    secureCookies,
  };
}

/** Equal strings in time that does not depend on where they differ (or on their lengths). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** A stateless session: `base64url({ email, exp }).hmac`. */
export function createSessionToken(
  email: string,
  secret: string,
  ttlSeconds: number,
  now = Date.now(),
): string {
  const payload = Buffer.from(JSON.stringify({ email, exp: Math.floor(now / 1000) + ttlSeconds })).toString(
    'base64url',
  );
  return `${payload}.${sign(payload, secret)}`;
}

export function readSessionToken(token: string, secret: string, now = Date.now()): string | undefined {
  const [payload, signature, ...rest] = token.split('.');
  if (!payload || !signature || rest.length > 0) return undefined;
  const expected = Buffer.from(sign(payload, secret));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || !('email' in value) || !('exp' in value))
    return undefined;
  const { email, exp } = value;
  if (typeof email !== 'string' || typeof exp !== 'number' || exp * 1000 <= now) return undefined;
  return email;
}

const unauthenticated = (message: string): AppError => new AppError(401, 'UNAUTHENTICATED', message);

const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);
const OperatorReply = Type.Object({
  email: Type.String(),
  via: Type.Union([Type.Literal('local'), Type.Literal('cloudflare')]),
});

/**
 * Operator authentication for every route in the scope it is registered in (fastify-plugin, so the hook
 * lands in the /api/admin scope, not in a child): a verified Cloudflare Access JWT when configured,
 * otherwise the local login's signed session cookie. Anything else is a 401 before the route runs.
 */
const adminAuth: FastifyPluginAsyncTypebox<AdminAuthOptions> = async (app, options) => {
  const ttl = options.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
  const cloudflare = options.cloudflare;
  const cloudflareKeys =
    cloudflare &&
    (cloudflare.keys ?? createRemoteJWKSet(new URL(`https://${cloudflare.teamDomain}/cdn-cgi/access/certs`)));
  const local = options.local;

  async function authenticate(request: FastifyRequest): Promise<Operator> {
    if (cloudflare && cloudflareKeys) {
      const header = request.headers['cf-access-jwt-assertion'];
      const token = Array.isArray(header) ? header[0] : header;
      if (!token) throw unauthenticated('Sign in through Cloudflare Access to use the operations console.');
      try {
        const { payload } = await jwtVerify(token, cloudflareKeys, {
          issuer: `https://${cloudflare.teamDomain}`,
          audience: cloudflare.audience,
        });
        if (typeof payload['email'] !== 'string' || payload['email'] === '') {
          throw unauthenticated('The Cloudflare Access token names no operator email.');
        }
        return { email: payload['email'], via: 'cloudflare' };
      } catch (error) {
        if (error instanceof AppError) throw error;
        request.log.warn(
          { reason: error instanceof Error ? error.message : String(error) },
          'Cloudflare Access token rejected',
        );
        throw unauthenticated('The Cloudflare Access token is not valid; sign in again.');
      }
    }
    const token = request.cookies[SESSION_COOKIE];
    const email = local && token ? readSessionToken(token, local.sessionSecret) : undefined;
    // A session for another email (ADMIN_EMAIL changed) is no longer valid.
    if (!local || !email || email !== local.email)
      throw unauthenticated('Sign in to use the operations console.');
    return { email, via: 'local' };
  }

  app.decorateRequest('operator', undefined);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.adminPublic) return;
    request.operator = await authenticate(request);
  });

  const cookieOptions = (request: FastifyRequest) => ({
    path: '/api/admin',
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: options.secureCookies || request.protocol === 'https',
  });

  app.post(
    '/login',
    {
      config: {
        adminPublic: true,
        audit: false,
        rateLimit: { max: options.loginAttemptsPerMinute ?? 5, timeWindow: '1 minute' },
      },
      schema: {
        tags: ['admin'],
        summary: 'Operator sign-in (local mode): sets the session cookie',
        body: LoginBody,
        response: { 204: Type.Null(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      if (!local) {
        throw new AppError(403, 'LOCAL_LOGIN_DISABLED', 'This console signs in through Cloudflare Access.');
      }
      // Both compared every time, so the answer takes as long for a wrong email as for a wrong password.
      const emailMatches = sameSecret(request.body.email.trim().toLowerCase(), local.email.toLowerCase());
      const passwordMatches = sameSecret(request.body.password, local.password);
      if (!emailMatches || !passwordMatches) {
        request.log.warn('operator sign-in failed');
        throw new AppError(401, 'INVALID_CREDENTIALS', 'That email and password do not match an operator.');
      }
      reply.setCookie(SESSION_COOKIE, createSessionToken(local.email, local.sessionSecret, ttl), {
        ...cookieOptions(request),
        maxAge: ttl,
      });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/logout',
    {
      config: { audit: false },
      schema: {
        tags: ['admin'],
        summary: 'Operator sign-out: clears the session cookie',
        response: { 204: Type.Null(), 401: ErrorBody },
      },
    },
    async (request, reply) => {
      reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/me',
    {
      schema: {
        tags: ['admin'],
        summary: 'The signed-in operator',
        response: { 200: OperatorReply, 401: ErrorBody },
      },
    },
    async (request) => {
      if (!request.operator) throw unauthenticated('Sign in to use the operations console.');
      return request.operator;
    },
  );
};

export default fp(adminAuth, { name: 'admin-auth', dependencies: ['@fastify/cookie'] });

/** The operator behind an admin request; every /api/admin route but the login has one. */
export function operatorOf(request: FastifyRequest): Operator {
  if (!request.operator) throw unauthenticated('Sign in to use the operations console.');
  return request.operator;
}
