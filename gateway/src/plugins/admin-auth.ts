import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, ErrorBody } from '@trades/contracts';
import { ConfigError } from '@trades/runtime/client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import Type from 'typebox';
import type { GatewayConfig } from '../config.ts';
import type { OperatorSessions } from './operator-sessions.ts';

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
  /** Where local sessions live (required with `local`): see operator-sessions.ts. */
  sessions?: OperatorSessions;
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

const unauthenticated = (message: string): AppError => new AppError(401, 'UNAUTHENTICATED', message);

const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);
const OperatorParams = Type.Object({ email: Type.String({ minLength: 1, maxLength: 254 }) });
const OperatorReply = Type.Object({
  email: Type.String(),
  via: Type.Union([Type.Literal('local'), Type.Literal('cloudflare')]),
});

/**
 * Operator authentication for every route in the scope it is registered in (fastify-plugin, so the hook
 * lands in the /api/admin scope, not in a child): a verified Cloudflare Access JWT when configured,
 * otherwise the local login's session cookie, believed only while its session is in the store (logout
 * and revocation delete it). Anything else is a 401 before the route runs.
 */
const adminAuth: FastifyPluginAsyncTypebox<AdminAuthOptions> = async (app, options) => {
  const ttl = options.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
  const cloudflare = options.cloudflare;
  const cloudflareKeys =
    cloudflare &&
    (cloudflare.keys ?? createRemoteJWKSet(new URL(`https://${cloudflare.teamDomain}/cdn-cgi/access/certs`)));
  const local = options.local;
  const sessions = options.sessions;
  if (local && !sessions) throw new Error('admin-auth: the local login needs a session store');
  const credential = local && sessions ? sessions.credentialOf(local.email, local.password) : '';

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<Operator> {
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
    if (!local || !sessions || !token) throw unauthenticated('Sign in to use the operations console.');
    const session = await sessions.find(token);
    // A session for another email (ADMIN_EMAIL changed) or another password is no longer valid.
    if (!session || session.email !== local.email || session.credential !== credential) {
      reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
      throw unauthenticated('Your session has ended; sign in again.');
    }
    return { email: session.email, via: 'local' };
  }

  app.decorateRequest('operator', undefined);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.adminPublic) return;
    request.operator = await authenticate(request, reply);
  });

  function cookieOptions(request: FastifyRequest) {
    return {
      path: '/api/admin',
      httpOnly: true,
      sameSite: 'strict' as const,
      secure: options.secureCookies || request.protocol === 'https',
    };
  }

  app.post(
    '/login',
    {
      config: {
        adminPublic: true,
        audit: false,
        rateLimit: { max: options.loginAttemptsPerMinute ?? 5, timeWindow: '1 minute' },
        // Counted across replicas; when the count cannot be kept, nobody signs in (503) rather than guesses.
        rateLimitCounting: 'shared-or-refuse',
      },
      schema: {
        tags: ['admin'],
        summary: 'Operator sign-in (local mode): sets the session cookie',
        body: LoginBody,
        response: {
          204: Type.Null(),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      if (!local || !sessions) {
        throw new AppError(403, 'LOCAL_LOGIN_DISABLED', 'This console signs in through Cloudflare Access.');
      }
      // Both compared every time, so the answer takes as long for a wrong email as for a wrong password.
      const emailMatches = sameSecret(request.body.email.trim().toLowerCase(), local.email.toLowerCase());
      const passwordMatches = sameSecret(request.body.password, local.password);
      if (!emailMatches || !passwordMatches) {
        request.log.warn('operator sign-in failed');
        throw new AppError(401, 'INVALID_CREDENTIALS', 'That email and password do not match an operator.');
      }
      reply.setCookie(SESSION_COOKIE, await sessions.start(local.email, credential, ttl), {
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
        summary:
          'Operator sign-out: ends the session (its cookie no longer works anywhere) and clears the cookie',
        response: { 204: Type.Null(), 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (sessions && token) await sessions.end(token);
      reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/operators/:email/sessions',
    {
      schema: {
        tags: ['admin'],
        summary:
          'End every session of an operator (local login), e.g. when their access is removed or a device is lost; audited',
        params: OperatorParams,
        response: {
          200: Type.Object({ revoked: Type.Integer({ minimum: 0 }) }),
          401: ErrorBody,
          403: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => {
      if (!sessions) {
        throw new AppError(
          403,
          'SESSIONS_MANAGED_BY_ACCESS',
          'Operators sign in through Cloudflare Access here: end their sessions and remove their access in Cloudflare Zero Trust.',
        );
      }
      return { revoked: await sessions.endAll(request.params.email.trim()) };
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
