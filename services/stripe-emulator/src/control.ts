import type { FastifyInstance } from 'fastify';
import { NO_REQUEST, type EmulatorCore } from './domain/core.ts';
import { invalidRequest, resourceMissing } from './http/errors.ts';
import { formText, type StripeRouter } from './http/router.ts';
import { cancelPaymentIntent, completePaymentAuthentication } from './resources/payment-intents.ts';
import { completeSetupAuthentication } from './resources/setup-intents.ts';

/**
 * The emulator's own endpoints, beside Stripe's API: what a test or a developer needs to
 * drive what Stripe does by itself (3-D Secure, expiring holds, failures) and to see what
 * was sent. Unauthenticated, like the rest of a local emulator.
 */
export function registerControlRoutes(app: FastifyInstance, core: EmulatorCore, router: StripeRouter): void {
  app.get('/__emulator/health', async () => ({ status: 'ok' }));

  app.post('/__emulator/reset', async () => {
    core.reset();
    router.reset();
    return { reset: true };
  });

  app.get<{ Querystring: { event?: string; type?: string } }>(
    '/__emulator/webhook_deliveries',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { event: { type: 'string' }, type: { type: 'string' } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { event, type } = request.query;
      const data = core.webhooks
        .deliveries()
        .filter(
          (delivery) =>
            (event === undefined || delivery.eventId === event) &&
            (type === undefined || delivery.eventType === type),
        );
      return { object: 'list', data };
    },
  );

  app.post('/__emulator/webhooks/pause', async () => {
    core.webhooks.pause();
    return { paused: true };
  });

  app.post('/__emulator/webhooks/resume', async () => {
    core.webhooks.resume();
    return { paused: false };
  });

  app.post<{ Params: { id: string }; Body: { endpoint?: string } | undefined }>(
    '/__emulator/events/:id/resend',
    async (request) => {
      const event = core.store.events.get(request.params.id);
      if (event === undefined) throw resourceMissing('event', request.params.id);
      const endpointId =
        typeof request.body === 'object' && request.body !== null ? request.body.endpoint : undefined;
      const endpoints =
        endpointId === undefined
          ? core.webhooks.endpointsFor(event.type)
          : [core.webhooks.endpoint(endpointId)].filter((endpoint) => endpoint !== undefined);
      if (endpointId !== undefined && endpoints.length === 0)
        throw resourceMissing('webhook_endpoint', endpointId, 'endpoint');
      return { object: 'list', data: core.webhooks.enqueue(event, endpoints, true) };
    },
  );

  app.post<{ Params: { id: string }; Body: { outcome: 'succeed' | 'fail' } }>(
    '/__emulator/intents/:id/authenticate',
    {
      schema: {
        body: {
          type: 'object',
          required: ['outcome'],
          properties: { outcome: { type: 'string', enum: ['succeed', 'fail'] } },
          additionalProperties: false,
        },
      },
    },
    async (request) => authenticate(core, request.params.id, request.body.outcome === 'succeed'),
  );

  app.post<{ Params: { id: string } }>(
    '/__emulator/payment_intents/:id/expire_authorization',
    async (request) => {
      const intent = core.store.paymentIntents.get(request.params.id);
      if (intent === undefined) throw resourceMissing('payment_intent', request.params.id, 'intent');
      if (intent.status !== 'requires_capture') {
        throw invalidRequest(
          `Only a held PaymentIntent (requires_capture) can expire; this one is ${intent.status}.`,
        );
      }
      return cancelPaymentIntent(core, intent, 'automatic', NO_REQUEST, { expired: true });
    },
  );

  app.post<{
    Body: {
      method?: string;
      path: string;
      status?: number;
      when?: 'before' | 'after';
      response?: 'error' | 'drop' | 'hold';
      times?: number;
    };
  }>(
    '/__emulator/faults',
    {
      schema: {
        body: {
          type: 'object',
          required: ['path'],
          properties: {
            method: { type: 'string', enum: ['*', 'GET', 'POST', 'DELETE'] },
            path: { type: 'string', pattern: '^/v1/' },
            status: { type: 'integer', minimum: 400, maximum: 599 },
            when: { type: 'string', enum: ['before', 'after'] },
            response: { type: 'string', enum: ['error', 'drop', 'hold'] },
            times: { type: 'integer', minimum: 1 },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const body = request.body;
      router.addFault({
        method: body.method ?? '*',
        pathPrefix: body.path,
        status: body.status ?? 500,
        when: body.when ?? 'before',
        response: body.response ?? 'error',
        times: body.times ?? 1,
      });
      return { added: true };
    },
  );

  app.get('/__emulator/faults/held', async () => ({ held: router.heldCount() }));

  app.post('/__emulator/faults/release', async () => {
    const released = router.heldCount();
    router.releaseHeld();
    return { released };
  });

  app.delete('/__emulator/faults', async () => {
    router.clearFaults();
    return { cleared: true };
  });

  // A stand-in for the bank's 3-D Secure challenge page that next_action points browsers to.
  app.get<{ Params: { id: string }; Querystring: { return_url?: string } }>(
    '/__emulator/3ds/:id',
    async (request, reply) => {
      const id = request.params.id;
      const intent = core.store.paymentIntents.get(id) ?? core.store.setupIntents.get(id);
      if (intent === undefined) throw resourceMissing('intent', id, 'intent');
      const returnUrl = request.query.return_url ?? '';
      const amount =
        intent.object === 'payment_intent'
          ? `${(intent.amount / 100).toFixed(2)} ${intent.currency.toUpperCase()}`
          : 'saving your card';
      return reply.type('text/html; charset=utf-8').send(challengePage(id, amount, intent.status, returnUrl));
    },
  );

  app.post<{ Params: { id: string }; Body: unknown }>('/__emulator/3ds/:id', async (request, reply) => {
    const form = new URLSearchParams(formText(request.body));
    const outcome = form.get('outcome');
    if (outcome !== 'succeed' && outcome !== 'fail') throw invalidRequest('outcome must be succeed or fail.');
    const intent = authenticate(core, request.params.id, outcome === 'succeed');
    const returnUrl = form.get('return_url') ?? '';
    if (returnUrl === '' || !/^https?:\/\//.test(returnUrl)) {
      return reply.type('text/html; charset=utf-8').send(donePage(outcome === 'succeed'));
    }
    const target = new URL(returnUrl);
    const kind = intent.object === 'payment_intent' ? 'payment_intent' : 'setup_intent';
    target.searchParams.set(kind, intent.id);
    target.searchParams.set(`${kind}_client_secret`, intent.client_secret ?? '');
    target.searchParams.set('redirect_status', outcome === 'succeed' ? 'succeeded' : 'failed');
    return reply.redirect(target.toString(), 303);
  });
}

function authenticate(core: EmulatorCore, id: string, succeeded: boolean) {
  const payment = core.store.paymentIntents.get(id);
  if (payment !== undefined) return completePaymentAuthentication(core, payment, succeeded, NO_REQUEST);
  const setup = core.store.setupIntents.get(id);
  if (setup !== undefined) return completeSetupAuthentication(core, setup, succeeded, NO_REQUEST);
  throw resourceMissing('intent', id, 'intent');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function challengePage(id: string, what: string, status: string, returnUrl: string): string {
  const action = `/__emulator/3ds/${encodeURIComponent(id)}`;
  const hidden = `<input type="hidden" name="return_url" value="${escapeHtml(returnUrl)}">`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>3-D Secure test page</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}button{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem}</style>
</head><body>
<h1>3-D Secure test page</h1>
<p>The Stripe emulator is asking you to authenticate <strong>${escapeHtml(what)}</strong> (${escapeHtml(id)}, ${escapeHtml(status)}).</p>
<form method="post" action="${action}" style="display:inline">${hidden}<input type="hidden" name="outcome" value="succeed"><button type="submit">Complete authentication</button></form>
<form method="post" action="${action}" style="display:inline">${hidden}<input type="hidden" name="outcome" value="fail"><button type="submit">Fail authentication</button></form>
</body></html>`;
}

function donePage(succeeded: boolean): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>3-D Secure test page</title></head>
<body><p>Authentication ${succeeded ? 'completed' : 'failed'}. You can close this window.</p></body></html>`;
}
