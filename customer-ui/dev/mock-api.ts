// A stand-in for the gateway's customer API, for working on the UI alone and for its screenshot
// and accessibility checks. It keeps requests in memory and walks each booked job through the
// dispatch states on a timer. Not a contract test: the real API is the gateway's.
//
//   node customer-ui/dev/mock-api.ts [--port 8000] [--step-ms 3000] [--mode emulator|stripe]
//
// Addresses containing "Nowhere" are outside the covered area; the test card
// pm_card_chargeDeclined is declined; a tracking token starting with "failed" ends in FAILED.
// Plumber card links (/plumber/card/<token>): a token starting with "expired" has expired, "used" was
// used to save a Visa, "unknown" does not exist; any other 20+ character token works once.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

import Fastify, { type FastifyReply } from 'fastify';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8000' },
    'step-ms': { type: 'string', default: '3000' },
    mode: { type: 'string', default: 'emulator' },
  },
});
const stepMs = Number(values['step-ms']);

// The same shape and codes as the intake catalog.
const services = [
  {
    code: 'home_lockout',
    name: 'Home lockout',
    description: 'Locked out of your house or apartment.',
    depositCents: 4900,
    priceMinCents: 9500,
    priceMaxCents: 19500,
  },
  {
    code: 'car_lockout',
    name: 'Car lockout',
    description: 'Keys locked inside your car.',
    depositCents: 4900,
    priceMinCents: 8500,
    priceMaxCents: 17500,
  },
  {
    code: 'lock_change',
    name: 'Lock change or rekey',
    description: 'Rekey or replace a lock after a move or lost keys.',
    depositCents: 2900,
    priceMinCents: 12900,
    priceMaxCents: 24900,
  },
];

type Step = 'location' | 'service' | 'payment' | 'complete' | 'done';

interface MockRequest {
  id: string;
  step: Step;
  address?: { formatted: string; lat: number; lng: number; zip: string };
  serviceCode?: string;
  authorized: boolean;
  trackingToken?: string;
  bookedAt?: number;
}

const requests = new Map<string, MockRequest>();
const byToken = new Map<string, MockRequest>();

const TIMELINE = ['CREATED', 'DISPATCHING', 'OFFERED', 'ASSIGNED', 'EN_ROUTE', 'COMPLETED'] as const;

function jobOf(request: MockRequest) {
  if (!request.bookedAt || !request.trackingToken) return undefined;
  const elapsed = Math.floor((Date.now() - request.bookedAt) / stepMs);
  if (request.trackingToken.startsWith('failed') && elapsed >= 3) {
    return { id: `job-${request.id}`, state: 'FAILED' };
  }
  const state = TIMELINE[Math.min(elapsed, TIMELINE.length - 1)] ?? 'CREATED';
  const locksmith =
    state === 'ASSIGNED'
      ? { name: 'Maria G.', etaMinutes: 25 }
      : state === 'EN_ROUTE'
        ? { name: 'Maria G.', etaMinutes: 12 }
        : state === 'COMPLETED'
          ? { name: 'Maria G.' }
          : undefined;
  return { id: `job-${request.id}`, state, ...(locksmith ? { locksmith } : {}) };
}

function statusOf(request: MockRequest) {
  const job = jobOf(request);
  return {
    id: request.id,
    step: request.step,
    state: job ? 'BOOKED' : 'DRAFT',
    ...(request.trackingToken ? { trackingToken: request.trackingToken } : {}),
    ...(request.serviceCode ? { serviceCode: request.serviceCode } : {}),
    ...(request.address ? { address: request.address } : {}),
    ...(job ? { job } : {}),
  };
}

const ORDER: Step[] = ['location', 'service', 'payment', 'complete', 'done'];

function outOfOrder(reply: FastifyReply, request: MockRequest, wanted: Step): boolean {
  // A step may be repeated (the customer went back), never skipped.
  if (ORDER.indexOf(wanted) <= ORDER.indexOf(request.step)) return false;
  void reply.code(409).send({
    code: 'STEP_OUT_OF_ORDER',
    message: `Please finish the ${request.step} step first.`,
    details: { expected: request.step },
  });
  return true;
}

function findRequest(id: string, reply: FastifyReply): MockRequest | undefined {
  const request = requests.get(id);
  if (!request)
    void reply.code(404).send({ code: 'REQUEST_NOT_FOUND', message: 'This booking has expired.' });
  return request;
}

const app = Fastify({ logger: false });

app.get('/api/services', async () => ({ items: services }));

app.post('/api/request/start', async (_req, reply) => {
  const id = randomUUID();
  requests.set(id, { id, step: 'location', authorized: false });
  return reply.code(201).send({ id });
});

app.post<{ Params: { id: string }; Body: { address?: string; lat?: number; lng?: number } }>(
  '/api/request/:id/location',
  async (req, reply) => {
    const request = findRequest(req.params.id, reply);
    if (!request) return reply;
    const address = (req.body.address ?? '').trim();
    if (address.length < 3) {
      return reply.code(400).send({ code: 'VALIDATION_FAILED', message: 'Please enter a street address.' });
    }
    const served = !/nowhere/i.test(address);
    request.address = {
      formatted: served
        ? /market/i.test(address)
          ? '1 Market St, San Francisco, CA 94105'
          : address
        : address,
      lat: req.body.lat ?? 37.7941,
      lng: req.body.lng ?? -122.395,
      zip: '94105',
    };
    if (served) request.step = ORDER.indexOf(request.step) < 1 ? 'service' : request.step;
    return { served, address: request.address };
  },
);

app.post<{ Params: { id: string }; Body: { serviceCode?: string; name?: string; phone?: string } }>(
  '/api/request/:id/service',
  async (req, reply) => {
    const request = findRequest(req.params.id, reply);
    if (!request || outOfOrder(reply, request, 'service')) return reply;
    const service = services.find((s) => s.code === req.body.serviceCode);
    if (!service)
      return reply.code(400).send({ code: 'UNKNOWN_SERVICE', message: 'Please choose a service.' });
    if (!/^\+[1-9]\d{7,14}$/.test(req.body.phone ?? '')) {
      return reply
        .code(400)
        .send({ code: 'INVALID_PHONE', message: 'That phone number does not look right.' });
    }
    request.serviceCode = service.code;
    request.step = ORDER.indexOf(request.step) < 2 ? 'payment' : request.step;
    return { depositCents: service.depositCents };
  },
);

app.post<{ Params: { id: string } }>('/api/request/:id/payment-intent', async (req, reply) => {
  const request = findRequest(req.params.id, reply);
  if (!request || outOfOrder(reply, request, 'payment')) return reply;
  const service = services.find((s) => s.code === request.serviceCode);
  return {
    paymentIntentId: `pi_${request.id.slice(0, 8)}`,
    clientSecret: `pi_${request.id.slice(0, 8)}_secret_mock`,
    amountCents: service?.depositCents ?? 4900,
    mode: values.mode === 'stripe' ? 'stripe' : 'emulator',
    ...(values.mode === 'stripe' ? { publishableKey: 'pk_test_mock' } : {}),
  };
});

app.post<{ Params: { id: string }; Body: { paymentMethod?: string } }>(
  '/api/request/:id/test-confirm',
  async (req, reply) => {
    const request = findRequest(req.params.id, reply);
    if (!request || outOfOrder(reply, request, 'payment')) return reply;
    if (req.body.paymentMethod === 'pm_card_chargeDeclined') {
      return reply
        .code(402)
        .send({ code: 'CARD_DECLINED', message: 'Your card was declined. Please try another card.' });
    }
    request.authorized = true;
    request.step = 'complete';
    return { status: 'requires_capture' };
  },
);

app.post<{ Params: { id: string } }>('/api/request/:id/complete', async (req, reply) => {
  const request = findRequest(req.params.id, reply);
  if (!request) return reply;
  if (!request.authorized) {
    return reply
      .code(409)
      .send({ code: 'DEPOSIT_NOT_AUTHORIZED', message: 'Your card has not authorized the deposit yet.' });
  }
  request.trackingToken ??= `${request.address?.formatted.includes('Fail') ? 'failed-' : ''}${randomUUID().slice(0, 12)}`;
  request.bookedAt ??= Date.now();
  request.step = 'done';
  byToken.set(request.trackingToken, request);
  return { state: 'BOOKED', trackingToken: request.trackingToken };
});

app.get<{ Params: { id: string } }>('/api/request/:id', async (req, reply) => {
  const request = findRequest(req.params.id, reply);
  return request ? statusOf(request) : reply;
});

app.get<{ Params: { token: string } }>('/api/track/:token', async (req, reply) => {
  const request = byToken.get(req.params.token);
  if (!request)
    return reply.code(404).send({ code: 'TRACKING_NOT_FOUND', message: 'We could not find this booking.' });
  return statusOf(request);
});

app.get<{ Params: { token: string } }>('/api/track/:token/events', (req, reply) => {
  const request = byToken.get(req.params.token);
  if (!request) {
    void reply.code(404).send({ code: 'TRACKING_NOT_FOUND', message: 'We could not find this booking.' });
    return;
  }
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  let last = '';
  const send = (): void => {
    const body = JSON.stringify(statusOf(request));
    if (body !== last) {
      last = body;
      reply.raw.write(`event: status\ndata: ${body}\n\n`);
    }
  };
  send();
  const timer = setInterval(send, 250);
  req.raw.on('close', () => clearInterval(timer));
});

// A plumber's card link, as payments answers it through the gateway.
const savedCards = new Map<string, { status: 'saved'; brand: string; last4: string }>();
const CARD_BRANDS: Record<string, { brand: string; last4: string }> = {
  pm_card_visa: { brand: 'visa', last4: '4242' },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444' },
  pm_card_chargeDeclinedInsufficientFunds: { brand: 'visa', last4: '9995' },
};
const confirmedCards = new Map<string, string>();

function cardLinkProblem(token: string, reply: FastifyReply): boolean {
  if (token.startsWith('unknown') || token.length < 20) {
    void reply.code(404).send({
      code: 'CARD_LINK_NOT_FOUND',
      message:
        'This card link is not valid. Open the whole link from your text or email, or ask us for a new one.',
    });
    return true;
  }
  if (token.startsWith('expired')) {
    void reply.code(410).send({
      code: 'CARD_LINK_EXPIRED',
      message: 'This link has expired. Ask us for a new link to save your card.',
      details: { reason: 'expired' },
    });
    return true;
  }
  const saved = token.startsWith('used')
    ? { status: 'saved', brand: 'visa', last4: '4242' }
    : savedCards.get(token);
  if (saved) {
    void reply.code(410).send({
      code: 'CARD_LINK_EXPIRED',
      message: 'This link was already used to save your card. To change the card, ask us for a new link.',
      details: { reason: 'used', card: saved },
    });
    return true;
  }
  return false;
}

app.get<{ Params: { token: string } }>('/api/plumber-card/:token', async (req, reply) => {
  if (cardLinkProblem(req.params.token, reply)) return reply;
  return {
    setupIntentId: 'seti_mock',
    clientSecret: 'seti_mock_secret_mock',
    plumber: { firstName: 'Rosa' },
    mode: values.mode === 'stripe' ? 'stripe' : 'emulator',
    ...(values.mode === 'stripe' ? { publishableKey: 'pk_test_mock' } : {}),
    expiresAt: new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString(),
  };
});

app.post<{ Params: { token: string }; Body: { paymentMethod?: string } }>(
  '/api/plumber-card/:token/test-confirm',
  async (req, reply) => {
    if (cardLinkProblem(req.params.token, reply)) return reply;
    const paymentMethod = req.body.paymentMethod ?? '';
    if (!CARD_BRANDS[paymentMethod]) {
      return reply.code(402).send({ code: 'CARD_DECLINED', message: 'Your card was declined.' });
    }
    confirmedCards.set(req.params.token, paymentMethod);
    return { setupIntentId: 'seti_mock', status: 'succeeded' };
  },
);

app.post<{ Params: { token: string } }>('/api/plumber-card/:token/complete', async (req, reply) => {
  const done = savedCards.get(req.params.token);
  if (done) return { card: done };
  if (cardLinkProblem(req.params.token, reply)) return reply;
  const card = CARD_BRANDS[confirmedCards.get(req.params.token) ?? ''];
  if (!card) {
    return reply.code(409).send({
      code: 'CARD_NOT_CONFIRMED',
      message: 'Your card has not been confirmed yet. Enter your card details and save them again.',
    });
  }
  const saved = { status: 'saved' as const, ...card };
  savedCards.set(req.params.token, saved);
  return { card: saved };
});

// Plumbing leads: the public form's catalogue and answers (ZIP 00000: no such ZIP, 02108: not served, an
// email starting "dup": already asked), and a lead offer's accept page (a token starting "closed": expired).
const PLUMBING = [
  { code: 'drain_cleaning', name: 'Drain cleaning' },
  { code: 'leak_repair', name: 'Leak repair' },
  { code: 'water_heater', name: 'Water heater' },
  { code: 'emergency_plumbing', name: 'Emergency plumbing' },
];
app.get('/api/leads/services', async () => ({
  items: PLUMBING,
  consentText:
    'By checking this box, I agree that Trades Marketplace and one plumber it matches me with may contact me ' +
    'about this request by phone, text message (SMS) and email. Reply STOP to opt out.',
}));
app.post<{ Body: { zipCode?: string; email?: string } }>('/api/leads', async (req, reply) => {
  if (req.body.zipCode === '00000') {
    return reply.code(400).send({
      code: 'VALIDATION_FAILED',
      message: 'Check these fields: zipCode.',
      details: { fields: [{ field: 'zipCode', message: 'There is no US ZIP code 00000.' }] },
    });
  }
  if (req.body.zipCode === '02108') {
    return reply.code(422).send({ code: 'NOT_SERVED', message: 'No plumber takes this service here yet.' });
  }
  if (req.body.email?.startsWith('dup')) {
    return reply.code(409).send({
      code: 'DUPLICATE_LEAD',
      message: 'This request was already received.',
      details: { leadId: '3f7c1a52-5d8e-4a47-9b43-0f6f0e1f2a10' },
    });
  }
  return reply.code(201).send({ leadId: randomUUID(), status: 'accepted', priceCents: 4500 });
});
const leadOffer = (token: string) => ({
  offerId: '3f7c1a52-5d8e-4a47-9b43-0f6f0e1f2a10',
  leadCode: '4821',
  serviceName: 'Drain cleaning',
  urgency: 'day',
  zipCode: '94105',
  priceCents: 4500,
  expiresAt: new Date(Date.now() + 5 * 60_000).toISOString(),
  status: token.startsWith('closed') ? 'EXPIRED' : 'PENDING',
  open: !token.startsWith('closed'),
  plumber: { firstName: 'Rosa' },
});
app.get<{ Params: { token: string } }>('/api/lead-offers/:token', async (req) => leadOffer(req.params.token));
app.post('/api/lead-offers/:token/accept', async () => ({ outcome: 'charging', leadCode: '4821' }));

await app.listen({ port: Number(values.port), host: '127.0.0.1' });
process.stdout.write(
  `mock customer API on http://127.0.0.1:${values.port} (step ${stepMs} ms, mode ${values.mode})\n`,
);
