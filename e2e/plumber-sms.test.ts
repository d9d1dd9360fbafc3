import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { registry } from '@trades/contracts';
import { DEVELOPMENT_DEFAULTS } from '@trades/runtime';
import { waitFor } from '@trades/testkit';
import { startStack, type Stack } from '@trades/testkit/stack';
import { createTwilioClient, type TwilioClient } from '../services/messaging/src/adapters/twilio-client.ts';
import { SESSION_COOKIE } from '../gateway/src/plugins/admin-auth.ts';

/**
 * A plumber an operator registered answers AVAILABLE / UNAVAILABLE / STOP by SMS exactly like a locksmith:
 * messaging finds them by their number, the registry's SMS consumer changes them, the console shows it.
 */
jest.setTimeout(120_000);

const PLUMBER_PHONE = '+14155550278';

let stack: Stack;
let twilioApi: TwilioClient;
let cookie = '';

beforeAll(async () => {
  stack = await startStack();
  twilioApi = createTwilioClient({
    accountSid: stack.env['TWILIO_ACCOUNT_SID'] ?? '',
    authToken: stack.env['TWILIO_AUTH_TOKEN'] ?? '',
    apiBase: stack.twilio.url,
  });
  const login = await fetch(`${stack.gatewayUrl}/api/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'],
      password: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'],
    }),
  });
  expect(login.status).toBe(204);
  const session = login.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  cookie = session?.split(';')[0] ?? '';
});

afterAll(async () => {
  await stack?.stop();
});

async function admin(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${stack.gatewayUrl}/api/admin${path}`, {
    method,
    headers: body === undefined ? { cookie } : { cookie, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

const isPlumber = (value: unknown): value is registry.Plumber =>
  registry.PlumberGet.validateReply.check(value);

async function plumber(id: string): Promise<registry.Plumber> {
  const { status, body } = await admin('GET', `/plumbers/${id}`);
  if (status !== 200 || !isPlumber(body)) throw new Error(`GET /plumbers/${id}: ${status}`);
  return body;
}

async function textFrom(from: string, body: string): Promise<void> {
  const response = await fetch(`${stack.twilio.url}/__emulator/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, body }),
  });
  expect(response.status).toBe(200);
}

/** The texts Twilio (the emulator) has sent to a phone, oldest first. */
async function textsTo(phone: string): Promise<string[]> {
  const messages = await twilioApi.messages.list({ to: phone });
  return messages
    .filter((m) => m.direction !== 'inbound')
    .reverse()
    .map((m) => m.body);
}

describe('plumbers by SMS', () => {
  it('follows AVAILABLE, UNAVAILABLE and STOP from a plumber’s phone', async () => {
    const created = await admin('POST', '/plumbers', {
      firstName: 'Ines',
      lastName: 'Moreau',
      email: 'ines@moreau-plumbing.example',
      phone: '(415) 555-0278',
      zipCode: '94110',
      services: ['leak_repair'],
    });
    expect(created.status).toBe(201);
    if (!isPlumber(created.body)) throw new Error('POST /plumbers did not answer a plumber');
    const { id } = created.body;

    await textFrom(PLUMBER_PHONE, 'unavailable');
    await waitFor(async () => (await plumber(id)).available === false, {
      what: 'unavailable',
      timeoutMs: 30_000,
    });
    await waitFor(async () => (await textsTo(PLUMBER_PHONE)).some((t) => t.includes('now unavailable')), {
      what: 'the confirmation SMS',
      timeoutMs: 30_000,
    });

    await textFrom(PLUMBER_PHONE, 'AVAILABLE');
    await waitFor(async () => (await plumber(id)).available, { what: 'available again', timeoutMs: 30_000 });

    await textFrom(PLUMBER_PHONE, 'STOP');
    await waitFor(async () => (await plumber(id)).status === 'deactivated', {
      what: 'deactivated',
      timeoutMs: 30_000,
    });
  });
});
