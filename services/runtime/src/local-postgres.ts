import { existsSync } from 'node:fs';

/** Where Debian's (and most Linux distributions') PostgreSQL puts its Unix socket. */
export const POSTGRES_SOCKET_DIR = '/var/run/postgresql';

/**
 * The URL of a database on this machine's PostgreSQL (port 5432, user postgres): over its Unix socket
 * when there is one, else over TCP to 127.0.0.1. The socket skips the loopback TCP stack on every
 * statement: in `npm run bench -- booking` PostgreSQL's own CPU per booking went from 41.7 to 30.9 ms,
 * and every step's median latency dropped. Both pg and MikroORM read the percent-encoded socket
 * directory as the host. Containers and clusters set DATABASE_URL and never come here.
 */
export function localPostgresUrl(database: string, socketDir = POSTGRES_SOCKET_DIR): string {
  return existsSync(`${socketDir}/.s.PGSQL.5432`)
    ? `postgres://postgres@${encodeURIComponent(socketDir)}/${database}`
    : `postgres://postgres@127.0.0.1:5432/${database}`;
}
