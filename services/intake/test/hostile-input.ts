// Generators for the property-based route tests (e2e/*-properties.test.ts): strings an attacker or a
// broken client sends, values of the wrong type, and bodies that are not what a route expects at all.
import { expect } from '@jest/globals';
import fc from 'fast-check';
import type { BookingClient, HttpReply } from './booking-client.ts';

export const unicode = fc.string({ unit: 'grapheme', maxLength: 400 });

/** Unicode, binary, NUL and friends, injections, and strings longer than `longerThan`. */
export const hostileStrings = (longerThan: number, maxLength = 20_000): fc.Arbitrary<string> =>
  fc.oneof(
    unicode,
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '\uFEFF',
      '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
      '"; drop table intake.booking_session; --',
      '<script>alert(1)</script>',
    ),
    fc.integer({ min: longerThan + 1, max: maxLength }).map((length) => 'x'.repeat(length)),
  );

export const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);

/** Any JSON body at all, or something that is not JSON (`{ raw }` is sent as it is). */
export const anyBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 50 }).map((text) => ({ raw: `{${text}` })),
);

export function expectClientError(reply: HttpReply): void {
  expect(reply.status).toBeGreaterThanOrEqual(400);
  expect(reply.status).toBeLessThan(500);
  expect(reply.body).toEqual(
    expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
  );
}

/** POSTs a generated body: `{ raw }` as its text, anything else as JSON. */
export function sendBody(
  client: BookingClient,
  path: string,
  body: unknown,
  headers?: Record<string, string>,
): Promise<HttpReply> {
  if (typeof body === 'object' && body !== null && 'raw' in body && typeof body.raw === 'string')
    return client.post(path, body.raw, headers);
  return client.post(path, body, headers);
}
