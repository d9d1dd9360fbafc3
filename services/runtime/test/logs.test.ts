import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { CORRELATION_HEADER } from '@trades/contracts';
import { call, createLogger, maskEmail, maskPhone, withContext } from '@trades/runtime';
import { natsUrl, serviceEnv, spawnNode, waitFor, type ChildService } from '@trades/testkit';
import { ProbeLog, ProbeNoted } from './fixtures/probe.ts';
import { envelopeOf, prepareProbe, PROBE_MAIN, publishEnvelope } from './fixtures/support.ts';

jest.setTimeout(60_000);

type LogLine = Record<string, unknown>;

function capture(): { lines: LogLine[]; destination: { write(line: string): void } } {
  const lines: LogLine[] = [];
  return {
    lines,
    destination: {
      write: (line: string) => {
        const parsed: unknown = JSON.parse(line);
        if (typeof parsed === 'object' && parsed !== null) lines.push({ ...parsed });
      },
    },
  };
}

/** The JSON log lines a child process printed, parsed. */
function jsonLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l): unknown => JSON.parse(l))
    .filter((l): l is LogLine => typeof l === 'object' && l !== null);
}

describe('the logger', () => {
  it('puts the correlation id of the work in hand on every line', () => {
    const { lines, destination } = capture();
    const log = createLogger('unit', 'info', destination);
    withContext('corr-unit-0001', () => {
      log.info('first');
      log.child({ part: 'x' }).warn('second');
    });
    log.info('outside');
    expect(lines.map((l) => l['correlationId'])).toEqual(['corr-unit-0001', 'corr-unit-0001', undefined]);
    expect(lines[0]).toMatchObject({ service: 'unit', level: 'info', msg: 'first' });
  });

  it('masks phone numbers and emails and redacts secrets and card data in fields, nested too', () => {
    const { lines, destination } = capture();
    const log = createLogger('unit', 'info', destination);
    log.info(
      {
        phone: '+15551234567',
        to: '+15559876543',
        email: 'jane.doe@example.com',
        password: 'hunter2',
        token: 'tok_live_abc',
        authorization: 'Bearer abc.def',
        card: { number: '4242424242424242', cvc: '123' },
        provider: { phone: '+15550001111', email: 'pro@example.com', secret: 's3cr3t' },
        booking: { customer: { phone: '+15552223333', cardNumber: '4000000000000002' } },
      },
      'masked',
    );
    const [line] = lines;
    expect(line).toMatchObject({
      phone: '***4567',
      to: '***6543',
      email: 'j***@example.com',
      password: '[redacted]',
      token: '[redacted]',
      authorization: '[redacted]',
      card: '[redacted]',
      provider: { phone: '***1111', email: 'p***@example.com', secret: '[redacted]' },
      booking: { customer: { phone: '***3333', cardNumber: '[redacted]' } },
    });
    const text = JSON.stringify(line);
    for (const secret of [
      '5551234567',
      'jane.doe',
      'hunter2',
      'tok_live',
      '4242424242424242',
      's3cr3t',
      '4000000000000002',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('logs an error as what went wrong and where, never the request or answer it carries', () => {
    const { lines, destination } = capture();
    const log = createLogger('unit', 'info', destination);
    // Shaped like axios's error from inside the Twilio SDK, and like a Stripe card error's raw answer.
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      isAxiosError: true,
      config: {
        method: 'post',
        url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=1',
        headers: { Authorization: 'Basic QUMxOmF1dGgtdG9rZW4tc2VjcmV0' },
        data: 'To=%2B14155550142&Body=You%20got%20job',
      },
      request: { _header: 'POST /x HTTP/1.1\r\nAuthorization: Basic QUMxOmF1dGgtdG9rZW4tc2VjcmV0' },
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', errno: -111 }),
    });
    const declined = Object.assign(new Error('Your card was declined.'), {
      type: 'StripeCardError',
      code: 'card_declined',
      statusCode: 402,
      requestId: 'req_123',
      raw: { payment_intent: { id: 'pi_1', client_secret: 'pi_1_secret_abc' } },
    });
    log.warn({ err: refused }, 'twilio failed');
    log.warn({ error: declined }, 'stripe failed');
    const [twilio, stripe] = lines;
    expect(twilio?.['err']).toEqual({
      type: 'Error',
      message: expect.stringContaining('ECONNREFUSED'),
      stack: expect.any(String),
      code: 'ECONNREFUSED',
      method: 'POST',
      url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json',
      cause: expect.objectContaining({ code: 'ECONNREFUSED', errno: -111 }),
    });
    expect(stripe?.['error']).toMatchObject({ code: 'card_declined', statusCode: 402, requestId: 'req_123' });
    const text = JSON.stringify(lines);
    for (const secret of ['QUMxOmF1dGgtdG9rZW4tc2VjcmV0', '14155550142', 'You%20got', 'pi_1_secret']) {
      expect(text).not.toContain(secret);
    }
  });

  it('offers the same masks for free text', () => {
    expect(maskPhone('(555) 123-4567')).toBe('***4567');
    expect(maskPhone('12')).toBe('***');
    expect(maskEmail('jane@example.com')).toBe('j***@example.com');
    expect(maskEmail('nonsense')).toBe('***');
  });
});

describe('a service’s logs', () => {
  let nc: NatsConnection;
  let child: ChildService;

  beforeAll(async () => {
    await prepareProbe();
    nc = await connect({ servers: natsUrl() });
    child = spawnNode(PROBE_MAIN, serviceEnv({ LOG_LEVEL: 'info' }));
    await child.waitForOutput(/intake is up/);
  });

  afterAll(async () => {
    child?.kill('SIGTERM');
    await child?.exited;
    await nc?.close();
  });

  it('carry the caller’s correlation id while an endpoint handles its request, with personal data masked', async () => {
    const reply = await withContext('corr-endpoint-0001', () =>
      call(nc, ProbeLog, { phone: '+15551234567', email: 'jane@example.com', password: 'hunter2' }),
    );
    expect(reply.correlationId).toBe('corr-endpoint-0001');

    const line = await waitFor(() => jsonLines(child.output()).find((l) => l['msg'] === 'probe logged'));
    expect(line).toMatchObject({
      correlationId: 'corr-endpoint-0001',
      service: 'intake',
      phone: '***4567',
      email: 'j***@example.com',
      password: '[redacted]',
      provider: { phone: '***4567', email: 'j***@example.com' },
      card: '[redacted]',
    });
    expect(child.output()).not.toMatch(/5551234567|jane@example\.com|hunter2/);
  });

  it('carry the correlation id an event was published with while a consumer handles it', async () => {
    const noteId = randomUUID();
    await publishEnvelope(
      nc,
      ProbeNoted.subject,
      envelopeOf({ noteId, body: 'log me', failTimes: 1 }),
      randomUUID(),
      {
        [CORRELATION_HEADER]: 'corr-event-0002',
      },
    );
    const line = await waitFor(() =>
      jsonLines(child.output()).find((l) => l['msg'] === 'event handling failed; will retry'),
    );
    expect(line).toMatchObject({ correlationId: 'corr-event-0002', consumer: 'intake-probe', delivery: 1 });
  });
});
