// Emulator-only endpoints under `/__emulator`: simulate a handset texting in, make a
// number unreachable, reset state, health. Errors use Twilio's error shape too.
import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from './context.ts';
import { receiveInbound } from './inbound.ts';
import { isRecord } from './messages-api.ts';
import { deliveryFailure, type DeliveryFailure } from './outbound.ts';
import { isE164, maskPhone } from './phone.ts';
import { MAX_BODY_LENGTH } from './sms-encoding.ts';
import { TwilioApiError } from './twilio-errors.ts';

export function controlApi(ctx: EmulatorContext) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get('/health', async () => ({ status: 'ok', messages: ctx.store.size }));

    app.post('/inbound', async (request) => {
      const body = request.body;
      const from = isRecord(body) ? body.from : undefined;
      const to = isRecord(body) ? (body.to ?? ctx.phoneNumber) : undefined;
      const text = isRecord(body) ? body.body : undefined;
      if (typeof from !== 'string' || !isE164(from)) {
        throw invalid("'from' must be an E.164 phone number such as +15551234567.");
      }
      if (typeof to !== 'string' || !isE164(to)) throw invalid("'to' must be an E.164 phone number.");
      if (typeof text !== 'string' || text.length > MAX_BODY_LENGTH) {
        throw invalid(`'body' must be a string of at most ${MAX_BODY_LENGTH} characters.`);
      }
      return receiveInbound(ctx, { from, to, body: text });
    });

    // `{ phone, code?, status? }`: 30003 `undelivered` unless another Twilio code or `failed` is given.
    app.post('/undeliverable', async (request) => {
      const phone = phoneOf(request.body);
      const failure = failureOf(request.body);
      ctx.undeliverable.set(phone, failure);
      ctx.log.info({ phone: maskPhone(phone), ...failure }, 'number marked undeliverable');
      return { undeliverable: [...ctx.undeliverable.keys()] };
    });

    // With `{ phone }` clears that number; without a body clears every number.
    app.delete('/undeliverable', async (request) => {
      if (request.body === undefined || request.body === null) ctx.undeliverable.clear();
      else ctx.undeliverable.delete(phoneOf(request.body));
      return { undeliverable: [...ctx.undeliverable.keys()] };
    });

    app.post('/reset', async (_request, reply) => {
      ctx.store.clear();
      ctx.undeliverable.clear();
      ctx.optedOut.clear();
      return reply.code(204).send();
    });
  };
}

function phoneOf(body: unknown): string {
  const phone = isRecord(body) ? body.phone : undefined;
  if (typeof phone !== 'string' || !isE164(phone)) {
    throw invalid("'phone' must be an E.164 phone number such as +15551234567.");
  }
  return phone;
}

function failureOf(body: unknown): DeliveryFailure {
  const code = isRecord(body) ? body.code : undefined;
  const status = isRecord(body) ? body.status : undefined;
  if (
    code !== undefined &&
    (typeof code !== 'number' || !Number.isInteger(code) || code < 10000 || code > 99999)
  ) {
    throw invalid("'code' must be a Twilio error code such as 30003 or 30005.");
  }
  if (status !== undefined && status !== 'undelivered' && status !== 'failed') {
    throw invalid("'status' must be 'undelivered' or 'failed'.");
  }
  return deliveryFailure(code, status);
}

function invalid(message: string): TwilioApiError {
  return new TwilioApiError(400, 20001, message);
}
