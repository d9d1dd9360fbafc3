import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { AppError } from '@trades/contracts';
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { hashedKey, type SharedState } from './shared-state.ts';

/** What the store keeps for one signed-in operator. */
const SessionRecord = Type.Object({
  email: Type.String(),
  /** A fingerprint of the credentials signed in with: a new ADMIN_PASSWORD ends the sessions of the old one. */
  credential: Type.String(),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
});
type SessionRecord = Static<typeof SessionRecord>;
const sessionRecord = Compile(SessionRecord);

const KEY_PART = /^[A-Za-z0-9_-]{16,64}$/;

export interface OperatorSession extends SessionRecord {
  /** The session's key in the store. */
  key: string;
}

const unavailable = (): AppError =>
  new AppError(
    503,
    'SESSIONS_UNAVAILABLE',
    'Operator sessions cannot be checked right now; try again in a moment.',
  );

/**
 * Local operator sessions in the `admin-sessions` bucket. The cookie names one key (`<operator>.<id>`,
 * signed with ADMIN_SESSION_SECRET so a made-up value never reaches the store); the record holds who and
 * until when. Logout deletes the key, so a copied cookie stops working on every replica at once; an
 * operator's keys share a prefix, so all their sessions can be ended together. When NATS cannot be
 * reached, nobody can be let in (503): a session that cannot be checked is not believed.
 */
export class OperatorSessions {
  readonly #kv: KV;
  readonly #secret: string;
  readonly #shared: Pick<SharedState, 'reachable' | 'warnUnavailable'>;

  constructor(
    shared: Pick<SharedState, 'operatorSessions' | 'reachable' | 'warnUnavailable'>,
    secret: string,
  ) {
    this.#kv = shared.operatorSessions;
    this.#shared = shared;
    this.#secret = secret;
  }

  /** The fingerprint of an operator's credentials as a session records them. */
  credentialOf(email: string, password: string): string {
    return this.#sign(`credential\n${email.toLowerCase()}\n${password}`);
  }

  /** Starts a session; the value returned is the cookie. */
  async start(email: string, credential: string, ttlSeconds: number, now = Date.now()): Promise<string> {
    const key = `${operatorPrefix(email)}.${randomBytes(24).toString('base64url')}`;
    const record: SessionRecord = { email, credential, createdAt: now, expiresAt: now + ttlSeconds * 1000 };
    await this.#use(() => this.#kv.create(key, JSON.stringify(record)));
    return `${key}.${this.#sign(key)}`;
  }

  /** The live session a cookie names, or undefined (forged, ended, expired). */
  async find(cookie: string, now = Date.now()): Promise<OperatorSession | undefined> {
    const key = this.#keyOf(cookie);
    if (!key) return undefined;
    const entry = await this.#use(() => this.#kv.get(key));
    if (!entry || entry.operation !== 'PUT') return undefined;
    let value: unknown;
    try {
      value = entry.json();
    } catch {
      return undefined;
    }
    if (!sessionRecord.Check(value) || value.expiresAt <= now) return undefined;
    return { ...value, key };
  }

  /** Ends the session a cookie names (logout). */
  async end(cookie: string): Promise<void> {
    const key = this.#keyOf(cookie);
    if (key) await this.#use(() => this.#kv.delete(key));
  }

  /** Ends every session of an operator; answers how many there were. */
  async endAll(email: string): Promise<number> {
    return this.#use(async () => {
      const keys: string[] = [];
      for await (const key of await this.#kv.keys(`${operatorPrefix(email)}.>`)) keys.push(key);
      await Promise.all(keys.map((key) => this.#kv.delete(key)));
      return keys.length;
    });
  }

  #keyOf(cookie: string): string | undefined {
    const [operator, id, signature, ...rest] = cookie.split('.');
    if (!operator || !id || !signature || rest.length > 0) return undefined;
    if (!KEY_PART.test(operator) || !KEY_PART.test(id)) return undefined;
    const key = `${operator}.${id}`;
    const expected = Buffer.from(this.#sign(key));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return key;
  }

  #sign(text: string): string {
    return createHmac('sha256', this.#secret).update(text).digest('base64url');
  }

  async #use<T>(operation: () => Promise<T>): Promise<T> {
    if (!this.#shared.reachable()) throw unavailable();
    try {
      return await operation();
    } catch (error) {
      this.#shared.warnUnavailable('operator sessions', error);
      throw unavailable();
    }
  }
}

/** The part of a session key that names its operator. */
function operatorPrefix(email: string): string {
  return hashedKey('operator', email.toLowerCase());
}
